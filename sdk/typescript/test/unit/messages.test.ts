// The FlatBuffers code flatc 2.0.8 generated, on the npm flatbuffers runtime
// 2.0.7: what the SDK encodes, the generated readers read back; what a C++
// server encodes (protocol.md's worked example), the SDK reads.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as flatbuffers from 'flatbuffers';
import { decodeFrame } from '../../dist/index';
import { encodeArenaInput, decodeArenaState } from '../../dist/messages/arena';
import { decodeAuthReply, encodeGuestLogin, encodeResume } from '../../dist/messages/auth';
import { decodeChatReply, encodeChatPrivate, encodeChatSend } from '../../dist/messages/chat';
import { decodeLockstepFrame, encodeLockstepInput } from '../../dist/messages/lockstep';
import { readRequestId } from '../../dist/messages/request-id';
import { decodeRoomReply, encodeMatchFind, encodeRoomJoin } from '../../dist/messages/rooms';
import { ArenaInput } from '../../dist/generated/citadel/msg/arena-input';
import { ArenaPlayer } from '../../dist/generated/citadel/msg/arena-player';
import { ArenaState } from '../../dist/generated/citadel/msg/arena-state';
import { AuthReply } from '../../dist/generated/citadel/msg/auth-reply';
import { ChatMessage } from '../../dist/generated/citadel/msg/chat-message';
import { ChatPrivate } from '../../dist/generated/citadel/msg/chat-private';
import { ChatReply } from '../../dist/generated/citadel/msg/chat-reply';
import { ChatSend } from '../../dist/generated/citadel/msg/chat-send';
import { GuestLogin } from '../../dist/generated/citadel/msg/guest-login';
import { LockstepFrame } from '../../dist/generated/citadel/msg/lockstep-frame';
import { LockstepInput } from '../../dist/generated/citadel/msg/lockstep-input';
import { MatchFind } from '../../dist/generated/citadel/msg/match-find';
import { PlayerInput } from '../../dist/generated/citadel/msg/player-input';
import { Resume } from '../../dist/generated/citadel/msg/resume';
import { RoomJoin } from '../../dist/generated/citadel/msg/room-join';
import { RoomMember } from '../../dist/generated/citadel/msg/room-member';
import { RoomReply } from '../../dist/generated/citadel/msg/room-reply';

const bb = (bytes: Uint8Array) => new flatbuffers.ByteBuffer(bytes);

describe('protocol.md worked example: a guest login on the wire', () => {
  // The 48-byte frame the C++ side encodes for {"request_id": 1, "device_id": "device-42"}.
  const frameBytes = Uint8Array.from(
    `43 54 01 00 00 00 00 28
     0c 00 00 00
     08 00 0c 00 04 00 08 00
     08 00 00 00
     01 00 00 00
     04 00 00 00
     09 00 00 00 64 65 76 69 63 65 2d 34 32 00 00 00`
      .trim()
      .split(/\s+/)
      .map((b) => parseInt(b, 16)),
  );

  it('is read by the generated TypeScript code', () => {
    const frame = decodeFrame(frameBytes);
    assert.equal(frame.cmd, 0x0100);
    assert.equal(frame.payload.length, 40);
    const login = GuestLogin.getRootAsGuestLogin(bb(frame.payload));
    assert.equal(login.requestId(), 1);
    assert.equal(login.deviceId(), 'device-42');
    assert.equal(readRequestId(frame.payload), 1);
  });

  it('round-trips through the SDK encoder (the TS builder lays fields out its own way)', () => {
    const login = GuestLogin.getRootAsGuestLogin(bb(encodeGuestLogin(1, 'device-42')));
    assert.equal(login.requestId(), 1);
    assert.equal(login.deviceId(), 'device-42');
  });
});

describe('requests the SDK encodes', () => {
  it('Resume carries the token and a 64-bit push id exactly', () => {
    const big = 2n ** 63n + 5n;
    const m = Resume.getRootAsResume(bb(encodeResume(7, 'v1.tok', big)));
    assert.equal(m.requestId(), 7);
    assert.equal(m.token(), 'v1.tok');
    assert.equal(m.lastPushId(), big);
  });

  it('ChatSend keeps non-ASCII text as UTF-8', () => {
    const m = ChatSend.getRootAsChatSend(bb(encodeChatSend(3, 'lobby', 'héllo ✓ 🎲')));
    assert.equal(m.channel(), 'lobby');
    assert.equal(m.text(), 'héllo ✓ 🎲');
  });

  it('ChatPrivate goes to an id or to a name', () => {
    const byId = ChatPrivate.getRootAsChatPrivate(bb(encodeChatPrivate(1, { userId: 42 }, 'hi')));
    assert.equal(byId.toUserId(), 42n);
    assert.equal(byId.toUsername(), null);
    const byName = ChatPrivate.getRootAsChatPrivate(bb(encodeChatPrivate(2, { username: 'bob' }, 'hi')));
    assert.equal(byName.toUserId(), 0n);
    assert.equal(byName.toUsername(), 'bob');
  });

  it('RoomJoin, MatchFind, ArenaInput and LockstepInput hold their fields', () => {
    const join = RoomJoin.getRootAsRoomJoin(
      bb(encodeRoomJoin(9, { roomType: 'lockstep', roomId: 12n, create: false, lastFrame: 33 })),
    );
    assert.deepEqual([join.requestId(), join.roomType(), join.roomId(), join.create(), join.lastFrame()], [
      9,
      'lockstep',
      12n,
      false,
      33,
    ]);
    const find = MatchFind.getRootAsMatchFind(bb(encodeMatchFind(4, 'arena', 'duel', -15)));
    assert.deepEqual([find.requestId(), find.roomType(), find.mode(), find.skill()], [4, 'arena', 'duel', -15]);
    const input = ArenaInput.getRootAsArenaInput(bb(encodeArenaInput(5, 0.5, -1)));
    assert.deepEqual([input.seq(), input.dx(), input.dy()], [5, 0.5, -1]);
    const data = Uint8Array.from([0, 1, 2, 254, 255]);
    const ls = LockstepInput.getRootAsLockstepInput(bb(encodeLockstepInput(data)));
    assert.deepEqual(ls.dataArray(), data);
  });
});

describe('replies and pushes the SDK decodes', () => {
  it('AuthReply', () => {
    const b = new flatbuffers.Builder(128);
    const msg = b.createString('welcome');
    const name = b.createString('guest-9');
    const token = b.createString('v1.9.9.x');
    b.finish(AuthReply.createAuthReply(b, 11, 0, msg, 9n, name, token, 1795000000000n, true, false));
    const r = decodeAuthReply(b.asUint8Array());
    assert.deepEqual(r, {
      requestId: 11,
      result: 0,
      message: 'welcome',
      userId: 9n,
      username: 'guest-9',
      token: 'v1.9.9.x',
      tokenExpiresUnixMs: 1795000000000,
      resumed: true,
      resyncRequired: false,
    });
  });

  it('ChatReply tells an absent member list from an empty one, and reads its history', () => {
    const b = new flatbuffers.Builder(256);
    const ch = b.createString('lobby');
    const from = b.createString('ann');
    const text = b.createString('old news');
    const h = ChatMessage.createChatMessage(b, 0n, ch, 3n, from, text, 1700000000000n, false);
    const history = ChatReply.createHistoryVector(b, [h]);
    const m = b.createString('joined');
    const ch2 = b.createString('lobby');
    b.finish(ChatReply.createChatReply(b, 5, 0, m, ch2, 0, 0n, history));
    const r = decodeChatReply(b.asUint8Array());
    assert.equal(r.members, null);
    assert.equal(r.history.length, 1);
    assert.equal(r.history[0]!.text, 'old news');
    assert.equal(r.history[0]!.sentUnixMs, 1700000000000);

    const e = new flatbuffers.Builder(64);
    const empty = ChatReply.createMembersVector(e, []);
    e.finish(ChatReply.createChatReply(e, 6, 0, 0, 0, empty, 0n, 0));
    assert.deepEqual(decodeChatReply(e.asUint8Array()).members, []);
  });

  it('RoomReply with members', () => {
    const b = new flatbuffers.Builder(256);
    const n1 = b.createString('ann');
    const m1 = RoomMember.createRoomMember(b, 1n, n1, true);
    const n2 = b.createString('bob');
    const m2 = RoomMember.createRoomMember(b, 2n, n2, false);
    const members = RoomReply.createMembersVector(b, [m1, m2]);
    const msg = b.createString('joined');
    const type = b.createString('arena');
    b.finish(RoomReply.createRoomReply(b, 8, 0, msg, 4n, type, 20, 16, members));
    const r = decodeRoomReply(b.asUint8Array());
    assert.equal(r.roomId, 4n);
    assert.equal(r.tickHz, 20);
    assert.deepEqual(r.members, [
      { userId: 1n, username: 'ann', connected: true },
      { userId: 2n, username: 'bob', connected: false },
    ]);
  });

  it('ArenaState: a vector of structs, and who left', () => {
    const b = new flatbuffers.Builder(256);
    const left = ArenaState.createLeftVector(b, [7n]);
    ArenaState.startPlayersVector(b, 2);
    ArenaPlayer.createArenaPlayer(b, 2n, 10.5, 20, 4); // written back to front
    ArenaPlayer.createArenaPlayer(b, 1n, 500, 500, 0);
    const players = b.endVector();
    b.finish(ArenaState.createArenaState(b, 99, false, players, left));
    const s = decodeArenaState(b.asUint8Array());
    assert.equal(s.tick, 99);
    assert.equal(s.snapshot, false);
    assert.deepEqual(s.players, [
      { userId: 1n, x: 500, y: 500, ack: 0 },
      { userId: 2n, x: 10.5, y: 20, ack: 4 },
    ]);
    assert.deepEqual(s.left, [7n]);
  });

  it('LockstepFrame: inputs in arrival order, data copied out', () => {
    const b = new flatbuffers.Builder(256);
    const d1 = PlayerInput.createDataVector(b, [1, 2]);
    const i1 = PlayerInput.createPlayerInput(b, 5n, d1);
    const d2 = PlayerInput.createDataVector(b, [3]);
    const i2 = PlayerInput.createPlayerInput(b, 6n, d2);
    const inputs = LockstepFrame.createInputsVector(b, [i1, i2]);
    b.finish(LockstepFrame.createLockstepFrame(b, 17, inputs));
    const bytes = b.asUint8Array();
    const f = decodeLockstepFrame(bytes);
    assert.equal(f.frame, 17);
    assert.deepEqual(f.inputs, [
      { userId: 5n, data: Uint8Array.from([1, 2]) },
      { userId: 6n, data: Uint8Array.from([3]) },
    ]);
    assert.notEqual(f.inputs[0]!.data.buffer, bytes.buffer);
  });
});
