// Rooms and matchmaking (docs/protocol.md, "Rooms and matchmaking"). The SDK
// keeps the room you are in (`current`) up to date from replies and RoomEvents:
// members join, leave, drop and come back; the room closes; a resume puts you
// back (Rejoined), after which it asks the room for its state again
// (`autoRoomResync`). Joins resolve with the room, or reject with a RoomError
// whose `status` is the RoomResult.

import type { ClientCore } from '../client/core';
import { ConnectionLostError, MatchCancelledError } from '../errors/citadel-error';
import { RoomError } from '../errors/request-errors';
import { RoomEventKind } from '../generated/citadel/msg/room-event-kind';
import { RoomResult } from '../generated/citadel/msg/room-result';
import {
  decodeMatchResult,
  decodeRoomEvent,
  decodeRoomReply,
  encodeMatchCancel,
  encodeMatchFind,
  encodeRoomJoin,
  encodeRoomLeave,
} from '../messages/rooms';
import type { RoomEvent, RoomMember, RoomReply } from '../messages/types';
import { Cmd } from '../wire/commands';
import type { Frame } from '../wire/frame';
import type { ArenaApi } from './arena';
import type { LockstepApi } from './lockstep';

export interface CurrentRoom {
  readonly roomId: bigint;
  readonly roomType: string;
  /** 0 when not known (after a match or a resume, until a RoomReply says). */
  readonly tickHz: number;
  readonly maxPlayers: number;
  /** Who is in the room, you included. */
  readonly members: readonly RoomMember[];
}

export interface MatchFound {
  readonly room: CurrentRoom;
  readonly waitedMs: number;
}

export interface FindMatchOptions {
  readonly roomType: string;
  /** Tickets match only within the same mode. Default ''. */
  readonly mode?: string;
  /** Tickets group when their skills lie within a window that widens while they wait. Default 0. */
  readonly skill?: number;
  /** Called when the server has queued the ticket (RoomReply Ok). */
  readonly onQueued?: () => void;
}

interface Ticket {
  resolve(found: MatchFound): void;
  reject(error: Error): void;
}

export class RoomsApi {
  private room: CurrentRoom | null = null;
  private ticket: Ticket | null = null;

  constructor(
    private readonly core: ClientCore,
    private readonly arena: ArenaApi,
    private readonly lockstep: LockstepApi,
  ) {}

  /** The room you are in, as far as the client knows; null for none. */
  get current(): CurrentRoom | null {
    return this.room;
  }

  /** A seat in the fullest open room of the type; a new room opens only when all are full. */
  joinOrCreate(roomType: string): Promise<CurrentRoom> {
    return this.join(roomType, 0n);
  }

  /** Always opens a new room of the type. */
  create(roomType: string): Promise<CurrentRoom> {
    return this.sendJoin(roomType, 0n, true, 0);
  }

  /**
   * Joins room `roomId`. Joining the room you are already in re-sends its
   * state: a snapshot, or for lockstep every frame after `lastFrame`
   * (default: the last frame the client saw in it).
   */
  join(roomType: string, roomId: bigint | number, options: { readonly lastFrame?: number } = {}): Promise<CurrentRoom> {
    const id = BigInt(roomId);
    const lastFrame = options.lastFrame ?? (this.room?.roomId === id && id !== 0n ? this.lockstep.lastFrame : 0);
    return this.sendJoin(roomType, id, false, lastFrame);
  }

  leave(): Promise<void> {
    return this.core.request(Cmd.RoomLeave, Cmd.RoomReply, encodeRoomLeave, (frame) => {
      okReply(Cmd.RoomLeave, frame);
      this.setRoom(null);
    });
  }

  /**
   * Queues for a match and resolves when the server has put the group in a
   * new room (MatchResult Ok; its first state follows). Rejects with a
   * RoomError (e.g. NoMatch after the match timeout, AlreadyInRoom), with
   * MatchCancelledError after cancelMatch(), or with ConnectionLostError if the
   * connection drops (the server forgets the ticket then).
   */
  findMatch(options: FindMatchOptions): Promise<MatchFound> {
    return new Promise<MatchFound>((resolve, reject) => {
      this.core
        .request(
          Cmd.MatchFind,
          Cmd.RoomReply,
          (id) => encodeMatchFind(id, options.roomType, options.mode ?? '', options.skill ?? 0),
          (frame) => {
            okReply(Cmd.MatchFind, frame);
            // Set before the MatchResult, which always comes after this reply, is handled.
            this.ticket = { resolve, reject };
            options.onQueued?.();
          },
        )
        .catch(reject);
    });
  }

  /** Leaves the matchmaking queue; the pending findMatch() rejects with MatchCancelledError. */
  cancelMatch(): Promise<void> {
    return this.core.request(Cmd.MatchCancel, Cmd.RoomReply, encodeMatchCancel, (frame) => {
      okReply(Cmd.MatchCancel, frame);
      this.endTicket()?.reject(new MatchCancelledError());
    });
  }

  /** @internal A RoomEvent push. */
  onRoomEvent(payload: Uint8Array): void {
    const event = decodeRoomEvent(payload);
    this.apply(event);
    this.core.emit('roomEvent', event);
  }

  /** @internal A MatchResult push. */
  onMatchResult(payload: Uint8Array): void {
    const result = decodeMatchResult(payload);
    const ticket = this.endTicket();
    if (result.result === RoomResult.Ok) {
      const room: CurrentRoom = {
        roomId: result.roomId,
        roomType: result.roomType,
        tickHz: result.tickHz,
        maxPlayers: result.maxPlayers,
        members: result.members,
      };
      this.setRoom(room);
      ticket?.resolve({ room, waitedMs: result.waitedMs });
    } else {
      ticket?.reject(new RoomError(Cmd.MatchFind, result.result, result.message));
    }
    this.core.emit('matchResult', result);
  }

  /** @internal The connection is gone: the server drops a matchmaking ticket with it. */
  onLinkDown(reason: string): void {
    this.endTicket()?.reject(new ConnectionLostError(reason));
  }

  /** @internal close(): nothing more will come. */
  onClosed(error: Error): void {
    this.endTicket()?.reject(error);
  }

  private sendJoin(roomType: string, roomId: bigint, create: boolean, lastFrame: number): Promise<CurrentRoom> {
    return this.core.request(
      Cmd.RoomJoin,
      Cmd.RoomReply,
      (id) => encodeRoomJoin(id, { roomType, roomId, create, lastFrame }),
      (frame) => {
        const reply = okReply(Cmd.RoomJoin, frame);
        const room: CurrentRoom = {
          roomId: reply.roomId,
          roomType: reply.roomType,
          tickHz: reply.tickHz,
          maxPlayers: reply.maxPlayers,
          members: reply.members,
        };
        this.setRoom(room);
        return room;
      },
    );
  }

  private apply(event: RoomEvent): void {
    if (event.kind === RoomEventKind.Rejoined) return this.rejoined(event);
    if (event.kind === RoomEventKind.Transferred) return this.transferred(event);
    const room = this.room;
    if (room === null || room.roomId !== event.roomId) return;
    const others = room.members.filter((m) => m.userId !== event.userId);
    switch (event.kind) {
      case RoomEventKind.PlayerJoined:
        this.room = { ...room, members: [...others, { userId: event.userId, username: event.username, connected: true }] };
        break;
      case RoomEventKind.PlayerLeft:
        this.room = { ...room, members: others };
        break;
      case RoomEventKind.PlayerDisconnected:
      case RoomEventKind.PlayerReconnected: {
        const connected = event.kind === RoomEventKind.PlayerReconnected;
        this.room = { ...room, members: room.members.map((m) => (m.userId === event.userId ? { ...m, connected } : m)) };
        break;
      }
      case RoomEventKind.Closed:
        this.setRoom(null);
        break;
    }
  }

  /**
   * A resume put us back in `event.roomId` (the server puts the room type in
   * `reason`). Ask the room for its state again: RoomJoin for our own room
   * re-sends a snapshot, or for lockstep every frame after the last one seen.
   */
  private rejoined(event: RoomEvent): void {
    const same = this.room !== null && this.room.roomId === event.roomId;
    const roomType = event.reason || (same ? this.room!.roomType : '');
    if (!same) {
      this.setRoom({ roomId: event.roomId, roomType, tickHz: 0, maxPlayers: 0, members: [] });
    }
    if (roomType === 'lockstep') this.lockstep.onRejoined();
    if (!this.core.autoRoomResync || roomType === '') return;
    // Failures (e.g. the room ended meanwhile) arrive as RoomEvents or on the next join.
    this.sendJoin(roomType, event.roomId, false, this.lockstep.lastFrame).catch(() => undefined);
  }

  /**
   * A room moved us to `event.roomId` (player transfer; `reason` is its room
   * type). The new room sends its state by itself (a snapshot, or frames),
   * so nothing is asked; its members arrive as PlayerJoined events.
   */
  private transferred(event: RoomEvent): void {
    this.setRoom({ roomId: event.roomId, roomType: event.reason, tickHz: 0, maxPlayers: 0, members: [] });
  }

  private setRoom(room: CurrentRoom | null): void {
    const before = this.room;
    this.room = room;
    const sameRoom = before !== null && room !== null && before.roomId === room.roomId;
    if (room === null) {
      this.arena.onRoomChanged();
      this.lockstep.onLeft();
    } else {
      if (!sameRoom) this.arena.onRoomChanged();
      this.lockstep.onJoined(sameRoom);
    }
  }

  private endTicket(): Ticket | null {
    const ticket = this.ticket;
    this.ticket = null;
    return ticket;
  }
}

function okReply(cmd: number, frame: Frame): RoomReply {
  const reply = decodeRoomReply(frame.payload);
  if (reply.result !== RoomResult.Ok) throw new RoomError(cmd, reply.result, reply.message);
  return reply;
}
