// Losing the connection and getting the session back, against a real server:
// a server that stops answering is detected by the heartbeat; a killed socket
// is reconnected and resumed, with a request made while reconnecting held and
// delivered, the pushes missed meanwhile replayed in order, and the room
// rejoined.

import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type WebSocket from 'ws';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { Cmd, cmdName, ConnectionLostError, GaveUpError, RoomEventKind, type ChatMessage } from '../../dist/node';
import { Clients } from '../support/clients';
import { collect, deviceId, nextEvent } from '../support/events';
import { startServer, type CitadelServer } from '../support/server';

describe('resilience', () => {
  let server: CitadelServer;
  const clients = new Clients(() => server.url);
  before(async () => {
    server = await startServer();
  });
  afterEach(() => {
    server.resume(); // a test that failed while the server was paused must not leave it so
    clients.closeAll();
  });
  after(() => server.stop());

  it('detects a dead connection by the heartbeat, then reconnects and resumes', async () => {
    const { client } = await clients.connected({
      heartbeatIntervalMs: 100,
      deadAfterMs: 600,
      connectTimeoutMs: 1000,
      backoff: { baseMs: 50, capMs: 200 },
    });
    const me = await client.loginGuest(deviceId('heartbeat'));
    const beat = await nextEvent(client, 'heartbeat'); // the heartbeat runs, and PONGs come back
    assert.ok(beat.rttMs >= 0 && client.stats.lastHeartbeatRttMs !== null);

    const down = nextEvent(client, 'disconnected', () => true, 5000);
    const pausedAt = Date.now();
    server.pause(); // its sockets stay open; nothing comes back: only the heartbeat can tell
    const { reason } = await down;
    const detectedAfter = Date.now() - pausedAt;
    assert.match(reason, /no frame from the server for \d+ ms: connection dead/);
    assert.ok(detectedAfter >= 550, `detected after ${detectedAfter} ms, before deadAfterMs`);
    assert.ok(detectedAfter < 3000, `detected only after ${detectedAfter} ms`);

    const resumed = nextEvent(client, 'session', (e) => e.kind === 'resumed', 10_000);
    server.resume();
    const event = await resumed;
    assert.equal(event.userId, me.userId);
    assert.equal(client.state, 'connected');
    assert.ok((await client.ping()) >= 0);
  });

  it('an attempt that never completes its handshake times out, and maxTries gives up', async () => {
    // A listener that accepts and never answers: the WebSocket upgrade hangs.
    const accepted: Socket[] = [];
    const blackHole = createServer((socket) => accepted.push(socket));
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    const { port } = blackHole.address() as AddressInfo;
    try {
      const { client } = clients.make({
        url: `ws://127.0.0.1:${port}/`,
        connectTimeoutMs: 200,
        backoff: { baseMs: 10, maxTries: 1 },
      });
      const reasons = collect(client, 'disconnected');
      const gaveUp = nextEvent(client, 'gaveUp');
      await assert.rejects(client.connect(), (e: unknown) => e instanceof GaveUpError && e.attempts === 1);
      assert.equal((await gaveUp).attempts, 1);
      assert.equal(reasons.length, 2, 'the first attempt and the one retry');
      for (const r of reasons) assert.match(r.reason, /no WebSocket connection within 200 ms/);
      assert.equal(client.state, 'idle');
    } finally {
      for (const socket of accepted) socket.destroy();
      await new Promise<void>((resolve) => blackHole.close(() => resolve()));
    }
  });

  it('a killed socket: in-flight requests fail, the session resumes, held requests go out, missed pushes replay', async () => {
    const fast = { backoff: { baseMs: 20, capMs: 100 } };
    const ann = await clients.connected(fast);
    const bob = await clients.connected(fast);
    const annMe = await ann.client.loginGuest(deviceId('ann'));
    await bob.client.loginGuest(deviceId('bob'));
    const room = await ann.client.rooms.joinOrCreate('arena');
    const heard: ChatMessage[] = collect(ann.client, 'chatMessage');

    // A request on the wire when the socket dies is failed, not resent.
    ann.gate.open = false; // reconnect attempts fail until the test is ready
    const down = nextEvent(ann.client, 'disconnected');
    const inFlight = ann.client.ping();
    ann.killSocket();
    await assert.rejects(inFlight, ConnectionLostError);
    await down;
    assert.equal(ann.client.state, 'reconnecting');
    assert.equal(ann.client.ready, false);

    // While ann is away bob talks in the world channel: ann's session keeps the pushes.
    const missed = ['while you were away 1', 'while you were away 2'];
    for (const text of missed) await bob.client.chat.sendWorld(text);

    // Made while reconnecting: held, then sent once the session is resumed.
    const bobHears = nextEvent(bob.client, 'chatMessage', (m) => m.text === 'back again');
    const held = ann.client.chat.sendWorld('back again');
    const sessions = collect(ann.client, 'session');
    const rejoined = nextEvent(ann.client, 'roomEvent', (e) => e.kind === RoomEventKind.Rejoined);
    const snapshot = nextEvent(ann.client, 'arenaState', (s) => s.state.snapshot);
    ann.gate.open = true;

    await held; // resolved: it reached a logged-in connection
    // On the new connection Resume went first, and the held ChatSend only after its AuthReply.
    const onNew = ann.wire.filter((w) => w.socket === ann.sockets.length - 1 && w.cmd !== Cmd.Ping && w.cmd !== Cmd.Pong);
    const order = onNew.map((w) => `${w.dir} ${cmdName(w.cmd)}`);
    assert.equal(order[0], 'out Resume');
    assert.ok(order.indexOf('in AuthReply') < order.indexOf('out ChatSend'), order.join(', '));
    assert.equal((await bobHears).fromUserId, annMe.userId);
    assert.deepEqual(sessions.map((e) => e.kind), ['resumed']);
    assert.equal(ann.client.session.userId, annMe.userId);
    assert.ok(ann.sockets.length >= 2, 'a new WebSocket');

    // The missed pushes came, in order, with rising push ids, before the held request's echo.
    const texts = heard.map((m) => m.text);
    const replayed = heard.filter((m) => missed.includes(m.text));
    assert.deepEqual(replayed.map((m) => m.text), missed);
    assert.ok(replayed[0]!.pushId < replayed[1]!.pushId);
    assert.ok(texts.includes('back again'), 'ann hears her own message, before its ChatReply');
    assert.ok(texts.indexOf(missed[1]!) < texts.indexOf('back again'), 'replayed right after the resume, before held requests');

    // Back in the arena room.
    assert.equal((await rejoined).roomId, room.roomId);
    assert.ok((await snapshot).players.has(annMe.userId));
    assert.equal(ann.client.rooms.current?.roomId, room.roomId);
    assert.equal(ann.client.stats.reconnects, 1);
  });

  it('lockstep: after a resume the frames continue from the last one seen, each once', async () => {
    const fast = { backoff: { baseMs: 20, capMs: 100 } };
    const ann = await clients.connected(fast);
    await ann.client.loginGuest(deviceId('ls'));
    await ann.client.rooms.create('lockstep');
    // Let some frames pass, then drop.
    await nextEvent(ann.client, 'lockstepFrame', (f) => f.frame >= 3);
    const frames: number[] = [];
    ann.client.on('lockstepFrame', (f) => frames.push(f.frame));
    const gaps = collect(ann.client, 'lockstepGap');
    const lastBefore = ann.client.lockstep.lastFrame;
    ann.gate.open = false;
    const down = nextEvent(ann.client, 'disconnected');
    ann.killSocket();
    await down;
    ann.gate.open = true;
    await nextEvent(ann.client, 'session', (e) => e.kind === 'resumed');
    // The room went on ticking meanwhile; wait until well past the resync.
    await nextEvent(ann.client, 'lockstepFrame', (f) => f.frame >= lastBefore + 15, 5000);
    const after = frames.filter((f) => f > lastBefore);
    assert.equal(after[0], lastBefore + 1, 'no frame lost across the drop');
    for (let i = 1; i < after.length; i++) assert.equal(after[i], after[i - 1]! + 1, 'each frame once, in order');
    assert.deepEqual(gaps, []);
  });

  it('lockstep: a resumed client gets no frame before it asks, then every missed frame once, in order', async () => {
    // The room holds a resumed player's frames until its RoomJoin says which
    // frame it saw last; a second player in the room shows the room ticking
    // meanwhile. The client resyncs by hand here.
    const ann = await clients.connected({ backoff: { baseMs: 20, capMs: 100 }, autoRoomResync: false });
    await ann.client.loginGuest(deviceId('ls-manual'));
    const room = await ann.client.rooms.create('lockstep');
    const bob = await clients.connected();
    await bob.client.loginGuest(deviceId('ls-witness'));
    await bob.client.rooms.join('lockstep', room.roomId);
    await nextEvent(ann.client, 'lockstepFrame', (f) => f.frame >= 3);
    const frames: number[] = [];
    ann.client.on('lockstepFrame', (f) => frames.push(f.frame));
    const gaps = collect(ann.client, 'lockstepGap');
    const lastBefore = ann.client.lockstep.lastFrame;
    ann.gate.open = false;
    const down = nextEvent(ann.client, 'disconnected');
    ann.killSocket();
    await down;
    const rejoined = nextEvent(ann.client, 'roomEvent', (e) => e.kind === RoomEventKind.Rejoined);
    ann.gate.open = true;
    await rejoined;
    const onTheWire = countFramesOnTheWire(ann.sockets[ann.sockets.length - 1]!);
    const now = bob.client.lockstep.lastFrame;
    await nextEvent(bob.client, 'lockstepFrame', (f) => f.frame >= now + 3, 5000);
    assert.equal(onTheWire.count, 0, 'no frame before the catch-up is asked for');
    await ann.client.rooms.join('lockstep', room.roomId); // lastFrame: the last one seen
    await nextEvent(ann.client, 'lockstepFrame', (f) => f.frame >= lastBefore + 10, 5000);
    assert.equal(frames[0], lastBefore + 1, 'the catch-up starts right after the last frame seen');
    for (let i = 1; i < frames.length; i++) assert.equal(frames[i], frames[i - 1]! + 1, 'each frame once, in order');
    assert.deepEqual(gaps, []);
  });
});

/** Counts the LockstepFrames (cmd 0x0321) arriving on the socket itself, from now on. */
function countFramesOnTheWire(socket: WebSocket): { count: number } {
  const seen = { count: 0 };
  socket.on('message', (data: ArrayBuffer) => {
    const bytes = Buffer.from(data); // the SDK set binaryType 'arraybuffer'
    if (bytes.length >= 4 && bytes.readUInt16BE(2) === 0x0321) seen.count++;
  });
  return seen;
}
