// Everything a CitadelClient reports, by event name. Subscribe with
// client.on(name, listener); on() returns the function that unsubscribes.

import type { ServerError } from '../errors/server-errors';
import type {
  ArenaPlayer,
  ArenaState,
  ChatMessage,
  LockstepFrame,
  MatchResult,
  Presence,
  RoomEvent,
} from '../messages/types';
import type { Frame } from '../wire/frame';
import type { SessionEventKind } from './session-state';

export type ClientState =
  /** Not connected and not trying (before connect(), or after giving up). */
  | 'idle'
  /** An attempt is under way. */
  | 'connecting'
  /** The WebSocket is open. */
  | 'connected'
  /** Waiting out a backoff delay before the next attempt. */
  | 'reconnecting'
  /** close() was called: final. */
  | 'closed';

export interface SessionEvent {
  readonly kind: SessionEventKind;
  readonly userId: bigint;
  readonly username: string;
  /** The AuthReply's result (for 'lost': SessionGone, TokenExpired, ...); 0 when none came (an ERROR). */
  readonly authResult: number;
  /** The server's message, or why. */
  readonly message: string;
}

export interface ClientEvents {
  connecting: { readonly attempt: number };
  connected: { readonly reconnected: boolean };
  disconnected: {
    readonly reason: string;
    /** The ERROR the server sent before closing, if it sent one (e.g. ShuttingDownError). */
    readonly error: ServerError | null;
  };
  reconnecting: { readonly attempt: number; readonly delayMs: number };
  gaveUp: { readonly attempts: number; readonly reason: string };
  closed: Record<string, never>;
  /** A heartbeat PONG came back; `rttMs` is its round trip. */
  heartbeat: { readonly rttMs: number };

  session: SessionEvent;

  /**
   * An ERROR frame that refused no request: one for a one-way message (e.g.
   * NotInRoomError for an ArenaInput), or one that closes the connection.
   * ERRORs that refuse a request reject that request instead.
   */
  serverError: ServerError;

  chatMessage: ChatMessage;
  presence: Presence;

  roomEvent: RoomEvent;
  matchResult: MatchResult;

  /** Every ArenaState, and the players the client knows after applying it (all of them). */
  arenaState: { readonly state: ArenaState; readonly players: ReadonlyMap<bigint, ArenaPlayer> };
  lockstepFrame: LockstepFrame;
  /**
   * Lockstep frames the client needed are gone (the room keeps two minutes):
   * the next frame is `got`, not `expected`. The game must start over.
   */
  lockstepGap: { readonly expected: number; readonly got: number };

  /** A frame that answered nothing and that the SDK does not know (a game's own room type). */
  push: Frame;
  /** A known push that could not be decoded; it is dropped. */
  malformedPush: { readonly cmd: number; readonly error: Error };
}
