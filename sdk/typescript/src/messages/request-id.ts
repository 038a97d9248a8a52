// The replies that carry the request_id their request chose (AuthReply,
// ChatReply, RoomReply, StorageReply, LeaderboardReply): the SDK matches them by it, never by order
// (docs/protocol.md, "Reply order"). request_id is the first field of each.

import * as flatbuffers from 'flatbuffers';
import { Cmd } from '../wire/commands';

export const KEYED_REPLY_CMDS: ReadonlySet<number> = new Set([
  Cmd.AuthReply,
  Cmd.ChatReply,
  Cmd.RoomReply,
  Cmd.StorageReply,
  Cmd.LeaderboardReply,
]);

/** The reply's request_id, or null if the payload is too malformed to hold one. */
export function readRequestId(payload: Uint8Array): number | null {
  try {
    if (payload.length < 8) return null;
    const bb = new flatbuffers.ByteBuffer(payload);
    const table = bb.readInt32(0);
    const field = bb.__offset(table, 4); // field 0: request_id (uint)
    return field === 0 ? 0 : bb.readUint32(table + field);
  } catch {
    return null;
  }
}
