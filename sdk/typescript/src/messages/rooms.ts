// rooms.fbs: RoomJoin, RoomLeave, MatchFind, MatchCancel; RoomReply, and the
// RoomEvent and MatchResult pushes.

import { MatchCancel } from '../generated/citadel/msg/match-cancel';
import { MatchFind } from '../generated/citadel/msg/match-find';
import { MatchResult as MatchResultTable } from '../generated/citadel/msg/match-result';
import { RoomEvent as RoomEventTable } from '../generated/citadel/msg/room-event';
import { RoomJoin } from '../generated/citadel/msg/room-join';
import { RoomLeave } from '../generated/citadel/msg/room-leave';
import { RoomMember as RoomMemberTable } from '../generated/citadel/msg/room-member';
import { RoomReply as RoomReplyTable } from '../generated/citadel/msg/room-reply';
import { buildTable, byteBuffer, str } from './flatbuffers-io';
import type { MatchResult, RoomEvent, RoomMember, RoomReply } from './types';

export interface RoomJoinFields {
  readonly roomType: string;
  /** 0: join-or-create. */
  readonly roomId: bigint;
  /** With roomId 0: always open a new room. */
  readonly create: boolean;
  /** Rejoining your own lockstep room: resend the frames after this one. */
  readonly lastFrame: number;
}

export function encodeRoomJoin(requestId: number, join: RoomJoinFields): Uint8Array {
  return buildTable((b) =>
    RoomJoin.createRoomJoin(b, requestId, b.createString(join.roomType), join.roomId, join.create, join.lastFrame),
  );
}

export function encodeRoomLeave(requestId: number): Uint8Array {
  return buildTable((b) => RoomLeave.createRoomLeave(b, requestId));
}

export function encodeMatchFind(requestId: number, roomType: string, mode: string, skill: number): Uint8Array {
  return buildTable((b) => {
    const type = b.createString(roomType);
    const modeName = b.createString(mode);
    return MatchFind.createMatchFind(b, requestId, type, modeName, skill);
  });
}

export function encodeMatchCancel(requestId: number): Uint8Array {
  return buildTable((b) => MatchCancel.createMatchCancel(b, requestId));
}

function members(count: number, at: (i: number) => RoomMemberTable | null): RoomMember[] {
  const out: RoomMember[] = [];
  for (let i = 0; i < count; i++) {
    const m = at(i)!;
    out.push({ userId: m.userId(), username: str(m.username()), connected: m.connected() });
  }
  return out;
}

export function decodeRoomReply(payload: Uint8Array): RoomReply {
  const m = RoomReplyTable.getRootAsRoomReply(byteBuffer(payload));
  return {
    requestId: m.requestId(),
    result: m.result(),
    message: str(m.message()),
    roomId: m.roomId(),
    roomType: str(m.roomType()),
    tickHz: m.tickHz(),
    maxPlayers: m.maxPlayers(),
    members: members(m.membersLength(), (i) => m.members(i)),
  };
}

export function decodeRoomEvent(payload: Uint8Array): RoomEvent {
  const m = RoomEventTable.getRootAsRoomEvent(byteBuffer(payload));
  return {
    kind: m.kind(),
    roomId: m.roomId(),
    userId: m.userId(),
    username: str(m.username()),
    reason: str(m.reason()),
  };
}

export function decodeMatchResult(payload: Uint8Array): MatchResult {
  const m = MatchResultTable.getRootAsMatchResult(byteBuffer(payload));
  return {
    result: m.result(),
    message: str(m.message()),
    roomId: m.roomId(),
    roomType: str(m.roomType()),
    waitedMs: m.waitedMs(),
    members: members(m.membersLength(), (i) => m.members(i)),
    tickHz: m.tickHz(),
    maxPlayers: m.maxPlayers(),
  };
}
