// Matching frames to requests (docs/protocol.md, "Reply order"), with no
// server: keyed replies in any order, PONGs in order, and ERRORs (which carry
// no request id) matched by elimination.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as flatbuffers from 'flatbuffers';
import { Cmd, encodeFrame, decodeFrame, type Frame } from '../../dist/index';
import { RequestTracker, type Outgoing } from '../../dist/client/request-tracker';
import { encodeErrorPayload } from '../../dist/wire/error-payload';
import { RoomReply } from '../../dist/generated/citadel/msg/room-reply';
import { ChatReply } from '../../dist/generated/citadel/msg/chat-reply';

const frame = (cmd: number, payload: Uint8Array = new Uint8Array(0)): Frame => decodeFrame(encodeFrame(cmd, payload));
const error = (code: number, text: string) => frame(Cmd.Error, encodeErrorPayload(code, text));
function roomReply(requestId: number): Frame {
  const b = new flatbuffers.Builder(64);
  b.finish(RoomReply.createRoomReply(b, requestId, 0, 0, 0n, 0, 0, 0, 0));
  return frame(Cmd.RoomReply, b.asUint8Array());
}
function chatReply(requestId: number): Frame {
  const b = new flatbuffers.Builder(64);
  b.finish(ChatReply.createChatReply(b, requestId, 0, 0, 0, 0, 0n, 0));
  return frame(Cmd.ChatReply, b.asUint8Array());
}

function req(cmd: number, replyCmd: number | null, requestId: number | null, tag: string): Outgoing<string> {
  return { cmd, replyCmd, requestId, tag };
}

describe('request tracker', () => {
  it('matches keyed replies by request_id in any order', () => {
    const t = new RequestTracker<string>();
    t.sent(req(Cmd.RoomJoin, Cmd.RoomReply, 1, 'join'));
    t.sent(req(Cmd.ChatSend, Cmd.ChatReply, 2, 'chat'));
    const first = t.match(chatReply(2));
    assert.equal(first.kind === 'reply' && first.request.tag, 'chat');
    const second = t.match(roomReply(1));
    assert.equal(second.kind === 'reply' && second.request.tag, 'join');
    assert.equal(t.waiting, 0);
  });

  it('a reply nobody waits for is a push', () => {
    const t = new RequestTracker<string>();
    assert.equal(t.match(roomReply(5)).kind, 'push');
    assert.equal(t.match(frame(Cmd.ChatMessage)).kind, 'push');
  });

  it('PONGs answer PINGs in order, while a keyed request waits', () => {
    const t = new RequestTracker<string>();
    t.sent(req(Cmd.Login, Cmd.AuthReply, 1, 'login'));
    t.sent(req(Cmd.Ping, Cmd.Pong, null, 'ping-1'));
    t.sent(req(Cmd.Ping, Cmd.Pong, null, 'ping-2'));
    const a = t.match(frame(Cmd.Pong));
    const b = t.match(frame(Cmd.Pong));
    assert.equal(a.kind === 'reply' && a.request.tag, 'ping-1');
    assert.equal(b.kind === 'reply' && b.request.tag, 'ping-2');
    assert.equal(t.waiting, 1);
  });

  it('an ERROR goes to the oldest message of the cmd its text names', () => {
    const t = new RequestTracker<string>();
    t.sent(req(Cmd.RoomJoin, Cmd.RoomReply, 1, 'join')); // passes its checks, waits for the room
    t.sent(req(Cmd.ChatSend, Cmd.ChatReply, null, 'raw-chat')); // malformed
    const m = t.match(error(8, 'cmd 0x0203 (ChatSend): payload is not a valid FlatBuffers message'));
    assert.equal(m.kind, 'error');
    assert.equal(m.kind === 'error' && m.request.tag, 'raw-chat');
    const join = t.match(roomReply(1));
    assert.equal(join.kind === 'reply' && join.request.tag, 'join', 'the join still gets its reply');
  });

  it('an ERROR cannot answer a message sent before one that was already answered', () => {
    const t = new RequestTracker<string>();
    t.sent(req(Cmd.RoomJoin, Cmd.RoomReply, 1, 'join'));
    t.sent(req(Cmd.Ping, Cmd.Pong, null, 'ping'));
    t.sent(req(Cmd.Echo, Cmd.Echo, null, 'echo'));
    assert.equal(t.match(frame(Cmd.Pong)).kind, 'reply'); // so the join has passed its checks
    const m = t.match(error(8, 'something without a cmd'));
    assert.equal(m.kind === 'error' && m.request.tag, 'echo');
  });

  it('an ERROR for a one-way message answers no request', () => {
    const t = new RequestTracker<string>();
    t.sent(req(Cmd.ChatJoin, Cmd.ChatReply, 1, 'join'));
    t.sent(req(Cmd.ArenaInput, null, null, 'input'));
    const m = t.match(error(12, 'cmd 0x0310: you are in no arena room'));
    assert.equal(m.kind, 'error');
    assert.equal(m.kind === 'error' && m.request.replyCmd, null);
    assert.equal(t.waiting, 1);
  });

  it('an ERROR that closes the connection, or that nothing can have drawn, is unsolicited', () => {
    const t = new RequestTracker<string>();
    t.sent(req(Cmd.ChatJoin, Cmd.ChatReply, 1, 'join'));
    const goodbye = t.match(error(7, 'shutting down'));
    assert.equal(goodbye.kind, 'unsolicitedError');
    const stray = t.match(error(3, 'unknown command 0x7f00'));
    assert.equal(stray.kind, 'unsolicitedError');
    assert.equal(stray.kind === 'unsolicitedError' && stray.cmd, 0x7f00);
  });

  it('an abandoned (timed out) keyed request turns its late reply into a push', () => {
    const t = new RequestTracker<string>();
    const r = req(Cmd.RoomJoin, Cmd.RoomReply, 3, 'join');
    t.sent(r);
    t.abandon(r);
    assert.equal(t.match(roomReply(3)).kind, 'push');
  });

  it('takeAll returns what is still waiting, oldest first', () => {
    const t = new RequestTracker<string>();
    t.sent(req(Cmd.RoomJoin, Cmd.RoomReply, 1, 'a'));
    t.sent(req(Cmd.Ping, Cmd.Pong, null, 'b'));
    t.sent(req(Cmd.ArenaInput, null, null, 'one-way'));
    t.sent(req(Cmd.ChatSend, Cmd.ChatReply, 2, 'c'));
    assert.deepEqual(t.takeAll().map((o) => o.tag), ['a', 'b', 'c']);
    assert.equal(t.waiting, 0);
  });
});
