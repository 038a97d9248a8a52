// A light arena client for the bots: it sends the server exactly what a
// colyseus.js 0.16 client sends, at a fraction of the CPU, so that one bot
// core can drive more players than one server core can serve.
//
// What is colyseus.js's own code here, and what is not:
//   - matchmaking: the same POST /matchmake/joinOrCreate/arena through
//     @colyseus/httpie, with the headers and body colyseus.js's Client sends;
//   - inputs: encoded by colyseus.js's Room.prototype.send itself (a Room
//     whose connection only captures the bytes): ROOM_DATA, the type
//     "input", then msgpack {seq, dx, dy};
//   - state: decoded by colyseus.js's SchemaSerializer (@colyseus/schema's
//     Decoder), but once per room and tick in each bot process instead of once
//     per player: every member of a room receives the same patch bytes, so
//     the first member to receive a patch decodes it and the others find it
//     by its bytes among the room's last few patches; each player's own ack
//     and the tick are then read from that decoded patch;
//   - the WebSocket: hand-written on net.Socket instead of the `ws` package
//     (its client is what colyseus.js uses under Node < 22): the same upgrade
//     request (the headers `ws` sends), masked binary frames with a fresh
//     random key each (as `ws`), TCP_NODELAY (as `ws`), pongs to the
//     server's pings, the JOIN_ROOM acknowledgement.
// check-wire.js compares what the server receives from both kinds of client.
"use strict";

const net = require("node:net");
const crypto = require("node:crypto");
const httpie = require("@colyseus/httpie");
const { Room: ColyseusRoom, SchemaSerializer, Protocol } = require("colyseus.js");
const { decode } = require("@colyseus/schema");

// ------------------------------------------------------------ input encoder

// colyseus.js's own Room.send, with a connection that only keeps the bytes.
class InputEncoder {
  constructor() {
    this.room = new ColyseusRoom("arena");
    this.bytes = null;
    this.room.connection = { send: (data) => { this.bytes = data; } };
  }
  // The message body as colyseus.js would hand it to its WebSocket. The view
  // is into a reused buffer: frame it before the next call.
  encode(type, message) {
    this.room.send(type, message);
    return this.bytes;
  }
}

// ------------------------------------------------------------ frames

const POOL_SIZE = 8192;
const pool = Buffer.alloc(POOL_SIZE);
let poolAt = POOL_SIZE;

// A client frame: FIN, OPCODE, masked with 4 fresh random bytes (as ws does,
// from a pool filled by crypto.randomFillSync).
function clientFrame(opcode, payload) {
  const len = payload.length;
  const hl = len < 126 ? 2 : len < 65536 ? 4 : 10;
  const f = Buffer.allocUnsafe(hl + 4 + len);
  f[0] = 0x80 | opcode;
  if (len < 126) {
    f[1] = 0x80 | len;
  } else if (len < 65536) {
    f[1] = 0x80 | 126;
    f.writeUInt16BE(len, 2);
  } else {
    f[1] = 0x80 | 127;
    f.writeBigUInt64BE(BigInt(len), 2);
  }
  if (poolAt + 4 > POOL_SIZE) {
    crypto.randomFillSync(pool);
    poolAt = 0;
  }
  const m0 = pool[poolAt], m1 = pool[poolAt + 1], m2 = pool[poolAt + 2], m3 = pool[poolAt + 3];
  f[hl] = m0;
  f[hl + 1] = m1;
  f[hl + 2] = m2;
  f[hl + 3] = m3;
  poolAt += 4;
  const o = hl + 4;
  for (let i = 0; i < len; i++) {
    const k = i & 3;
    f[o + i] = payload[i] ^ (k === 0 ? m0 : k === 1 ? m1 : k === 2 ? m2 : m3);
  }
  return f;
}

// ------------------------------------------------------------ shared room view

const RECENT = 8; // patches a room keeps for its other members to find

// One per room in a bot process: the decoder, shared by the members.
class RoomView {
  constructor(roomId) {
    this.roomId = roomId;
    this.serializer = null;
    this.based = false;
    this.recent = []; // newest first: {bytes, tick, acks: Map(sessionId -> ack)}
    this.decodeErrors = 0;
  }

  handshake(bytes, it) {
    if (this.serializer !== null) return;
    const s = new SchemaSerializer();
    s.handshake(bytes, it);
    this.serializer = s;
  }

  // The first full state seen in this process is the decoder's base; later
  // members' full states describe the same room and are not needed.
  fullState(bytes) {
    if (this.based || this.serializer === null) return;
    this.serializer.setState(bytes, { offset: 1 });
    this.based = true;
  }

  // bytes: the whole ROOM_STATE_PATCH message. Returns the decoded patch
  // (shared by every member) or null.
  patch(bytes) {
    const len = bytes.length;
    for (let i = 0; i < this.recent.length; i++) {
      const r = this.recent[i];
      if (r.bytes.length === len && r.bytes.equals(bytes)) return r;
    }
    if (!this.based) return null;
    let state;
    try {
      this.serializer.patch(bytes, { offset: 1 });
      state = this.serializer.getState();
    } catch (err) {
      this.decodeErrors++;
      return null;
    }
    const acks = new Map();
    state.players.forEach((p, id) => acks.set(id, p.ack));
    const snap = { bytes: Buffer.from(bytes), tick: state.tick, acks };
    this.recent.unshift(snap);
    if (this.recent.length > RECENT) this.recent.pop();
    return snap;
  }
}

// ------------------------------------------------------------ client

const READ_BUFFER = Buffer.allocUnsafe(256 * 1024); // onread: shared, used synchronously

// Receipt clocks. readAt: when this socket's read is handled (what
// citadel-bench takes: per read, so it includes the time the process spent
// on the sockets handled before it in the same turn). batchAt: when the first
// read of the current turn of the event loop was handled, shared by every
// read of that turn (setImmediate runs after the turn's I/O callbacks): close
// to when epoll reported them all, so it leaves out the bots' own queue.
const { performance } = require("node:perf_hooks");
const epochMs = () => performance.timeOrigin + performance.now();
let batchAt = null;
const endBatch = () => { batchAt = null; };
function readClock() {
  const t = epochMs();
  if (batchAt === null) {
    batchAt = t;
    setImmediate(endBatch);
  }
  return t;
}

// hooks: {onPatch(client, snap) (times: client.readAt, client.batchAt, epoch ms),
//         onClose(client, code), onError(client, what)}
// views: Map roomId -> RoomView (one per bot process)
class RawArenaClient {
  constructor(host, port, views, hooks) {
    this.host = host;
    this.port = port;
    this.views = views;
    this.hooks = hooks;
    this.sessionId = null;
    this.roomId = null;
    this.view = null;
    this.socket = null;
    this.pending = null; // bytes of an incomplete frame
    this.upgraded = false;
    this.joined = false;
    this.closed = false;
    this.otherMessages = 0;
    this.readAt = 0;
    this.batchAt = 0;
  }

  // Matchmaking, then the WebSocket; resolves once the server's JOIN_ROOM is
  // in and acknowledged (when colyseus.js's joinOrCreate resolves).
  async join(roomName = "arena", options = {}) {
    const res = await httpie.post(`http://${this.host}:${this.port}/matchmake/joinOrCreate/${roomName}`, {
      headers: { Accept: "application/json", "Content-Type": "application/json" },
      body: JSON.stringify(options),
    });
    const r = res.data;
    if (r.error) throw new Error(`matchmake: ${r.error} (${r.code})`);
    this.sessionId = r.sessionId;
    this.roomId = r.room.roomId;
    let view = this.views.get(this.roomId);
    if (view === undefined) {
      view = new RoomView(this.roomId);
      this.views.set(this.roomId, view);
    }
    this.view = view;
    const path = `/${r.room.processId}/${r.room.roomId}?sessionId=${r.sessionId}`;
    return new Promise((resolve, reject) => {
      this.onJoined = resolve;
      this.onFailed = reject;
      const key = crypto.randomBytes(16).toString("base64");
      this.socket = net.connect({
        host: this.host,
        port: this.port,
        noDelay: true,
        onread: { buffer: READ_BUFFER, callback: (n, buf) => { this.onBytes(buf, n); } },
      });
      this.socket.on("connect", () => {
        // The request `ws` 8 makes for colyseus.js (http.request with these headers).
        this.socket.write(
          `GET ${path} HTTP/1.1\r\n` +
          `Sec-WebSocket-Version: 13\r\n` +
          `Sec-WebSocket-Key: ${key}\r\n` +
          `Connection: Upgrade\r\n` +
          `Upgrade: websocket\r\n` +
          `Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n` +
          `Host: ${this.host}:${this.port}\r\n\r\n`);
      });
      this.socket.on("error", (err) => this.fail(`socket: ${err.code || err.message}`));
      this.socket.on("close", () => this.lost(1006));
    });
  }

  send(bytes) {
    if (this.closed) return;
    this.socket.write(clientFrame(0x2, bytes));
  }

  // graceful: an empty close frame first (what ws's close() sends), then FIN.
  close(graceful = false) {
    if (graceful && !this.closed && this.socket) {
      this.socket.end(clientFrame(0x8, Buffer.alloc(0)));
      this.closed = true;
      return;
    }
    this.closed = true;
    if (this.socket) this.socket.destroy();
  }

  fail(why) {
    if (!this.joined && this.onFailed) {
      const f = this.onFailed;
      this.onFailed = null;
      this.close();
      f(new Error(why));
    } else if (!this.closed) {
      this.hooks.onError(this, why);
    }
  }

  lost(code) {
    if (this.closed) return;
    this.closed = true;
    if (!this.joined) {
      this.fail(`closed before joining (${code})`);
      return;
    }
    this.hooks.onClose(this, code);
  }

  onBytes(buf, n) {
    this.readAt = readClock();
    this.batchAt = batchAt;
    let data = buf.subarray(0, n);
    if (this.pending !== null) {
      data = Buffer.concat([this.pending, data]);
      this.pending = null;
    }
    let off = 0;
    if (!this.upgraded) {
      const end = data.indexOf("\r\n\r\n");
      if (end < 0) {
        this.pending = Buffer.from(data);
        return;
      }
      const head = data.toString("latin1", 0, end);
      if (!head.startsWith("HTTP/1.1 101")) {
        this.fail(`upgrade refused: ${head.split("\r\n")[0]}`);
        return;
      }
      this.upgraded = true;
      off = end + 4;
    }
    const total = data.length;
    while (total - off >= 2) {
      const b0 = data[off];
      const b1 = data[off + 1];
      let len = b1 & 0x7f;
      let hl = 2;
      if (len === 126) {
        if (total - off < 4) break;
        len = data.readUInt16BE(off + 2);
        hl = 4;
      } else if (len === 127) {
        if (total - off < 10) break;
        len = Number(data.readBigUInt64BE(off + 2));
        hl = 10;
      }
      const masked = (b1 & 0x80) !== 0;
      if (masked) hl += 4;
      if (total - off < hl + len) break;
      let payload = data.subarray(off + hl, off + hl + len);
      if (masked) { // servers do not mask; handled anyway
        payload = Buffer.from(payload);
        for (let i = 0; i < len; i++) payload[i] ^= data[off + hl - 4 + (i & 3)];
      }
      off += hl + len;
      this.onFrame(b0 & 0x0f, (b0 & 0x80) !== 0, payload);
      if (this.closed) return;
    }
    if (off < total) this.pending = Buffer.from(data.subarray(off));
  }

  onFrame(opcode, fin, payload) {
    if (opcode === 0x2 && fin) {
      this.onMessage(payload);
    } else if (opcode === 0x9) { // ping: pong with the same payload
      if (!this.closed) this.socket.write(clientFrame(0xa, payload));
    } else if (opcode === 0x8) { // close
      const code = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
      this.lost(code);
      if (this.socket) this.socket.destroy();
    } else if (opcode !== 0xa) {
      this.fail(`unexpected frame opcode ${opcode}${fin ? "" : " (fragmented)"}`);
    }
  }

  onMessage(p) {
    const code = p[0];
    if (code === Protocol.ROOM_STATE_PATCH) {
      const snap = this.view.patch(p);
      if (snap !== null) this.hooks.onPatch(this, snap);
      else this.hooks.onError(this, "undecodable patch");
    } else if (code === Protocol.JOIN_ROOM) {
      // As colyseus.js's Room.onMessageCallback: reconnection token,
      // serializer id, handshake; then JOIN_ROOM back.
      const it = { offset: 1 };
      decode.utf8Read(p, it, p[it.offset++]); // reconnection token
      const serializerId = decode.utf8Read(p, it, p[it.offset++]);
      if (serializerId !== "schema") {
        this.fail(`serializer ${serializerId}`);
        return;
      }
      if (p.length > it.offset) this.view.handshake(p, it);
      this.socket.write(clientFrame(0x2, Buffer.from([Protocol.JOIN_ROOM])));
      this.joined = true;
      const ok = this.onJoined;
      this.onJoined = null;
      if (ok) ok(this);
    } else if (code === Protocol.ROOM_STATE) {
      this.view.fullState(p);
    } else if (code === Protocol.ERROR) {
      const it = { offset: 1 };
      const errCode = decode.number(p, it);
      const message = decode.string(p, it);
      this.fail(`server error ${errCode}: ${message}`);
    } else if (code === Protocol.LEAVE_ROOM) {
      // colyseus.js answers with LEAVE_ROOM and then sees the close.
      this.socket.write(clientFrame(0x2, Buffer.from([Protocol.LEAVE_ROOM])));
    } else {
      this.otherMessages++;
    }
  }
}

module.exports = { RawArenaClient, RoomView, InputEncoder, clientFrame };
