// The decoded messages the SDK hands to applications: plain, immutable
// objects (no FlatBuffers accessors to keep alive). Ids that are `ulong` in the
// schemas (user, room and push ids) are `bigint`, exact over their whole range;
// times in milliseconds since the epoch are `number`, which is exact for them.

import type { AuthResult } from '../generated/citadel/msg/auth-result';
import type { ChatResult } from '../generated/citadel/msg/chat-result';
import type { RoomEventKind } from '../generated/citadel/msg/room-event-kind';
import type { RoomResult } from '../generated/citadel/msg/room-result';

// ---- auth.fbs ----

export interface AuthReply {
  readonly requestId: number;
  readonly result: AuthResult;
  readonly message: string;
  readonly userId: bigint;
  readonly username: string;
  readonly token: string;
  readonly tokenExpiresUnixMs: number;
  readonly resumed: boolean;
  readonly resyncRequired: boolean;
}

// ---- chat.fbs ----

export interface ChatMember {
  readonly userId: bigint;
  readonly username: string;
  readonly online: boolean;
}

export interface ChatMessage {
  /** Server-wide, rising; 0 in a ChatReply's history. */
  readonly pushId: bigint;
  /** Empty for a private message. */
  readonly channel: string;
  readonly fromUserId: bigint;
  readonly fromUsername: string;
  readonly text: string;
  readonly sentUnixMs: number;
  readonly private: boolean;
}

export interface ChatReply {
  readonly requestId: number;
  readonly result: ChatResult;
  readonly message: string;
  readonly channel: string;
  /** Null when the reply carries no list (e.g. a channel above the presence cap). */
  readonly members: readonly ChatMember[] | null;
  readonly onlineCount: number;
  readonly history: readonly ChatMessage[];
}

export interface Presence {
  readonly pushId: bigint;
  readonly channel: string;
  readonly userId: bigint;
  readonly username: string;
  readonly online: boolean;
}

// ---- rooms.fbs ----

export interface RoomMember {
  readonly userId: bigint;
  readonly username: string;
  /** False while the player's connection is gone (the session grace period). */
  readonly connected: boolean;
}

export interface RoomReply {
  readonly requestId: number;
  readonly result: RoomResult;
  readonly message: string;
  readonly roomId: bigint;
  readonly roomType: string;
  readonly tickHz: number;
  readonly maxPlayers: number;
  readonly members: readonly RoomMember[];
}

export interface RoomEvent {
  readonly kind: RoomEventKind;
  readonly roomId: bigint;
  readonly userId: bigint;
  readonly username: string;
  /** Closed: why the room ended. Rejoined, Transferred: the room type of `roomId`. */
  readonly reason: string;
}

export interface MatchResult {
  readonly result: RoomResult;
  readonly message: string;
  readonly roomId: bigint;
  readonly roomType: string;
  readonly waitedMs: number;
  readonly members: readonly RoomMember[];
  readonly tickHz: number;
  readonly maxPlayers: number;
}

// ---- arena.fbs ----

export interface ArenaPlayer {
  readonly userId: bigint;
  readonly x: number;
  readonly y: number;
  /** The seq of this player's latest input the room applied. */
  readonly ack: number;
}

export interface ArenaState {
  readonly tick: number;
  /** True: `players` is everyone. False: only those changed since the last tick. */
  readonly snapshot: boolean;
  readonly players: readonly ArenaPlayer[];
  /** Players gone since the last tick. */
  readonly left: readonly bigint[];
}

// ---- lockstep.fbs ----

export interface LockstepPlayerInput {
  readonly userId: bigint;
  readonly data: Uint8Array;
}

export interface LockstepFrame {
  /** 1, 2, 3, ... */
  readonly frame: number;
  /** The inputs received during this frame, in arrival order. */
  readonly inputs: readonly LockstepPlayerInput[];
}
