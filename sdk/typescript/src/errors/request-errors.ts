// A request the server answered with a refusal: the reply's `result` is not
// Ok. The status is the reply's result code (the contract); `serverMessage`
// is the server's text for people.

import { AuthResult } from '../generated/citadel/msg/auth-result';
import { ChatResult } from '../generated/citadel/msg/chat-result';
import { LeaderboardResult } from '../generated/citadel/msg/leaderboard-result';
import { RoomResult } from '../generated/citadel/msg/room-result';
import { StorageResult } from '../generated/citadel/msg/storage-result';
import { cmdName } from '../wire/commands';
import { CitadelError } from './citadel-error';

export abstract class RequestFailedError extends CitadelError {
  override name = 'RequestFailedError';
  /** The result code's name, e.g. "BadCredentials". */
  abstract readonly statusName: string;

  constructor(
    /** The cmd of the request that was refused. */
    readonly cmd: number,
    /** The reply's result code. */
    readonly status: number,
    /** The server's message, for people. */
    readonly serverMessage: string,
    statusName: string,
  ) {
    super(`${cmdName(cmd)} refused: ${statusName}${serverMessage ? ` (${serverMessage})` : ''}`);
  }
}

/** An AuthReply whose result is not Ok (GuestLogin, Register, Login, Resume, Logout). */
export class AuthError extends RequestFailedError {
  override name = 'AuthError';
  override readonly status: AuthResult;
  readonly statusName: string;
  constructor(cmd: number, status: AuthResult, serverMessage: string) {
    const statusName = AuthResult[status] ?? `AuthResult ${status}`;
    super(cmd, status, serverMessage, statusName);
    this.status = status;
    this.statusName = statusName;
  }
}

/** A ChatReply whose result is not Ok. */
export class ChatError extends RequestFailedError {
  override name = 'ChatError';
  override readonly status: ChatResult;
  readonly statusName: string;
  constructor(
    cmd: number,
    status: ChatResult,
    serverMessage: string,
    /** The channel the reply names (empty for private messages and the online count). */
    readonly channel: string,
  ) {
    const statusName = ChatResult[status] ?? `ChatResult ${status}`;
    super(cmd, status, serverMessage, statusName);
    this.status = status;
    this.statusName = statusName;
  }
}

/** A StorageReply whose result is not Ok (e.g. VersionConflict, PermissionDenied). */
export class StorageError extends RequestFailedError {
  override name = 'StorageError';
  override readonly status: StorageResult;
  readonly statusName: string;
  constructor(
    cmd: number,
    status: StorageResult,
    serverMessage: string,
    /** The item of the request the refusal is about, or -1. */
    readonly failedIndex: number,
  ) {
    const statusName = StorageResult[status] ?? `StorageResult ${status}`;
    super(cmd, status, serverMessage, statusName);
    this.status = status;
    this.statusName = statusName;
  }
}

/** A LeaderboardReply whose result is not Ok (e.g. NoSuchBoard, NotRanked, RateLimited). */
export class LeaderboardError extends RequestFailedError {
  override name = 'LeaderboardError';
  override readonly status: LeaderboardResult;
  readonly statusName: string;
  constructor(
    cmd: number,
    status: LeaderboardResult,
    serverMessage: string,
    /** The board the reply names. */
    readonly boardId: string,
  ) {
    const statusName = LeaderboardResult[status] ?? `LeaderboardResult ${status}`;
    super(cmd, status, serverMessage, statusName);
    this.status = status;
    this.statusName = statusName;
  }
}

/** A RoomReply or MatchResult whose result is not Ok (e.g. RoomFull, NoMatch). */
export class RoomError extends RequestFailedError {
  override name = 'RoomError';
  override readonly status: RoomResult;
  readonly statusName: string;
  constructor(cmd: number, status: RoomResult, serverMessage: string) {
    const statusName = RoomResult[status] ?? `RoomResult ${status}`;
    super(cmd, status, serverMessage, statusName);
    this.status = status;
    this.statusName = statusName;
  }
}
