#!/usr/bin/env node
// Bots for the Colyseus arena peer (server.js): real colyseus.js clients
// (Client.joinOrCreate("arena"), room.send("input", {seq, dx, dy}) at 20 Hz,
// the state decoded by colyseus.js's own schema decoder), measured the way
// citadel-bench's arena scenario measures Citadel:
//
//   input-to-ack  from sending input seq N to the first state patch in which
//                 this player's own ack >= N (timed when colyseus.js has
//                 decoded the patch and fires onStateChange); a 64-slot ring
//                 per player, one ack answers every older input
//   room rate     each room's tick numbers (state.tick) over their arrival
//                 times in the window, the highest any member saw; a room
//                 whose ticks stop arriving counts as slow
//   states        patches per player per second in the window
//   disconnects   rooms left (onLeave) before the end, and errors
//
//   node bots.js --port P [--host 127.0.0.1] --players N [--procs K]
//     [--connect-rate R] [--warmup S] [--duration S] [--input-hz 20]
//     [--server-pid PID] [--quiet]
//
// The controller (this process) forks K worker processes (same file,
// --worker) and gives each N/K players and R/K joins a second. Once every
// player has joined (or failed), the window is set for all of them: WARMUP s
// from then, DURATION s long. The controller reads the server's CPU time
// (utime + stime, /proc/PID/stat) at the window's start and end, and its
// VmRSS before the first join and once all are in. At the end it prints a
// summary on stderr and one JSON line on stdout whose fields are named as
// citadel-bench arena's (bench/summarize_rooms.py reads both).
// Exit 0 when the run completed (whatever the figures), 1 on a bad argument
// or when no player got in.
"use strict";

const { fork } = require("node:child_process");
const fs = require("node:fs");
const { performance, monitorEventLoopDelay } = require("node:perf_hooks");

const TICK_HZ = 20; // the arena's announced rate
const RING = 64; // SeqTimeRing::kSlots in citadel-bench
const BUCKET_US = 10; // latency histogram resolution
const BUCKETS = 200000; // 10 us x 200,000 = 2 s; above that: the overflow bucket
const CLK_TCK = 100; // getconf CLK_TCK on Linux

// ---------------------------------------------------------------- arguments

function parseArgs(argv) {
  const o = {
    host: "127.0.0.1", port: 0, players: 0, procs: 1, connectRate: 500, warmup: 5,
    duration: 20, inputHz: 20, serverPid: 0, quiet: false, worker: false, joinTimeout: 30,
    client: "raw",
  };
  const num = (a, v) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${a}: not a number: ${v}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case "--host": o.host = next(); break;
      case "--port": o.port = num(a, next()); break;
      case "--players": o.players = num(a, next()); break;
      case "--procs": o.procs = num(a, next()); break;
      case "--connect-rate": o.connectRate = num(a, next()); break;
      case "--warmup": o.warmup = num(a, next()); break;
      case "--duration": o.duration = num(a, next()); break;
      case "--input-hz": o.inputHz = num(a, next()); break;
      case "--server-pid": o.serverPid = num(a, next()); break;
      case "--join-timeout": o.joinTimeout = num(a, next()); break;
      case "--client": o.client = next(); break;
      case "--quiet": o.quiet = true; break;
      case "--worker": o.worker = true; break;
      case "-h": case "--help":
        console.log("usage: node bots.js --port P --players N [--procs K] [--connect-rate R] " +
          "[--warmup S] [--duration S] [--input-hz HZ] [--server-pid PID] [--join-timeout S] " +
          "[--client raw|colyseus.js] [--quiet]");
        process.exit(0);
        break;
      default: throw new Error(`unknown argument ${a}`);
    }
  }
  if (o.host !== "127.0.0.1" && o.host !== "localhost") throw new Error("loopback only: --host 127.0.0.1");
  if (!o.worker) {
    if (!(o.port > 0)) throw new Error("--port is required");
    if (!(o.players >= 1)) throw new Error("--players must be at least 1");
    if (!(o.procs >= 1) || !Number.isInteger(o.procs)) throw new Error("--procs must be a positive integer");
    if (!(o.connectRate > 0) || !(o.inputHz > 0) || !(o.duration > 0)) throw new Error("rates and duration must be > 0");
    if (o.client !== "raw" && o.client !== "colyseus.js") throw new Error("--client must be raw or colyseus.js");
  }
  return o;
}

// ---------------------------------------------------------------- histogram

class Histogram {
  constructor() {
    this.counts = new Uint32Array(BUCKETS + 1);
    this.n = 0;
    this.sum = 0;
    this.max = 0;
  }
  record(us) {
    if (us < 0) us = 0;
    const b = Math.min(Math.floor(us / BUCKET_US), BUCKETS);
    this.counts[b]++;
    this.n++;
    this.sum += us;
    if (us > this.max) this.max = us;
  }
  toJSON() {
    const sparse = [];
    for (let i = 0; i < this.counts.length; i++) if (this.counts[i]) sparse.push(i, this.counts[i]);
    return { sparse, n: this.n, sum: this.sum, max: this.max };
  }
  merge(j) {
    for (let k = 0; k < j.sparse.length; k += 2) this.counts[j.sparse[k]] += j.sparse[k + 1];
    this.n += j.n;
    this.sum += j.sum;
    if (j.max > this.max) this.max = j.max;
  }
  // Nearest rank; a bucket reports its upper edge (capped by the maximum).
  percentile(p) {
    if (this.n === 0) return null;
    const rank = Math.max(1, Math.ceil((p / 100) * this.n));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i];
      if (seen >= rank) return Math.min((i + 1) * BUCKET_US, this.max);
    }
    return this.max;
  }
  mean() {
    return this.n ? this.sum / this.n : null;
  }
}

// ---------------------------------------------------------------- worker

function runWorker() {
  const { Client } = require("colyseus.js");
  const { RawArenaClient, InputEncoder } = require("./raw-client.js");
  const encoder = new InputEncoder();
  const views = new Map(); // roomId -> RoomView (raw clients share one decoder per room)
  let cfg = null; // {host, port, players, connectRate, inputHz, joinTimeout, index}
  let windowStart = Infinity; // performance.timeOrigin-based epoch ms
  let windowEnd = Infinity;
  const now = () => performance.timeOrigin + performance.now(); // epoch ms, sub-ms resolution
  const inWindow = (t) => t >= windowStart && t < windowEnd;

  // How late this process's event loop runs (timers sampled every 1 ms): the
  // bots' own share of the latency they report.
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  const latency = new Histogram(); // receipt at the read (as citadel-bench)
  const latencyBatch = new Histogram(); // receipt at the loop turn's first read
  const inputLag = new Histogram();
  const rooms = new Map(); // roomId -> {newest, firstTick, firstAt, lastTick, lastAt}
  const players = [];
  const counts = {
    joined: 0, joinFailed: 0, disconnects: 0, errors: 0, inputsSent: 0, inputsMeasured: 0,
    acks: 0, evicted: 0, states: 0, statesMeasured: 0, joinErrors: {}, errorKinds: {},
  };
  let done = 0; // joined + failed
  let stopping = false;

  function observeTick(room, tick, t) {
    if (tick <= room.newest) return;
    room.newest = tick;
    if (!inWindow(t)) return;
    if (room.firstTick === 0) {
      room.firstTick = tick;
      room.firstAt = t;
    }
    room.lastTick = tick;
    room.lastAt = t;
  }

  // A state for player p at time t: the room's tick and p's own ack.
  function onAck(p, tick, ack, t, tBatch = t) {
    counts.states++;
    const measured = inWindow(t);
    if (measured) counts.statesMeasured++;
    observeTick(p.roomTicks, tick, t);
    if (!(ack >= p.lowest)) return;
    // Every pending input up to ack is answered now. The ring holds the last
    // RING sends; older ones were counted when they fell out (evicted).
    const from = Math.max(p.lowest, p.seq - RING + 1);
    const to = Math.min(ack, p.seq);
    if (measured) {
      for (let s = from; s <= to; s++) {
        latency.record((t - p.sent[s % RING]) * 1000);
        latencyBatch.record((tBatch - p.sent[s % RING]) * 1000);
        counts.acks++;
      }
    }
    p.lowest = to + 1;
  }

  // colyseus.js client: after its own decoder has applied the patch.
  function onColyseusState(p) {
    const t = now();
    const state = p.room.state;
    let me = p.me;
    if (me === null || me === undefined) {
      me = p.me = state.players && state.players.get(p.room.sessionId);
      if (!me) return;
    }
    onAck(p, state.tick, me.ack, t);
  }

  function sendInput(p, due, t) {
    const seq = ++p.seq;
    // The ring slot of seq - RING still pending: it is given up, its wait a lower bound.
    if (seq - RING >= p.lowest) {
      if (inWindow(t)) latency.record((t - p.sent[seq % RING]) * 1000);
      counts.evicted++;
      p.lowest = seq - RING + 1;
    }
    // A random walk, as citadel-bench: steps of up to 0.25, clamped to [-1, 1].
    p.dx = Math.max(-1, Math.min(1, p.dx + (Math.random() - 0.5) * 0.5));
    p.dy = Math.max(-1, Math.min(1, p.dy + (Math.random() - 0.5) * 0.5));
    if (p.raw) p.raw.send(encoder.encode("input", { seq, dx: p.dx, dy: p.dy }));
    else p.room.send("input", { seq, dx: p.dx, dy: p.dy });
    p.sent[seq % RING] = now(); // after the send call: ws has written it (or queued it)
    counts.inputsSent++;
    if (inWindow(t)) {
      counts.inputsMeasured++;
      inputLag.record((t - due) * 1000);
    }
  }

  // One pacer for all players: each has a phase in the period, spread evenly,
  // and sends when its due time has passed (absolute schedule: no drift).
  function startPacer() {
    const period = 1000 / cfg.inputHz;
    const base = now();
    const order = players.slice(); // players sorted by phase
    order.forEach((p, i) => {
      p.due = base + (period * i) / order.length;
    });
    let cursor = 0;
    const loop = () => {
      if (stopping) return;
      const t = now();
      // Send every player due by now, in phase order; the cursor wraps.
      let guard = order.length;
      while (guard-- > 0) {
        const p = order[cursor];
        if (p.due > t) break;
        if (p.inRoom) sendInput(p, p.due, t);
        p.due += period;
        if (p.due < t - period) p.due = t; // far behind (stall): do not burst
        cursor = (cursor + 1) % order.length;
      }
      const wait = Math.max(0, order[cursor].due - now());
      setTimeout(loop, wait);
    };
    loop();
  }

  function roomTicksOf(roomId) {
    let r = rooms.get(roomId);
    if (!r) {
      r = { newest: 0, firstTick: 0, firstAt: 0, lastTick: 0, lastAt: 0 };
      rooms.set(roomId, r);
    }
    return r;
  }

  function joinFailed(err) {
    counts.joinFailed++;
    const key = String((err && (err.code || err.message)) || err).slice(0, 60);
    counts.joinErrors[key] = (counts.joinErrors[key] || 0) + 1;
  }

  function joinDone() {
    done++;
    if (done === cfg.players) process.send({ type: "joined", joined: counts.joined, failed: counts.joinFailed });
  }

  function inRoom(p, roomId) {
    p.roomTicks = roomTicksOf(roomId);
    p.inRoom = true;
    p.joinedAt = now();
    counts.joined++;
  }

  function left(p) {
    if (p.inRoom && !stopping) {
      counts.disconnects++;
      p.leftAt = now();
    }
    p.inRoom = false;
  }

  // A real colyseus.js client.
  async function joinColyseus(p) {
    const client = new Client(`ws://${cfg.host}:${cfg.port}`);
    try {
      const room = await client.joinOrCreate("arena");
      p.room = room;
      inRoom(p, room.roomId);
      room.onStateChange(() => onColyseusState(p));
      room.onLeave(() => left(p));
      room.onError(() => {
        if (!stopping) counts.errors++;
      });
    } catch (err) {
      joinFailed(err);
    }
    joinDone();
  }

  // The light client (raw-client.js): same bytes to the server.
  async function joinRaw(p) {
    const c = new RawArenaClient(cfg.host, cfg.port, views, rawHooks);
    c.player = p;
    try {
      await c.join("arena");
      p.raw = c;
      inRoom(p, c.roomId);
    } catch (err) {
      joinFailed(err);
    }
    joinDone();
  }

  const rawHooks = {
    onPatch: (c, snap) => {
      const ack = snap.acks.get(c.sessionId);
      onAck(c.player, snap.tick, ack === undefined ? 0 : ack, c.readAt, c.batchAt);
    },
    onClose: (c) => left(c.player),
    onError: (c, why) => {
      if (stopping) return;
      counts.errors++;
      counts.errorKinds[why] = (counts.errorKinds[why] || 0) + 1;
    },
  };

  const join = (p) => (cfg.client === "raw" ? joinRaw(p) : joinColyseus(p));

  function joinAll() {
    for (let i = 0; i < cfg.players; i++) {
      players.push({
        i, room: null, raw: null, me: null, seq: 0, lowest: 1, sent: new Float64Array(RING),
        dx: 0, dy: 0, inRoom: false, roomTicks: null, due: 0,
      });
    }
    const gap = 1000 / cfg.connectRate;
    const start = now();
    let next = 0;
    const tick = () => {
      const t = now();
      while (next < cfg.players && start + next * gap <= t) join(players[next++]);
      if (next < cfg.players) setTimeout(tick, Math.max(1, start + next * gap - now()));
    };
    tick();
  }

  function result() {
    const t1 = windowEnd;
    const stall = 3000 / TICK_HZ; // a room silent for 3 tick periods before the end is stalled
    const rates = [];
    for (const [id, r] of rooms) {
      if (r.firstTick === 0 || r.lastTick === r.firstTick) continue;
      const until = t1 - r.lastAt > stall ? t1 : r.lastAt;
      const s = (until - r.firstAt) / 1000;
      if (s > 0) rates.push([id, (r.lastTick - r.firstTick) / s]);
    }
    let inAtStart = 0;
    let inAtEnd = 0;
    for (const p of players) {
      if (p.joinedAt !== undefined && p.joinedAt <= windowStart && !(p.leftAt <= windowStart)) inAtStart++;
      if (p.inRoom) inAtEnd++;
    }
    return {
      type: "result", counts, rates, inAtStart, inAtEnd, roomIds: [...rooms.keys()],
      latency: latency.toJSON(), latencyBatch: latencyBatch.toJSON(), inputLag: inputLag.toJSON(),
      loopDelayP99Us: loopDelay.count ? loopDelay.percentile(99) / 1000 : null,
      loopDelayMaxUs: loopDelay.count ? loopDelay.max / 1000 : null,
    };
  }

  process.on("message", (m) => {
    if (m.type === "start") {
      cfg = m.cfg;
      joinAll();
      // Inputs start once the joins are paced out; players not yet in are skipped.
      setTimeout(startPacer, 0);
    } else if (m.type === "window") {
      windowStart = m.start;
      windowEnd = m.end;
      setTimeout(() => loopDelay.enable(), Math.max(0, windowStart - now()));
      setTimeout(() => {
        stopping = true;
        loopDelay.disable();
        process.send(result());
        // Leave without closing politely: the server is stopped after the run.
        setTimeout(() => process.exit(0), 200);
      }, Math.max(0, windowEnd - now()) + 100);
    } else if (m.type === "stop") {
      process.exit(0);
    }
  });
  process.on("disconnect", () => process.exit(0));
}

// ---------------------------------------------------------------- controller

function procStat(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / CLK_TCK; // utime + stime, seconds
  } catch {
    return null;
  }
}

function rssKb(pid) {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

async function runController(o) {
  const t0 = Date.now();
  const now = () => performance.timeOrigin + performance.now();
  const log = (...a) => { if (!o.quiet) console.error(...a); };
  const rssBefore = o.serverPid ? rssKb(o.serverPid) : null;
  const workers = [];
  const base = Math.floor(o.players / o.procs);
  for (let k = 0; k < o.procs; k++) {
    const n = base + (k < o.players % o.procs ? 1 : 0);
    if (n === 0) continue;
    const w = fork(__filename, ["--worker"], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    w.n = n;
    w.joined = null;
    w.result = null;
    w.exitCode = null;
    w.on("exit", (code) => { w.exitCode = code; });
    workers.push(w);
    w.send({
      type: "start",
      cfg: {
        host: o.host, port: o.port, players: n, connectRate: o.connectRate / o.procs,
        inputHz: o.inputHz, joinTimeout: o.joinTimeout, index: k, client: o.client,
      },
    });
  }
  const onMessage = (w) => new Promise((resolve) => w.on("message", (m) => {
    if (m.type === "joined") w.joined = m;
    if (m.type === "result") { w.result = m; resolve(); }
  }));
  const results = Promise.all(workers.map(onMessage));

  // Connect phase: every player joined or failed, bounded.
  const limit = now() + (o.players / o.connectRate + o.joinTimeout) * 1000;
  while (workers.some((w) => w.joined === null && w.exitCode === null) && now() < limit) {
    await new Promise((r) => setTimeout(r, 50));
  }
  const connectS = (Date.now() - t0) / 1000;
  const joined = workers.reduce((a, w) => a + (w.joined ? w.joined.joined : 0), 0);
  log(`colyseus bots: ${joined}/${o.players} joined in ${connectS.toFixed(1)} s; warm-up ${o.warmup} s, measuring ${o.duration} s`);
  const rssAfter = o.serverPid ? rssKb(o.serverPid) : null;
  const start = now() + o.warmup * 1000;
  const end = start + o.duration * 1000;
  for (const w of workers) if (w.exitCode === null) w.send({ type: "window", start, end });

  // Server CPU over exactly the window.
  let cpuA = null;
  let cpuB = null;
  await new Promise((r) => setTimeout(r, Math.max(0, start - now())));
  cpuA = o.serverPid ? procStat(o.serverPid) : null;
  const benchA = [process.pid, ...workers.map((w) => w.pid)].map(procStat);
  const progress = o.quiet ? null : setInterval(() => log(`  measuring... ${Math.round((now() - start) / 1000)} s`), 5000);
  await new Promise((r) => setTimeout(r, Math.max(0, end - now())));
  cpuB = o.serverPid ? procStat(o.serverPid) : null;
  const benchB = [process.pid, ...workers.map((w) => w.pid)].map(procStat);
  if (progress) clearInterval(progress);
  const serverAlive = o.serverPid ? procStat(o.serverPid) !== null : true;

  // Results, bounded: a worker that does not answer within 30 s counts as failed.
  await Promise.race([results, new Promise((r) => setTimeout(r, 30000))]);
  // Workers exit by themselves once they have reported; stop the others.
  for (let i = 0; i < 40 && workers.some((w) => w.exitCode === null); i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  for (const w of workers) if (w.exitCode === null) w.kill("SIGTERM");

  const lat = new Histogram();
  const latB = new Histogram();
  const lag = new Histogram();
  const c = {
    joined: 0, joinFailed: 0, disconnects: 0, errors: 0, inputsSent: 0, inputsMeasured: 0,
    acks: 0, evicted: 0, states: 0, statesMeasured: 0, joinErrors: {}, errorKinds: {},
  };
  const best = new Map();
  const seen = new Set();
  let inAtStart = 0;
  let inAtEnd = 0;
  let missing = 0;
  let loopP99 = null; // the worst worker's
  let loopMax = null;
  for (const w of workers) {
    const r = w.result;
    if (!r) { missing++; continue; }
    lat.merge(r.latency);
    latB.merge(r.latencyBatch);
    lag.merge(r.inputLag);
    for (const k of Object.keys(c)) {
      if (k === "joinErrors" || k === "errorKinds") {
        for (const [e, n] of Object.entries(r.counts[k])) c[k][e] = (c[k][e] || 0) + n;
      } else c[k] += r.counts[k];
    }
    for (const id of r.roomIds) seen.add(id);
    for (const [id, hz] of r.rates) if (!best.has(id) || hz > best.get(id)) best.set(id, hz);
    inAtStart += r.inAtStart;
    inAtEnd += r.inAtEnd;
    if (r.loopDelayP99Us !== null && !(r.loopDelayP99Us <= loopP99)) loopP99 = r.loopDelayP99Us;
    if (r.loopDelayMaxUs !== null && !(r.loopDelayMaxUs <= loopMax)) loopMax = r.loopDelayMaxUs;
  }
  const hz = [...best.values()].sort((a, b) => a - b);
  const median = (v) => (v.length ? (v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2) : 0);
  // A room with no measurable rate in the window (fewer than two ticks seen) is slow too.
  const slow = hz.filter((h) => h < 0.975 * TICK_HZ).length + (seen.size - hz.length);
  const serverCpuS = cpuA !== null && cpuB !== null ? cpuB - cpuA : null;
  // The bots' CPU (controller and workers, /proc/PID/stat) over the window.
  let benchCpuS = 0;
  for (let k = 0; k < benchA.length; k++) {
    if (benchA[k] === null || benchB[k] === null) benchCpuS = null;
    else if (benchCpuS !== null) benchCpuS += benchB[k] - benchA[k];
  }
  const out = {
    scenario: "arena",
    server: "colyseus",
    transport: "ws",
    client: o.client,
    players: o.players,
    procs: workers.length,
    connected: c.joined,
    failed: c.joinFailed,
    disconnects: c.disconnects,
    logged_in: c.joined,
    joins_sent: o.players,
    joined: c.joined,
    joins_refused: c.joinFailed,
    join_errors: c.joinErrors,
    error_kinds: c.errorKinds,
    in_room_at_start: inAtStart,
    in_room_at_end: inAtEnd,
    rooms: hz.length,
    rooms_seen: seen.size,
    tick_hz: TICK_HZ,
    room_hz_min: hz.length ? hz[0] : 0,
    room_hz_median: median(hz),
    room_hz_max: hz.length ? hz[hz.length - 1] : 0,
    slow_rooms: slow,
    input_hz: o.inputHz,
    duration_s: o.duration,
    inputs_sent: c.inputsMeasured,
    inputs_sent_total: c.inputsSent,
    acks: c.acks,
    inputs_never_acked: c.evicted,
    states_per_player_s: inAtStart ? c.statesMeasured / inAtStart / o.duration : 0,
    p50_us: lat.percentile(50),
    p90_us: lat.percentile(90),
    p99_us: lat.percentile(99),
    p999_us: lat.percentile(99.9),
    max_us: lat.max,
    mean_us: lat.mean(),
    // The same acks timed at the first read of the bots' loop turn (see
    // raw-client.js): without the bots' own queue; equal to the above for
    // --client colyseus.js.
    batch_p50_us: latB.percentile(50),
    batch_p99_us: latB.percentile(99),
    batch_max_us: latB.max,
    errors: c.errors + missing,
    workers_missing: missing,
    server_alive: serverAlive,
    interrupted: false,
    rss_before_kb: rssBefore,
    rss_after_kb: rssAfter,
    rss_per_player_bytes: rssBefore !== null && rssAfter !== null && c.joined ? ((rssAfter - rssBefore) * 1024) / c.joined : null,
    server_cpu_s: serverCpuS,
    server_cores_per_1000: serverCpuS !== null && inAtStart ? (serverCpuS / o.duration) * 1000 / inAtStart : null,
    bench_cpu_s: benchCpuS,
    input_lag_p99_us: lag.percentile(99),
    input_lag_max_us: lag.max,
    bots_loop_delay_p99_us: loopP99,
    bots_loop_delay_max_us: loopMax,
    threads: workers.length,
    connect_s: connectS,
    node: process.version,
  };
  const { version: cjsVersion } = require("colyseus.js/package.json");
  out.colyseus_js = cjsVersion;
  if (!o.quiet) {
    log(`  rooms          ${hz.length} (min ${out.room_hz_min.toFixed(2)} median ${out.room_hz_median.toFixed(2)} max ${out.room_hz_max.toFixed(2)} Hz; ${slow} below 97.5 %)`);
    log(`  in rooms       ${inAtStart} at the window's start, ${inAtEnd} at the end; ${c.disconnects} disconnects, ${c.errors} errors`);
    log(`  states         ${out.states_per_player_s.toFixed(2)} per player per second`);
    const f = (v) => (v === null ? "-" : (v / 1000).toFixed(2));
    log(`  input->ack ms  p50 ${f(out.p50_us)}  p90 ${f(out.p90_us)}  p99 ${f(out.p99_us)}  max ${f(out.max_us)} (${c.acks} acks, ${c.evicted} never acked)`);
    log(`  ... at turn    p50 ${f(out.batch_p50_us)}  p99 ${f(out.batch_p99_us)}  max ${f(out.batch_max_us)} (timed at the first read of the bots' loop turn)`);
    if (benchCpuS !== null) log(`  bots CPU       ${(benchCpuS / o.duration * 100).toFixed(1)} % of a core (all bot processes)`);
    if (serverCpuS !== null) log(`  server CPU     ${serverCpuS.toFixed(2)} s in ${o.duration} s: ${(out.server_cores_per_1000 * 100).toFixed(1)} % of a core per 1,000 players`);
    log(`  input lag      p99 ${f(out.input_lag_p99_us)} ms (inputs sent late: the bots' own delay)`);
    log(`  bots' loop     delay p99 ${f(loopP99)} ms, max ${f(loopMax)} ms (event loop, sampled every 1 ms)`);
  }
  return out;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (o.worker) {
    runWorker();
    return;
  }
  const out = await runController(o);
  console.log(JSON.stringify(out));
  process.exit(out.joined > 0 ? 0 : 1);
}

main().catch((err) => {
  console.error(`bots.js: ${err && err.message ? err.message : err}`);
  process.exit(1);
});
