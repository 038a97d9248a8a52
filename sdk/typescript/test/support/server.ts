// Starts a real citadel server for a test file: its own temporary directory
// (database, token secret, config), a free loopback port (--port 0, learnt
// from --port-file, as tests/integration/server_process.cc does), and no
// admin port. Stopped by its PID, never by name.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export interface CitadelServer {
  readonly pid: number;
  readonly port: number;
  readonly url: string;
  /** SIGSTOP: the server stops answering, its sockets stay open (a dead peer). */
  pause(): void;
  /** SIGCONT. */
  resume(): void;
  /** What it logged so far. */
  output(): string;
  /** SIGTERM, then SIGKILL if it has not exited within 5 s. */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
// A test process that ends, or is told to, takes its servers with it.
function killAll(): void {
  for (const child of running) if (child.pid !== undefined) safeKill(child.pid, 'SIGKILL');
}
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAll();
    process.kill(process.pid, signal);
  });
}

export function serverBinary(): string {
  return process.env.CITADEL_BIN ?? resolve(__dirname, '../../../../build/bin/citadel');
}

export async function startServer(extraConfig = ''): Promise<CitadelServer> {
  const binary = serverBinary();
  if (!existsSync(binary)) throw new Error(`no citadel binary at ${binary}: set CITADEL_BIN`);
  const dir = mkdtempSync(join(tmpdir(), 'citadel-ts-sdk-'));
  const configPath = join(dir, 'citadel.yaml');
  const portPath = join(dir, 'port');
  writeFileSync(configPath, `admin:\n  port: 0\n${extraConfig}`);
  const child = spawn(
    binary,
    ['--config', configPath, '--host', '127.0.0.1', '--port', '0', '--port-file', portPath, '--log-level', 'info'],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  running.add(child);
  let log = '';
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.once('exit', () => running.delete(child));

  const port = await waitForPort(portPath, child, () => log);
  const pid = child.pid!;
  let stopped = false;
  return {
    pid,
    port,
    url: `ws://127.0.0.1:${port}/`,
    pause: () => safeKill(pid, 'SIGSTOP'),
    resume: () => safeKill(pid, 'SIGCONT'),
    output: () => log,
    async stop() {
      if (stopped) return;
      stopped = true;
      if (child.exitCode === null && child.signalCode === null) {
        safeKill(pid, 'SIGCONT'); // a paused server cannot handle SIGTERM
        safeKill(pid, 'SIGTERM');
        const timer = setTimeout(() => safeKill(pid, 'SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The port file is complete once it ends with a newline (it is written by rename). */
function waitForPort(path: string, child: ChildProcess, log: () => string): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const deadline = Date.now() + 10_000;
    const poll = setInterval(() => {
      let text = '';
      try {
        text = readFileSync(path, 'utf8');
      } catch {
        // not written yet
      }
      if (text.endsWith('\n')) {
        clearInterval(poll);
        resolvePort(Number(text.trim()));
      } else if (child.exitCode !== null || child.signalCode !== null) {
        clearInterval(poll);
        reject(new Error(`citadel exited before listening:\n${log()}`));
      } else if (Date.now() > deadline) {
        clearInterval(poll);
        reject(new Error(`citadel wrote no port file within 10 s:\n${log()}`));
      }
    }, 5);
  });
}

function safeKill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}
