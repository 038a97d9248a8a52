// The browser demo (web/demo, docs/browser-demo.md) in a real browser:
// Debian's chromium (/usr/bin/chromium), driven by npm playwright-core, which
// never downloads a browser. A real citadel serves the page and its WebSocket
// on one loopback port, from the bundle the build put beside it (its default
// web.root).
//
//   node demo.test.mjs PATH_TO_CITADEL
//
// Two pages (two browser contexts: two guests) join the same arena room; each
// sees the other move when it holds an arrow key; chat typed in one appears
// in the other; then page B's TCP connection is cut (a loopback proxy between
// it and the server resets both sides, no WebSocket close) and B must resume
// its session, be back in the same room, and be seen moving again by A.
// Every wait is on a condition in the page (waitForFunction) with a timeout,
// never a fixed sleep. On failure both pages are screenshotted and the paths
// printed, with the server's log.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const CHROMIUM = process.env.CITADEL_CHROMIUM ?? '/usr/bin/chromium';
const WAIT_MS = 15_000;

function log(line) {
  process.stdout.write(`browser_demo: ${line}\n`);
}

// ---- the server: its own temp dir, a free port (--port 0 and --port-file) ----

async function startServer(binary) {
  const dir = mkdtempSync(join(tmpdir(), 'citadel-browser-'));
  writeFileSync(join(dir, 'citadel.yaml'), 'admin:\n  port: 0\n');
  const portFile = join(dir, 'port');
  const child = spawn(
    binary,
    ['--config', 'citadel.yaml', '--host', '127.0.0.1', '--port', '0', '--port-file', portFile,
     '--log-level', 'debug'],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise((done) => child.once('exit', done));
  const deadline = Date.now() + 20_000;
  for (;;) {
    const text = existsSync(portFile) ? readFileSync(portFile, 'utf8') : '';
    if (text.endsWith('\n')) break;
    if (child.exitCode !== null) throw new Error(`citadel exited before listening:\n${output}`);
    if (Date.now() > deadline) throw new Error(`citadel wrote no port file in 20 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 20)); // polling a file the server writes, not a sync point
  }
  const port = Number(readFileSync(portFile, 'utf8').trim());
  return {
    port,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        process.kill(child.pid, 'SIGTERM'); // by PID: the process this test started
        const timer = setTimeout(() => child.exitCode === null && process.kill(child.pid, 'SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---- a TCP proxy whose connections the test can cut ----

function startProxy(targetPort) {
  const pairs = new Set();
  let accepted = 0;
  const server = net.createServer((client) => {
    accepted += 1;
    const upstream = net.connect(targetPort, '127.0.0.1');
    const pair = { client, upstream };
    pairs.add(pair);
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
  });
  return new Promise((ready) => {
    server.listen(0, '127.0.0.1', () =>
      ready({
        port: server.address().port,
        accepted: () => accepted,
        // A reset on both sides: the browser and the server each see the TCP
        // connection die, with no WebSocket close frame from anyone.
        cutAll() {
          const n = pairs.size;
          for (const { client, upstream } of pairs) {
            client.resetAndDestroy();
            upstream.resetAndDestroy();
          }
          pairs.clear();
          return n;
        },
        close: () => new Promise((done) => server.close(done)),
      }),
    );
  });
}

// ---- page helpers: read what the demo exposes (window.citadelDemo()) ----

const view = (page) => page.evaluate(() => window.citadelDemo());

async function waitFor(page, what, fn, arg) {
  try {
    await page.waitForFunction(fn, arg, { timeout: WAIT_MS, polling: 50 });
  } catch (e) {
    const state = await view(page).catch(() => null);
    throw new Error(`timed out after ${WAIT_MS} ms waiting for ${what}; page state: ${JSON.stringify(state)}`);
  }
}

async function joined(page) {
  await waitFor(page, 'the arena room', () => {
    const v = window.citadelDemo();
    return v.status === 'connected' && v.roomId !== null && v.userId !== null;
  });
  return view(page);
}

function positionOf(v, userId) {
  return v.players.find((p) => p.id === userId) ?? null;
}

// `mover` holds `key` until `watcher` sees its player pass `axis` by 20 units.
async function seenMoving(mover, watcher, moverId, key, axis, sign) {
  const before = positionOf(await view(watcher), moverId);
  if (!before) throw new Error(`the watcher does not see player ${moverId}`);
  await mover.click('#arena'); // the keyboard to the arena, not the chat box
  await mover.keyboard.down(key);
  try {
    await waitFor(
      watcher,
      `player ${moverId} to move ${sign > 0 ? '+' : '-'}${axis} from ${before[axis]}`,
      ({ id, axis, start, sign }) => {
        const p = window.citadelDemo().players.find((q) => q.id === id);
        return p !== undefined && (p[axis] - start) * sign >= 20;
      },
      { id: moverId, axis, start: before[axis], sign },
    );
  } finally {
    await mover.keyboard.up(key);
  }
}

async function chatCrosses(from, to, text) {
  await from.fill('#chat-input', text);
  await from.press('#chat-input', 'Enter');
  await waitFor(to, `chat "${text}"`, (t) => window.citadelDemo().chat.some((l) => l.endsWith(`> ${t}`)), text);
}

// ---- the test ----

async function main() {
  const binary = resolve(process.argv[2] ?? '');
  if (!existsSync(binary)) throw new Error(`usage: node demo.test.mjs PATH_TO_CITADEL (no binary at ${binary})`);
  const bundle = resolve(dirname(binary), '../web/demo/demo.js');
  if (!existsSync(bundle)) {
    throw new Error(`no demo bundle at ${bundle}: build it with scripts/build-web-demo.sh`);
  }
  if (!existsSync(CHROMIUM)) throw new Error(`no chromium at ${CHROMIUM}: run scripts/install-deps.sh`);

  const artifacts = resolve(process.env.CITADEL_BROWSER_ARTIFACTS ?? join(tmpdir(), 'citadel-browser-demo-artifacts'));
  const server = await startServer(binary);
  const proxy = await startProxy(server.port);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Chromium's sandbox needs user namespaces a root CI container rarely has.
    chromiumSandbox: process.getuid?.() !== 0,
  });
  const pages = {};
  const problems = [];
  try {
    for (const name of ['A', 'B']) {
      const context = await browser.newContext({ viewport: { width: 900, height: 640 } });
      const page = await context.newPage();
      page.on('pageerror', (e) => problems.push(`page ${name}: uncaught ${e.message}`));
      page.on('console', (m) => {
        if (/Content.Security.Policy|Refused to/i.test(m.text())) problems.push(`page ${name}: ${m.text()}`);
      });
      pages[name] = page;
    }
    const { A, B } = pages;
    // A straight to the server; B through the proxy, so its connection can be cut.
    const a = await A.goto(`http://127.0.0.1:${server.port}/demo/`);
    if (a.status() !== 200) throw new Error(`GET /demo/ answered ${a.status()}`);
    await B.goto(`http://127.0.0.1:${proxy.port}/demo/`);

    const va = await joined(A);
    const vb = await joined(B);
    log(`A is ${va.username} (${va.userId}), B is ${vb.username} (${vb.userId}), room ${va.roomId}`);
    if (va.roomId !== vb.roomId) throw new Error(`different rooms: A ${va.roomId}, B ${vb.roomId}`);
    if (va.userId === vb.userId) throw new Error('both pages logged in as the same guest');
    await waitFor(A, 'B on A\'s field', (id) => window.citadelDemo().players.some((p) => p.id === id), vb.userId);
    await waitFor(B, 'A on B\'s field', (id) => window.citadelDemo().players.some((p) => p.id === id), va.userId);

    await seenMoving(B, A, vb.userId, 'ArrowRight', 'x', +1);
    log('A saw B move right');
    await seenMoving(A, B, va.userId, 's', 'y', +1);
    log('B saw A move down (WASD)');

    await chatCrosses(A, B, 'hello from A');
    await chatCrosses(B, A, 'hello from B');
    log('chat crossed both ways');

    const before = proxy.accepted();
    const cut = proxy.cutAll();
    if (cut < 1) throw new Error('no connection of B to cut');
    log(`cut ${cut} connection(s) of B (TCP reset both sides)`);
    await waitFor(B, 'B to resume its session in its room',
      ({ room, user }) => {
        const v = window.citadelDemo();
        return v.sessionEvents.includes('resumed') && v.status === 'resumed' && v.roomId === room && v.userId === user;
      },
      { room: vb.roomId, user: vb.userId });
    if (proxy.accepted() <= before) throw new Error('B resumed without a new connection');
    log('B resumed its session and is back in its room');
    await seenMoving(B, A, vb.userId, 'ArrowUp', 'y', -1);
    log('A saw B move after the resume');
    const after = await view(B);
    if (!positionOf(after, va.userId)) throw new Error('after the resume B does not see A');

    if (problems.length) throw new Error(`the pages reported problems:\n  ${problems.join('\n  ')}`);
    log('passed');
  } catch (e) {
    mkdirSync(artifacts, { recursive: true });
    for (const [name, page] of Object.entries(pages)) {
      const path = join(artifacts, `page-${name}.png`);
      try {
        await page.screenshot({ path, fullPage: true });
        log(`screenshot of page ${name}: ${path}`);
      } catch (shotError) {
        log(`no screenshot of page ${name}: ${shotError.message}`);
      }
    }
    log(`server log (last 4000 characters):\n${server.output().slice(-4000)}`);
    throw e;
  } finally {
    await browser.close();
    await proxy.close();
    await server.stop();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stdout.write(`browser_demo: FAILED: ${e.stack ?? e}\n`);
    process.exit(1);
  },
);
