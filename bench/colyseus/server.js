#!/usr/bin/env node
// The Colyseus peer of Citadel's arena demo (issue 15; rules in
// docs/protocol.md, "The arena demo", and src/rooms/games/arena_room.cc):
// rooms of 16 players on a 1000 x 1000 field, starting at (500, 500); inputs
// {seq, dx, dy} at 20 Hz; every 50 ms tick applies each player's latest input
// (x += dx * 5, y += dy * 5, clamped to the field) and sets ack = its seq;
// then the state (x, y, ack per player, the tick number) goes to every member
// as a @colyseus/schema patch. Matchmaking is Colyseus's own joinOrCreate.
//
//   node server.js [--port N] [--patch after-tick|interval|manual]
//
// --port 0 (default) binds any free port. Prints "listening on
// 127.0.0.1:PORT" once bound (bench/lib.sh's start_server reads it).
// Loopback only. Stops on SIGTERM / SIGINT.
//
// --patch decides when the patch of a tick leaves (the simulation interval is
// 50 ms in every mode):
//   after-tick (default)  patchRate = 50 ms, set after setSimulationInterval,
//                         so the patch timer fires right after the tick's
//                         timer in the same pass of Node's 50 ms timer list:
//                         each tick's result leaves at once, as in Citadel.
//   interval              Colyseus's default order: the patch timer (started
//                         by the room before onCreate) fires just before the
//                         simulation's, so a tick's result waits ~50 ms.
//   manual                patchRate = null and broadcastPatch() at the end
//                         of each simulation step (the documented way to send
//                         patches by hand).
"use strict";

const { Server, Room } = require("@colyseus/core");
const { WebSocketTransport } = require("@colyseus/ws-transport");
const { schema, MapSchema } = require("@colyseus/schema");

const FIELD = 1000; // ArenaRoom::kFieldSize
const SPEED = 5; // ArenaRoom::kSpeed
const TICK_MS = 50; // 20 Hz
const ROOM_SIZE = 16;

const Player = schema({
  x: "float32",
  y: "float32",
  ack: "uint32", // seq of the latest input applied for this player
});

const ArenaState = schema({
  tick: "uint32", // simulation steps so far: the bots time each room's rate with it
  players: { map: Player }, // by sessionId
});

function parseArgs(argv) {
  const out = { port: 0, patch: "after-tick" };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === "--port") out.port = Number(next());
    else if (a === "--patch") out.patch = next();
    else if (a === "--help" || a === "-h") {
      console.log("usage: node server.js [--port N] [--patch after-tick|interval|manual]");
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  if (!Number.isInteger(out.port) || out.port < 0 || out.port > 65535) throw new Error("bad --port");
  if (!["after-tick", "interval", "manual"].includes(out.patch)) throw new Error("bad --patch");
  return out;
}

const clamp = (v, lo, hi) => (v < lo ? lo : v > hi ? hi : v);

function makeArenaRoom(patchMode) {
  return class ArenaRoom extends Room {
    onCreate() {
      this.maxClients = ROOM_SIZE;
      const state = new ArenaState();
      state.tick = 0;
      state.players = new MapSchema();
      this.setState(state);
      // Per player, not synced: the latest input and its seq.
      this.inputs = new Map();
      if (patchMode === "manual") this.patchRate = null;
      this.setSimulationInterval(() => this.step(), TICK_MS);
      // Re-set after the simulation interval: the patch timer is re-created
      // behind the simulation's in the same 50 ms list (see the header).
      if (patchMode === "after-tick") this.patchRate = TICK_MS;
      // "interval" keeps the patch timer the room started before onCreate.
      this.onMessage("input", (client, msg) => this.input(client, msg));
    }

    onJoin(client) {
      const p = new Player();
      p.x = FIELD / 2;
      p.y = FIELD / 2;
      p.ack = 0;
      this.state.players.set(client.sessionId, p);
      this.inputs.set(client.sessionId, { seq: 0, dx: 0, dy: 0, player: p });
    }

    onLeave(client) {
      this.state.players.delete(client.sessionId);
      this.inputs.delete(client.sessionId);
    }

    // Citadel's ArenaRoom::on_input: an older or equal seq is stale; NaN or
    // non-numbers are ignored; dx, dy clamped to [-1, 1].
    input(client, msg) {
      const a = this.inputs.get(client.sessionId);
      if (a === undefined || msg === null || typeof msg !== "object") return;
      const { seq, dx, dy } = msg;
      if (typeof seq !== "number" || typeof dx !== "number" || typeof dy !== "number") return;
      if (!(seq > a.seq) || Number.isNaN(dx) || Number.isNaN(dy)) return;
      a.seq = seq;
      a.dx = clamp(dx, -1, 1);
      a.dy = clamp(dy, -1, 1);
    }

    // Citadel's ArenaRoom::on_tick. Schema sends only what changed.
    step() {
      const s = this.state;
      s.tick = s.tick + 1;
      for (const a of this.inputs.values()) {
        if (a.seq === 0) continue; // no input yet
        const p = a.player;
        const x = clamp(p.x + a.dx * SPEED, 0, FIELD);
        const y = clamp(p.y + a.dy * SPEED, 0, FIELD);
        if (x !== p.x) p.x = x;
        if (y !== p.y) p.y = y;
        if (p.ack !== a.seq) p.ack = a.seq;
      }
      if (patchMode === "manual") this.broadcastPatch();
    }
  };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const transport = new WebSocketTransport();
  const server = new Server({ transport, greet: false, gracefullyShutdown: false });
  server.define("arena", makeArenaRoom(opts.patch));
  await server.listen(opts.port, "127.0.0.1");
  const addr = transport.server.address();
  console.log(`listening on 127.0.0.1:${addr.port} (colyseus arena, patch ${opts.patch}, node ${process.version})`);
  const stop = () => {
    // The benchmark stops the server only between runs: no need to drain.
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
