// One class per ERROR code in docs/protocol.md ("Error codes"). An ERROR that
// refuses a request rejects that request's promise; one that answers no
// request (e.g. for an ArenaInput, or one that closes the connection) is
// emitted as the client's `serverError` event. Match on the class
// (`err instanceof NotInRoomError`) or on `err.code`.

import { ErrorCode, errorClosesConnection } from '../wire/error-payload';
import { CitadelError } from './citadel-error';

export abstract class ServerError extends CitadelError {
  override name = 'ServerError';
  /** The ERROR code: the contract. */
  abstract readonly code: number;
  /** Whether the server closes the connection after this ERROR. */
  get closesConnection(): boolean {
    return errorClosesConnection(this.code);
  }

  constructor(
    /** The server's text, for people; it may change between versions. */
    readonly text: string,
    /** The cmd of the message it answers, when known (the text names it). */
    readonly cmd: number | null = null,
  ) {
    super(text);
  }
}

/** 1: a frame did not start with 0x4354. Connection closed. */
export class BadMagicError extends ServerError {
  override name = 'BadMagicError';
  readonly code = ErrorCode.BadMagic;
}
/** 2: a header declared a length above the maximum payload. Connection closed. */
export class FrameTooLargeError extends ServerError {
  override name = 'FrameTooLargeError';
  readonly code = ErrorCode.FrameTooLarge;
}
/** 3: no handler for the cmd. Connection stays open. */
export class UnknownCommandError extends ServerError {
  override name = 'UnknownCommandError';
  readonly code = ErrorCode.UnknownCommand;
}
/** 4: the server's connection cap is reached. Connection closed. */
export class ServerFullError extends ServerError {
  override name = 'ServerFullError';
  readonly code = ErrorCode.ServerFull;
}
/** 5: the per-address connection cap is reached. Connection closed. */
export class TooManyFromAddressError extends ServerError {
  override name = 'TooManyFromAddressError';
  readonly code = ErrorCode.TooManyFromAddress;
}
/** 6: no complete frame received for the idle timeout. Connection closed. */
export class IdleTimeoutError extends ServerError {
  override name = 'IdleTimeoutError';
  readonly code = ErrorCode.IdleTimeout;
}
/** 7: the server is draining (SIGTERM). Connection closed. */
export class ShuttingDownError extends ServerError {
  override name = 'ShuttingDownError';
  readonly code = ErrorCode.ShuttingDown;
}
/** 8: the payload is malformed for its cmd (or a number is not finite). Changes nothing; stays open. */
export class BadPayloadError extends ServerError {
  override name = 'BadPayloadError';
  readonly code = ErrorCode.BadPayload;
}
/** 9: the cmd needs a logged-in session. Connection stays open. */
export class NotAuthenticatedError extends ServerError {
  override name = 'NotAuthenticatedError';
  readonly code = ErrorCode.NotAuthenticated;
}
/** 10: no login within the login deadline. Connection closed. */
export class LoginTimeoutError extends ServerError {
  override name = 'LoginTimeoutError';
  readonly code = ErrorCode.LoginTimeout;
}
/** 11: a newer login took this session over. Connection closed; the session is gone. */
export class LoggedInElsewhereError extends ServerError {
  override name = 'LoggedInElsewhereError';
  readonly code = ErrorCode.LoggedInElsewhere;
}
/** 12: a room input from a player in no room of that type. Connection stays open. */
export class NotInRoomError extends ServerError {
  override name = 'NotInRoomError';
  readonly code = ErrorCode.NotInRoom;
}
/** A code this SDK does not know (a newer server). */
export class UnknownServerError extends ServerError {
  override name = 'UnknownServerError';
  constructor(
    readonly code: number,
    text: string,
    cmd: number | null = null,
  ) {
    super(text, cmd);
  }
}

type ServerErrorClass = new (text: string, cmd?: number | null) => ServerError;

const classes: ReadonlyMap<number, ServerErrorClass> = new Map<number, ServerErrorClass>([
  [ErrorCode.BadMagic, BadMagicError],
  [ErrorCode.FrameTooLarge, FrameTooLargeError],
  [ErrorCode.UnknownCommand, UnknownCommandError],
  [ErrorCode.ServerFull, ServerFullError],
  [ErrorCode.TooManyFromAddress, TooManyFromAddressError],
  [ErrorCode.IdleTimeout, IdleTimeoutError],
  [ErrorCode.ShuttingDown, ShuttingDownError],
  [ErrorCode.BadPayload, BadPayloadError],
  [ErrorCode.NotAuthenticated, NotAuthenticatedError],
  [ErrorCode.LoginTimeout, LoginTimeoutError],
  [ErrorCode.LoggedInElsewhere, LoggedInElsewhereError],
  [ErrorCode.NotInRoom, NotInRoomError],
]);

/** The typed error for an ERROR frame's code. */
export function serverErrorFor(code: number, text: string, cmd: number | null = null): ServerError {
  const Class = classes.get(code);
  return Class ? new Class(text, cmd) : new UnknownServerError(code, text, cmd);
}
