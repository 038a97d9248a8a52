// The base of every error this SDK throws or rejects with, and the errors
// that come from the client side (no server reply involved).

export class CitadelError extends Error {
  override name = 'CitadelError';
}

/** The request got no reply within `requestTimeoutMs`. */
export class RequestTimeoutError extends CitadelError {
  override name = 'RequestTimeoutError';
  constructor(
    readonly cmd: number,
    readonly timeoutMs: number,
  ) {
    super(`no reply within ${timeoutMs} ms`);
  }
}

/**
 * The connection broke while the request was on the wire. It may or may not
 * have reached the server; the SDK does not resend it, since only the caller
 * knows whether it is safe to repeat.
 */
export class ConnectionLostError extends CitadelError {
  override name = 'ConnectionLostError';
  constructor(readonly reason: string) {
    super(`connection lost: ${reason}`);
  }
}

/** close() was called: the client is finished. */
export class ClientClosedError extends CitadelError {
  override name = 'ClientClosedError';
  constructor() {
    super('the client is closed');
  }
}

/** Reconnecting stopped after `backoff.maxTries` failed attempts in a row. */
export class GaveUpError extends CitadelError {
  override name = 'GaveUpError';
  constructor(
    readonly attempts: number,
    readonly lastReason: string,
  ) {
    super(`gave up reconnecting after ${attempts} attempts: ${lastReason}`);
  }
}

/** More than `maxPendingRequests` requests waiting (held or on the wire). */
export class TooManyPendingError extends CitadelError {
  override name = 'TooManyPendingError';
  constructor(readonly limit: number) {
    super(`more than ${limit} requests waiting`);
  }
}

/** A reply that could not be decoded (not a valid FlatBuffers table of its cmd). */
export class MalformedReplyError extends CitadelError {
  override name = 'MalformedReplyError';
  constructor(
    readonly cmd: number,
    detail: string,
  ) {
    super(`malformed reply: ${detail}`);
  }
}

/** A matchmaking ticket left the queue because cancelMatch() was answered Ok. */
export class MatchCancelledError extends CitadelError {
  override name = 'MatchCancelledError';
  constructor() {
    super('matchmaking cancelled');
  }
}
