#!/usr/bin/env node
// Smoke test of the Colyseus peer, and the check that the bots' light client
// (raw-client.js) sends the server what colyseus.js sends.
//
//   node check-wire.js        (from bench/colyseus, after npm ci; about 3 s)
//
// Starts server.js on a free loopback port and a recording TCP proxy in front
// of it. One colyseus.js client and one raw client each join "arena" through
// the proxy, wait for a state, send the same three inputs and wait for their
// acks. The proxy keeps every byte each client sent; the check then compares,
// client against client: the matchmaking request (method, path, headers,
// body), the WebSocket upgrade request (every header but the random key; the
// path with the room and session ids blanked), and the WebSocket frames after
// unmasking (opcode, FIN, payload), pongs aside (they follow the server's ping
// timer). It also checks that every input was acked and positions moved as
// the arena's rules say. Exit 0 and "PASS" when all holds, 1 otherwise.
"use strict";

const { spawn } = require("node:child_process");
const net = require("node:net");
const path = require("node:path");
const { Client } = require("colyseus.js");
const { RawArenaClient, InputEncoder } = require("./raw-client.js");

const INPUTS = [
  { seq: 1, dx: 0.5, dy: -0.25 },
  { seq: 2, dx: 1, dy: 0 },
  { seq: 3, dx: -0.123456789, dy: 0.987654321 },
];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function startServer() {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, "server.js"), "--port", "0"], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    const timer = setTimeout(() => reject(new Error("server did not listen within 10 s")), 10000);
    child.stdout.on("data", (d) => {
      out += d;
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]) });
      }
    });
    child.on("exit", (code) => reject(new Error(`server exited (${code})`)));
  });
}

// A proxy that records, per connection, what the client sent.
function startProxy(target) {
  const conns = [];
  const server = net.createServer((c) => {
    const rec = { chunks: [] };
    conns.push(rec);
    const s = net.connect(target, "127.0.0.1");
    c.on("data", (d) => { rec.chunks.push(Buffer.from(d)); s.write(d); });
    s.on("data", (d) => c.write(d));
    c.on("close", () => s.destroy());
    s.on("close", () => c.destroy());
    c.on("error", () => s.destroy());
    s.on("error", () => c.destroy());
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => resolve({ server, port: server.address().port, conns }));
  });
}

function parseHead(buf, from) {
  const end = buf.indexOf("\r\n\r\n", from);
  if (end < 0) return null;
  const lines = buf.toString("latin1", from, end).split("\r\n");
  const headers = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(":");
    headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  return { requestLine: lines[0], headers, next: end + 4 };
}

// A recorded stream: its HTTP requests (kept-alive ones follow each other),
// or an upgrade request and the WebSocket frames after it, unmasked.
function parseStream(buf) {
  const requests = [];
  let off = 0;
  while (off < buf.length) {
    const h = parseHead(buf, off);
    if (!h) break;
    if (h.headers.upgrade === "websocket") {
      return { requests, upgrade: h, frames: parseFrames(buf.subarray(h.next)) };
    }
    const n = Number(h.headers["content-length"] || 0);
    requests.push({ requestLine: h.requestLine, headers: h.headers, body: buf.toString("utf8", h.next, h.next + n) });
    off = h.next + n;
  }
  return { requests, upgrade: null, frames: [] };
}

function parseFrames(rest) {
  const frames = [];
  let off = 0;
  while (rest.length - off >= 2) {
    const b0 = rest[off];
    const b1 = rest[off + 1];
    let len = b1 & 0x7f;
    let hl = 2;
    if (len === 126) { len = rest.readUInt16BE(off + 2); hl = 4; }
    else if (len === 127) { len = Number(rest.readBigUInt64BE(off + 2)); hl = 10; }
    const masked = (b1 & 0x80) !== 0;
    const mask = masked ? rest.subarray(off + hl, off + hl + 4) : null;
    if (masked) hl += 4;
    if (rest.length - off < hl + len) break;
    const payload = Buffer.from(rest.subarray(off + hl, off + hl + len));
    if (masked) for (let i = 0; i < len; i++) payload[i] ^= mask[i & 3];
    frames.push({ fin: (b0 & 0x80) !== 0, opcode: b0 & 0x0f, masked, payload: payload.toString("hex") });
    off += hl + len;
  }
  return frames;
}

// What one client sent: its matchmaking request and its WebSocket, comparable
// (the random key dropped, the room and session ids blanked, pongs left out).
function normalise(matchmake, ws) {
  if (!matchmake || !ws) return null;
  const wsHeaders = { ...ws.upgrade.headers };
  delete wsHeaders["sec-websocket-key"];
  return {
    matchmake,
    upgrade: {
      requestLine: ws.upgrade.requestLine.replace(/^GET \/[^/]+\/[^?]+\?sessionId=\S+/, "GET /<process>/<room>?sessionId=<id>"),
      headers: wsHeaders,
    },
    frames: ws.frames.filter((f) => f.opcode !== 0xa).map((f) => `${f.fin ? "FIN " : ""}op${f.opcode}${f.masked ? " masked" : " UNMASKED"} ${f.payload}`),
  };
}

async function main() {
  const failures = [];
  const { child, port } = await startServer();
  try {
    // One proxy; the colyseus.js client goes first, then the raw one.
    const proxy = await startProxy(port);
    const client = new Client(`ws://127.0.0.1:${proxy.port}`);
    const room = await client.joinOrCreate("arena");
    let acked = 0;
    let moved = null;
    room.onStateChange((state) => {
      const me = state.players.get(room.sessionId);
      if (me) { acked = me.ack; moved = { x: me.x, y: me.y }; }
    });
    await sleep(200);
    for (const i of INPUTS) { room.send("input", i); await sleep(120); }
    await sleep(200);
    if (acked !== 3) failures.push(`colyseus.js client: ack ${acked}, want 3`);
    // Three ticks each apply the latest input: 500 + 5 * (0.5 + 1 - 0.123...) for x at least.
    if (!moved || !(moved.x > 500 && moved.y !== 500)) failures.push(`colyseus.js client: position ${JSON.stringify(moved)} did not move`);
    room.connection.close();
    await sleep(100);

    // raw client
    const views = new Map();
    let rawAck = 0;
    const raw = new RawArenaClient("127.0.0.1", proxy.port, views, {
      onPatch: (c, snap) => { rawAck = snap.acks.get(c.sessionId) || 0; },
      onClose: () => {},
      onError: (c, why) => failures.push(`raw client: ${why}`),
    });
    await raw.join("arena");
    await sleep(200);
    const enc = new InputEncoder();
    for (const i of INPUTS) { raw.send(enc.encode("input", i)); await sleep(120); }
    await sleep(200);
    if (rawAck !== 3) failures.push(`raw client: ack ${rawAck}, want 3`);
    raw.close(true); // a close frame, as ws's close() sends
    await sleep(100);

    const streams = proxy.conns.map((c) => parseStream(Buffer.concat(c.chunks)));
    const posts = streams.flatMap((st) => st.requests).filter((r) => r.requestLine.startsWith("POST /matchmake/"));
    const sockets = streams.filter((st) => st.upgrade !== null);
    const a = normalise(posts[0], sockets[0]);
    const b = normalise(posts[1], sockets[1]);
    if (!a || !b) {
      failures.push("could not find both requests of both clients in the recordings");
    } else {
      for (const part of ["matchmake", "upgrade"]) {
        const ja = JSON.stringify(a[part]);
        const jb = JSON.stringify(b[part]);
        if (ja !== jb) failures.push(`${part} differs:\n  colyseus.js ${ja}\n  raw         ${jb}`);
      }
      if (JSON.stringify(a.frames) !== JSON.stringify(b.frames)) {
        failures.push(`frames differ:\n  colyseus.js ${JSON.stringify(a.frames)}\n  raw         ${JSON.stringify(b.frames)}`);
      }
      console.log(`recorded: ${posts.length} matchmaking requests, ${sockets.length} WebSockets`);
      console.log("matchmaking request:", a.matchmake.requestLine, JSON.stringify(a.matchmake.headers), a.matchmake.body);
      console.log("upgrade request:    ", a.upgrade.requestLine, JSON.stringify(a.upgrade.headers));
      console.log("frames (client -> server, unmasked):");
      for (const f of a.frames) console.log("  ", f);
    }
    proxy.server.close();
  } finally {
    child.kill("SIGTERM");
  }
  if (failures.length) {
    console.log("FAIL");
    for (const f of failures) console.log(" -", f);
    process.exit(1);
  }
  console.log("PASS: the raw client sends what colyseus.js sends; inputs acked and applied");
  process.exit(0);
}

const deadline = setTimeout(() => { console.log("FAIL: timed out after 30 s"); process.exit(1); }, 30000);
deadline.unref();
main().catch((err) => {
  console.log("FAIL:", err && err.stack ? err.stack : err);
  process.exit(1);
});
