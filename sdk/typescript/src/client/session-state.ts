// What the client remembers of the logged-in session, so that a reconnect can
// resume it: the token from the last login or resume, and the highest push_id
// seen since. Pure logic over decoded AuthReplies (no sockets, no clock); a
// port of src/client/session.cc.

import { AuthResult } from '../generated/citadel/msg/auth-result';
import type { AuthReply } from '../messages/types';
import { Cmd } from '../wire/commands';

export type SessionEventKind =
  /** GuestLogin, Register or Login succeeded: the token is remembered. */
  | 'loggedIn'
  /** Resume succeeded: same user; the missed pushes follow, in order, as pushes. */
  | 'resumed'
  /** Resume succeeded, but the server dropped some missed pushes: re-read state (rejoin channels). */
  | 'resyncRequired'
  /** The session cannot be resumed (token forgotten); the connection stays open, logged out: log in again. */
  | 'lost'
  /** Logout succeeded. */
  | 'loggedOut';

export interface SessionInfo {
  /** Empty: nothing to resume. */
  readonly token: string;
  readonly userId: bigint;
  readonly username: string;
  readonly tokenExpiresUnixMs: number;
  /** The highest push_id seen since the login. */
  readonly lastPushId: bigint;
  /** Logged in on the current connection. */
  readonly loggedIn: boolean;
}

const EMPTY: SessionInfo = {
  token: '',
  userId: 0n,
  username: '',
  tokenExpiresUnixMs: 0,
  lastPushId: 0n,
  loggedIn: false,
};

export class SessionState {
  private current: SessionInfo = EMPTY;

  get info(): SessionInfo {
    return this.current;
  }

  get canResume(): boolean {
    return this.current.token !== '';
  }

  /** Results after which a Resume is worth trying again later (the session may still be there). */
  static isTransient(result: number): boolean {
    return result === AuthResult.ServerBusy || result === AuthResult.InternalError || result === AuthResult.RateLimited;
  }

  /**
   * The AuthReply to a request of `requestCmd`. Returns the session event to
   * report, if any. A Resume refused with a transient result keeps the token,
   * and so does AlreadyLoggedIn (this connection has the session already).
   */
  onAuthReply(requestCmd: number, reply: AuthReply): SessionEventKind | null {
    const ok = reply.result === AuthResult.Ok;
    switch (requestCmd) {
      case Cmd.GuestLogin:
      case Cmd.Register:
      case Cmd.Login:
        if (!ok || reply.token === '') return null;
        // Push ids are server-wide; a new session (maybe on a restarted server,
        // whose ids start at 1 again) must not skip pushes by an old high mark.
        this.current = {
          token: reply.token,
          userId: reply.userId,
          username: reply.username,
          tokenExpiresUnixMs: reply.tokenExpiresUnixMs,
          lastPushId: 0n,
          loggedIn: true,
        };
        return 'loggedIn';
      case Cmd.Resume:
        if (!ok) {
          if (SessionState.isTransient(reply.result) || reply.result === AuthResult.AlreadyLoggedIn) return null;
          this.forget();
          return 'lost';
        }
        this.current = {
          ...this.current,
          // The server renews the token on every resume; keep the newest.
          token: reply.token || this.current.token,
          tokenExpiresUnixMs: reply.token ? reply.tokenExpiresUnixMs : this.current.tokenExpiresUnixMs,
          userId: reply.userId,
          username: reply.username,
          loggedIn: true,
        };
        return reply.resyncRequired ? 'resyncRequired' : 'resumed';
      case Cmd.Logout:
        if (!ok) return null;
        this.forget();
        return 'loggedOut';
      default:
        return null;
    }
  }

  /**
   * A push's id. Returns false for one already seen (push ids rise with every
   * push, so an id at or below the mark is a repeat), true otherwise.
   */
  onPush(pushId: bigint): boolean {
    if (pushId !== 0n && pushId <= this.current.lastPushId) return false;
    if (pushId > this.current.lastPushId) this.current = { ...this.current, lastPushId: pushId };
    return true;
  }

  /** The connection is gone; the token stays for a resume. */
  onLinkDown(): void {
    if (this.current.loggedIn) this.current = { ...this.current, loggedIn: false };
  }

  /** A token obtained elsewhere (e.g. saved by the application across a restart), to resume. */
  setToken(token: string, lastPushId: bigint): void {
    this.current = { ...EMPTY, token, lastPushId };
  }

  forget(): void {
    this.current = EMPTY;
  }
}
