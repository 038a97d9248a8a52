// Rooms against a real server: two clients join-or-create into the same
// arena room and see each other move; a lockstep room's frames carry both
// players' inputs to both; the matchmaker puts two clients in one room.

import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import {
  MatchCancelledError,
  RoomError,
  RoomEventKind,
  RoomResult,
  type CitadelClient,
  type LockstepFrame,
} from '../../dist/node';
import { Clients } from '../support/clients';
import { deviceId, nextEvent } from '../support/events';
import { startServer, type CitadelServer } from '../support/server';

describe('rooms', () => {
  let server: CitadelServer;
  const clients = new Clients(() => server.url);
  before(async () => {
    server = await startServer();
  });
  afterEach(() => clients.closeAll());
  after(() => server.stop());

  async function guest(label: string): Promise<{ client: CitadelClient; userId: bigint }> {
    const { client } = await clients.connected();
    return { client, userId: (await client.loginGuest(deviceId(label))).userId };
  }

  it('arena: join-or-create seats both in one room, and each sees the other move', async () => {
    const ann = await guest('ann');
    const bob = await guest('bob');
    const annRoom = await ann.client.rooms.joinOrCreate('arena');
    assert.equal(annRoom.roomType, 'arena');
    assert.equal(annRoom.tickHz, 20);

    const bobJoined = nextEvent(ann.client, 'roomEvent', (e) => e.kind === RoomEventKind.PlayerJoined);
    const bobSnapshot = nextEvent(bob.client, 'arenaState', (s) => s.state.snapshot);
    const bobRoom = await bob.client.rooms.joinOrCreate('arena');
    assert.equal(bobRoom.roomId, annRoom.roomId, 'the fullest open room, not a new one');
    assert.deepEqual(new Set(bobRoom.members.map((m) => m.userId)), new Set([ann.userId, bob.userId]));
    assert.equal((await bobJoined).userId, bob.userId);
    assert.ok((await bobSnapshot).players.has(ann.userId), "bob's first state is a snapshot holding ann");
    assert.deepEqual(
      new Set(ann.client.rooms.current?.members.map((m) => m.userId)),
      new Set([ann.userId, bob.userId]),
      "ann's room knows bob from the PlayerJoined event",
    );

    // Both move; each must see the other's avatar move and its input acknowledged.
    const annSeesBob = nextEvent(ann.client, 'arenaState', ({ players }) => {
      const b = players.get(bob.userId);
      return b !== undefined && b.ack >= 1 && b.y < 500;
    });
    const bobSeesAnn = nextEvent(bob.client, 'arenaState', ({ players }) => {
      const a = players.get(ann.userId);
      return a !== undefined && a.ack >= 1 && a.x > 500;
    });
    const inputs = setInterval(() => {
      ann.client.arena.sendInput(1, 0);
      bob.client.arena.sendInput(0, -1);
    }, 50);
    try {
      await Promise.all([annSeesBob, bobSeesAnn]);
    } finally {
      clearInterval(inputs);
    }
    assert.ok(ann.client.arena.players.get(ann.userId)!.x > 500, 'ann sees herself move too');

    const left = nextEvent(ann.client, 'roomEvent', (e) => e.kind === RoomEventKind.PlayerLeft);
    await bob.client.rooms.leave();
    assert.equal(bob.client.rooms.current, null);
    assert.equal((await left).userId, bob.userId);
    assert.deepEqual(ann.client.rooms.current?.members.map((m) => m.userId), [ann.userId]);
    await assert.rejects(bob.client.rooms.leave(), (e: unknown) => e instanceof RoomError && e.status === RoomResult.NotInRoom);
  });

  it('lockstep: each frame carries both players inputs, to both, in order', async () => {
    const ann = await guest('ann');
    const bob = await guest('bob');
    const room = await ann.client.rooms.create('lockstep');
    assert.equal(room.tickHz, 30);
    await bob.client.rooms.join('lockstep', room.roomId);

    const framesOf = (client: CitadelClient) => {
      const frames: LockstepFrame[] = [];
      client.on('lockstepFrame', (f) => frames.push(f));
      return frames;
    };
    const annFrames = framesOf(ann.client);
    const bobFrames = framesOf(bob.client);
    const gaps = [0];
    ann.client.on('lockstepGap', () => gaps[0]!++);
    bob.client.on('lockstepGap', () => gaps[0]!++);

    const fromAnn = (f: LockstepFrame) => f.inputs.some((i) => i.userId === ann.userId && i.data[0] === 0xa1);
    const fromBob = (f: LockstepFrame) => f.inputs.some((i) => i.userId === bob.userId && i.data[0] === 0xb0);
    const sawBoth = (frames: LockstepFrame[]) => frames.some(fromAnn) && frames.some(fromBob);
    const annDone = nextEvent(ann.client, 'lockstepFrame', () => sawBoth(annFrames));
    const bobDone = nextEvent(bob.client, 'lockstepFrame', () => sawBoth(bobFrames));
    assert.equal(ann.client.lockstep.sendInput(Uint8Array.from([0xa1, 2, 3])), true);
    assert.equal(bob.client.lockstep.sendInput(Uint8Array.from([0xb0])), true);
    await Promise.all([annDone, bobDone]);

    // Both saw the same frames: same numbers, same inputs, each input once.
    const byNumber = new Map(bobFrames.map((f) => [f.frame, f]));
    let compared = 0;
    for (const f of annFrames) {
      const other = byNumber.get(f.frame);
      if (other === undefined) continue;
      assert.deepEqual(other.inputs, f.inputs, `frame ${f.frame}`);
      compared++;
    }
    assert.ok(compared > 0);
    for (const frames of [annFrames, bobFrames]) {
      assert.equal(frames.filter(fromAnn).length, 1);
      assert.equal(frames.filter(fromBob).length, 1);
    }
    const annInput = annFrames.find(fromAnn)!.inputs.find((i) => i.userId === ann.userId)!;
    assert.deepEqual(annInput.data, Uint8Array.from([0xa1, 2, 3]));

    // Frames come once each, in order: consecutive numbers, no gap.
    for (const frames of [annFrames, bobFrames]) {
      for (let i = 1; i < frames.length; i++) assert.equal(frames[i]!.frame, frames[i - 1]!.frame + 1);
    }
    assert.equal(gaps[0], 0);
    assert.equal(ann.client.lockstep.lastFrame, annFrames[annFrames.length - 1]!.frame);
    assert.throws(() => ann.client.lockstep.sendInput(new Uint8Array(257)), RangeError);
  });

  it('matchmaking puts two clients in one new room together', async () => {
    const ann = await guest('ann');
    const bob = await guest('bob');
    const mode = `duel-${process.pid}`;
    let queued = 0;
    const annMatch = ann.client.rooms.findMatch({ roomType: 'arena', mode, skill: 1000, onQueued: () => queued++ });
    const bobFirstState = nextEvent(bob.client, 'arenaState');
    const bobMatch = bob.client.rooms.findMatch({ roomType: 'arena', mode, skill: 1010 });
    const [a, b] = await Promise.all([annMatch, bobMatch]);
    assert.equal(queued, 1);
    assert.equal(a.room.roomId, b.room.roomId);
    assert.equal(a.room.roomType, 'arena');
    assert.deepEqual(new Set(a.room.members.map((m) => m.userId)), new Set([ann.userId, bob.userId]));
    assert.equal(bob.client.rooms.current?.roomId, b.room.roomId);
    const first = await bobFirstState;
    assert.ok(first.state.snapshot && first.players.has(ann.userId) && first.players.has(bob.userId));
  });

  it('a cancelled ticket rejects with MatchCancelledError; a second ticket is refused', async () => {
    const ann = await guest('ann');
    let queued!: () => void;
    const isQueued = new Promise<void>((resolve) => (queued = resolve));
    const ticket = ann.client.rooms
      .findMatch({ roomType: 'arena', mode: `solo-${process.pid}`, onQueued: () => queued() })
      .then(
        () => assert.fail('matched alone'),
        (e: unknown) => e,
      );
    await isQueued;
    await assert.rejects(
      ann.client.rooms.findMatch({ roomType: 'arena', mode: 'x' }),
      (e: unknown) => e instanceof RoomError && e.status === RoomResult.AlreadyQueued,
    );
    await ann.client.rooms.cancelMatch();
    const why = await ticket;
    assert.ok(why instanceof MatchCancelledError, `got ${String(why)}`);
    await assert.rejects(ann.client.rooms.cancelMatch(), (e: unknown) => e instanceof RoomError && e.status === RoomResult.NotQueued);
    await assert.rejects(ann.client.rooms.joinOrCreate('no-such-type'), (e: unknown) => e instanceof RoomError && e.status === RoomResult.NoSuchRoomType);
  });
});
