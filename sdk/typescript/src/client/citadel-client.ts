// CitadelClient: one logical connection to a Citadel server over WebSocket,
// kept alive across network failures. It owns the connection's lifecycle
// (connect, heartbeat, dead-peer check, reconnect with backoff), the requests
// (matched to replies as docs/protocol.md's "Reply order" says, held while
// the client is not ready), and the session (login, resume on every new
// connection, missed pushes). The feature APIs (chat, rooms, arena, lockstep)
// sit on top through ClientCore.
//
// The behaviour follows the C++ client library (src/client/, docs/client.md).

import { ArenaApi } from '../api/arena';
import { ChatApi } from '../api/chat';
import { StorageApi } from '../api/storage';
import { LeaderboardsApi } from '../api/leaderboards';
import { LockstepApi } from '../api/lockstep';
import { RoomsApi } from '../api/rooms';
import {
  CitadelError,
  ClientClosedError,
  ConnectionLostError,
  GaveUpError,
  MalformedReplyError,
  RequestTimeoutError,
  TooManyPendingError,
} from '../errors/citadel-error';
import { AuthError } from '../errors/request-errors';
import { LoggedInElsewhereError, serverErrorFor, type ServerError } from '../errors/server-errors';
import { AuthResult } from '../generated/citadel/msg/auth-result';
import {
  decodeAuthReply,
  encodeGuestLogin,
  encodeLogin,
  encodeLogout,
  encodeRegister,
  encodeResume,
} from '../messages/auth';
import { decodeChatMessage, decodePresence } from '../messages/chat';
import type { AuthReply } from '../messages/types';
import { Link } from '../transport/link';
import { nativeWebSocketFactory, type WebSocketFactory } from '../transport/websocket-like';
import { Cmd } from '../wire/commands';
import type { Frame } from '../wire/frame';
import { ReconnectSchedule } from './backoff';
import type { ClientCore } from './core';
import { Emitter, type Listener } from './emitter';
import type { ClientEvents, ClientState } from './events';
import { Heartbeat } from './heartbeat';
import { resolveOptions, type ClientOptions, type ResolvedOptions } from './options';
import { RequestTracker, type Outgoing } from './request-tracker';
import { SessionState, type SessionInfo } from './session-state';

export interface RawRequestOptions {
  /** The cmd of the reply. */
  readonly replyCmd: number;
  /** The request_id the payload carries, for a reply matched by it (AuthReply, ChatReply, RoomReply). */
  readonly requestId?: number;
}

/** A logged-in session, as a login or resume returns it. */
export interface AuthSession {
  readonly userId: bigint;
  readonly username: string;
  readonly token: string;
  readonly tokenExpiresUnixMs: number;
}

export interface ClientStats {
  /** Round trip of the last heartbeat PING, in ms; null before the first. */
  lastHeartbeatRttMs: number | null;
  /** Connections that came up after the first one. */
  reconnects: number;
  /** Replies that came after their request had timed out. */
  lateReplies: number;
  /** Pushes with a push_id already seen, dropped. */
  duplicatePushes: number;
}

/** A request or one-way message, from the call until it is answered or fails. */
interface Call {
  readonly cmd: number;
  readonly payload: Uint8Array;
  /** null: one-way. */
  readonly replyCmd: number | null;
  readonly requestId: number | null;
  /** Called once, synchronously, with the reply frame or the failure. */
  readonly settle: (outcome: Frame | Error) => void;
  /** Heartbeat PINGs and the automatic Resume: not held, not counted, no timeout. */
  readonly internal: boolean;
  phase: 'held' | 'sent' | 'done';
  timer: ReturnType<typeof setTimeout> | null;
  outgoing: Outgoing<Call> | null;
}

const AUTH_REQUEST_CMDS: ReadonlySet<number> = new Set([
  Cmd.GuestLogin,
  Cmd.Register,
  Cmd.Login,
  Cmd.Resume,
  Cmd.Logout,
]);

export class CitadelClient {
  readonly chat: ChatApi;
  /** Player storage objects (docs/protocol.md, "Storage"). */
  readonly storage: StorageApi;
  /** Leaderboards: submit scores, read pages and ranks (docs/protocol.md, "Leaderboards"). */
  readonly leaderboards: LeaderboardsApi;
  readonly rooms: RoomsApi;
  readonly arena: ArenaApi;
  readonly lockstep: LockstepApi;
  readonly stats: ClientStats = { lastHeartbeatRttMs: null, reconnects: 0, lateReplies: 0, duplicatePushes: 0 };

  private readonly options: ResolvedOptions;
  private readonly webSocket: WebSocketFactory;
  private readonly events = new Emitter<ClientEvents>();
  private readonly sessionState = new SessionState();
  private readonly schedule: ReconnectSchedule;
  private tracker = new RequestTracker<Call>();

  private phase: ClientState = 'idle';
  private link: Link | null = null;
  private linkSerial = 0;
  private linkUp = false;
  private hadConnection = false;
  private heartbeat: Heartbeat | null = null;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  /** From sending the automatic Resume until its answer: requests wait in `held`. */
  private resuming = false;
  private held: Call[] = [];
  private pendingCalls = 0;
  private lastRequestId = 0;
  /** An ERROR that closes the connection; it leads the disconnect reason. */
  private goodbye: ServerError | null = null;
  /** Set when reconnecting would be wrong (a newer login took the session over). */
  private stayDown: string | null = null;
  private lastDownReason = '';
  private connectWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];

  constructor(options: ClientOptions) {
    this.options = resolveOptions(options, nativeWebSocketFactory());
    if (this.options.webSocket === null) {
      throw new TypeError(
        'no WebSocket implementation here: pass options.webSocket, or on Node import from "@citadel/sdk/node"',
      );
    }
    this.webSocket = this.options.webSocket;
    this.schedule = new ReconnectSchedule(this.options.backoff, now, this.options.random);
    const core: ClientCore = {
      request: (cmd, replyCmd, encode, handle) => this.requestWith(cmd, replyCmd, encode, handle),
      sendOneWay: (cmd, payload) => this.sendOneWay(cmd, payload),
      emit: (name, event) => this.events.emit(name, event),
      autoRoomResync: this.options.autoRoomResync,
    };
    this.chat = new ChatApi(core);
    this.storage = new StorageApi(core);
    this.leaderboards = new LeaderboardsApi(core);
    this.arena = new ArenaApi(core);
    this.lockstep = new LockstepApi(core);
    this.rooms = new RoomsApi(core, this.arena, this.lockstep);
  }

  // ---- events and state ----

  /** Subscribes to an event; returns the function that unsubscribes. */
  on<K extends keyof ClientEvents>(name: K, listener: Listener<ClientEvents[K]>): () => void {
    return this.events.on(name, listener);
  }
  once<K extends keyof ClientEvents>(name: K, listener: Listener<ClientEvents[K]>): () => void {
    return this.events.once(name, listener);
  }
  off<K extends keyof ClientEvents>(name: K, listener: Listener<ClientEvents[K]>): void {
    this.events.off(name, listener);
  }

  get state(): ClientState {
    return this.phase;
  }

  /** Connected, and not resuming: requests go out at once. */
  get ready(): boolean {
    return this.linkUp && !this.resuming && this.link !== null && this.link.isOpen;
  }

  /** What the client remembers of the session (token, user, last push id). */
  get session(): SessionInfo {
    return this.sessionState.info;
  }

  // ---- connection ----

  /**
   * Starts connecting (and reconnecting after losses) and resolves once
   * connected. Rejects if the client gives up (`backoff.maxTries`) or is closed
   * first. Calling it while connecting or connected just waits for that.
   */
  connect(): Promise<void> {
    if (this.phase === 'closed') return Promise.reject(new ClientClosedError());
    if (this.phase === 'connected') return Promise.resolve();
    const connected = new Promise<void>((resolve, reject) => this.connectWaiters.push({ resolve, reject }));
    if (this.phase === 'idle') {
      this.schedule.reset();
      this.stayDown = null;
      this.startAttempt(0);
    }
    return connected;
  }

  /**
   * Ends the client for good: the connection closes (WebSocket close 1000),
   * and every waiting request fails with ClientClosedError. The server keeps
   * the session for its grace period; call logout() first to end it now.
   */
  close(): void {
    if (this.phase === 'closed') return;
    this.setPhase('closed');
    this.clearReconnectTimer();
    this.stopHeartbeat();
    this.link?.close();
    this.link = null;
    this.linkUp = false;
    this.resuming = false;
    const error = new ClientClosedError();
    for (const request of this.tracker.takeAll()) this.fail(request.tag, error);
    this.failHeld(error);
    this.rooms.onClosed(error);
    this.rejectConnectWaiters(error);
    this.events.emit('closed', {});
  }

  /**
   * Breaks the connection as if the network had failed; the usual reconnect
   * and resume follow. For an application that knows the network changed.
   */
  dropConnection(reason = 'dropped by the application'): void {
    this.link?.fail(reason);
  }

  // ---- session ----

  /** Logs in as the guest bound to `deviceId` (8 to 128 bytes), created on first use. */
  loginGuest(deviceId: string): Promise<AuthSession> {
    return this.authRequest(Cmd.GuestLogin, (id) => encodeGuestLogin(id, deviceId));
  }

  /** Creates an account (username: 3 to 32 of A-Z a-z 0-9 _ - .; password: 8 to 128 bytes) and logs in. */
  register(username: string, password: string): Promise<AuthSession> {
    return this.authRequest(Cmd.Register, (id) => encodeRegister(id, username, password));
  }

  login(username: string, password: string): Promise<AuthSession> {
    return this.authRequest(Cmd.Login, (id) => encodeLogin(id, username, password));
  }

  /**
   * Ends the session now (no grace period). The token is forgotten when the
   * Logout is sent, so a reconnect before its reply does not resume. The
   * connection stays open, logged out.
   */
  logout(): Promise<void> {
    this.sessionState.forget();
    return this.authRequest(Cmd.Logout, encodeLogout).then(() => undefined);
  }

  /**
   * Sends Resume now with the remembered token (the client does so by itself
   * on every new connection; this is for a token handed over by setSession()
   * while connected).
   */
  resume(): Promise<AuthSession> {
    const { token, lastPushId } = this.sessionState.info;
    if (token === '') return Promise.reject(new CitadelError('no session to resume'));
    return this.authRequest(Cmd.Resume, (id) => encodeResume(id, token, lastPushId));
  }

  /** Hands the client a token obtained elsewhere (e.g. saved across an app restart); the next connection resumes it. */
  setSession(token: string, lastPushId: bigint = 0n): void {
    this.sessionState.setToken(token, lastPushId);
  }

  /** Forgets the session: the next connection does not resume. */
  forgetSession(): void {
    this.sessionState.forget();
  }

  // ---- raw messages ----

  /** PING with up to 64 opaque bytes; resolves with the round trip in ms. */
  ping(payload: Uint8Array = new Uint8Array(0)): Promise<number> {
    const sentAt = now();
    return this.call(Cmd.Ping, payload, Cmd.Pong, null, () => now() - sentAt);
  }

  /** ECHO: resolves with the bytes the server sent back. */
  echo(payload: Uint8Array): Promise<Uint8Array> {
    return this.call(Cmd.Echo, payload, Cmd.Echo, null, (frame) => frame.payload.slice());
  }

  /**
   * Any request, for messages the SDK has no method for (a game's own room
   * type). Its reply is the next `replyCmd` frame, or with `requestId` the
   * AuthReply/ChatReply/RoomReply carrying it. A refusing ERROR rejects it
   * with the ServerError of its code.
   */
  request(cmd: number, payload: Uint8Array, options: RawRequestOptions): Promise<Frame> {
    return this.call(cmd, payload, options.replyCmd, options.requestId ?? null, (frame) => frame);
  }

  /** A one-way message (no reply); false when there is no connection (dropped). */
  send(cmd: number, payload: Uint8Array): boolean {
    return this.sendOneWay(cmd, payload);
  }

  /** A fresh request_id, for a payload built by hand. */
  nextRequestId(): number {
    this.lastRequestId = this.lastRequestId >= 0xffffffff ? 1 : this.lastRequestId + 1;
    return this.lastRequestId;
  }

  // ---- requests ----

  /** A request whose payload `encode` builds around a fresh request_id, matched by it. */
  private requestWith<T>(
    cmd: number,
    replyCmd: number,
    encode: (requestId: number) => Uint8Array,
    handle: (reply: Frame) => T,
  ): Promise<T> {
    const requestId = this.nextRequestId();
    return this.call(cmd, encode(requestId), replyCmd, requestId, handle);
  }

  private authRequest(cmd: number, encode: (requestId: number) => Uint8Array): Promise<AuthSession> {
    return this.requestWith(cmd, Cmd.AuthReply, encode, (frame) => {
      const reply = decodeAuthReply(frame.payload);
      if (reply.result !== AuthResult.Ok) throw new AuthError(cmd, reply.result, reply.message);
      return sessionOf(reply);
    });
  }

  private call<T>(
    cmd: number,
    payload: Uint8Array,
    replyCmd: number,
    requestId: number | null,
    handle: (reply: Frame) => T,
  ): Promise<T> {
    if (this.phase === 'closed') return Promise.reject(new ClientClosedError());
    if (this.pendingCalls >= this.options.maxPendingRequests) {
      return Promise.reject(new TooManyPendingError(this.options.maxPendingRequests));
    }
    return new Promise<T>((resolve, reject) => {
      const call = this.newCall(cmd, payload, replyCmd, requestId, false, (outcome) => {
        if (outcome instanceof Error) return reject(outcome);
        try {
          resolve(handle(outcome));
        } catch (e) {
          reject(e instanceof CitadelError ? e : new MalformedReplyError(outcome.cmd, describe(e)));
        }
      });
      this.pendingCalls += 1;
      if (this.options.requestTimeoutMs > 0) {
        call.timer = setTimeout(() => this.timeOut(call), this.options.requestTimeoutMs);
      }
      this.dispatch(call);
    });
  }

  private newCall(
    cmd: number,
    payload: Uint8Array,
    replyCmd: number | null,
    requestId: number | null,
    internal: boolean,
    settle: (outcome: Frame | Error) => void,
  ): Call {
    return { cmd, payload, replyCmd, requestId, settle, internal, phase: 'held', timer: null, outgoing: null };
  }

  private sendOneWay(cmd: number, payload: Uint8Array): boolean {
    if (!this.linkUp) return false;
    this.dispatch(this.newCall(cmd, payload, null, null, false, () => undefined));
    return true;
  }

  /** Sends the call now if the client is ready, else holds it (in order). */
  private dispatch(call: Call): void {
    if (!this.ready && !call.internal) {
      call.phase = 'held';
      this.held.push(call);
      return;
    }
    this.transmit(call);
  }

  private transmit(call: Call): void {
    const link = this.link;
    if (link === null || !link.send(call.cmd, call.payload)) {
      if (call.internal) return this.finish(call, new ConnectionLostError('not connected'));
      call.phase = 'held';
      this.held.push(call);
      return;
    }
    call.phase = 'sent';
    call.outgoing = { cmd: call.cmd, replyCmd: call.replyCmd, requestId: call.requestId, tag: call };
    this.tracker.sent(call.outgoing);
    if (call.replyCmd === null) call.phase = 'done'; // one-way: nothing to wait for
  }

  private releaseHeld(): void {
    const held = this.held;
    this.held = [];
    for (const call of held) {
      if (call.phase === 'held') this.dispatch(call);
    }
  }

  private timeOut(call: Call): void {
    if (call.phase === 'done') return;
    if (call.phase === 'held') this.held = this.held.filter((c) => c !== call);
    else if (call.outgoing) this.tracker.abandon(call.outgoing);
    this.finish(call, new RequestTimeoutError(call.cmd, this.options.requestTimeoutMs));
  }

  private fail(call: Call, error: Error): void {
    if (call.phase !== 'done') this.finish(call, error);
  }

  private finish(call: Call, outcome: Frame | Error): void {
    call.phase = 'done';
    if (call.timer !== null) clearTimeout(call.timer);
    call.timer = null;
    if (!call.internal && call.replyCmd !== null) this.pendingCalls -= 1;
    call.settle(outcome);
  }

  private failHeld(error: Error): void {
    const held = this.held;
    this.held = [];
    for (const call of held) this.fail(call, error);
  }

  // ---- the connection's lifecycle ----

  private startAttempt(attempt: number): void {
    this.setPhase('connecting');
    this.events.emit('connecting', { attempt });
    const serial = ++this.linkSerial;
    const current = () => serial === this.linkSerial && this.phase !== 'closed';
    const link = new Link(
      {
        url: this.options.url,
        webSocket: this.webSocket,
        connectTimeoutMs: this.options.connectTimeoutMs,
        maxPayloadBytes: this.options.maxPayloadBytes,
      },
      {
        up: () => current() && this.onLinkUp(),
        frame: (frame) => current() && this.onFrame(frame),
        down: (reason) => current() && this.onLinkDown(reason),
      },
    );
    this.link = link;
    link.open();
  }

  private onLinkUp(): void {
    this.linkUp = true;
    this.tracker = new RequestTracker<Call>();
    this.setPhase('connected');
    this.schedule.onConnected();
    const reconnected = this.hadConnection;
    if (reconnected) this.stats.reconnects += 1;
    this.hadConnection = true;
    this.heartbeat = new Heartbeat({
      intervalMs: this.options.heartbeatIntervalMs,
      deadAfterMs: this.options.deadAfterMs,
      now,
      sendPing: () => this.sendHeartbeat(),
      dead: (silentMs) => this.link?.fail(`no frame from the server for ${Math.round(silentMs)} ms: connection dead`),
    });
    // Resume first: requests made from here on, in the 'connected' listeners
    // too, are held until it is answered, so they reach a logged-in connection.
    if (this.sessionState.canResume) this.startResume();
    this.events.emit('connected', { reconnected });
    const waiters = this.connectWaiters;
    this.connectWaiters = [];
    for (const w of waiters) w.resolve();
    if (!this.resuming) this.releaseHeld();
  }

  private onFrame(frame: Frame): void {
    this.heartbeat?.received();
    if (frame.cmd === Cmd.Ping) {
      this.link?.send(Cmd.Pong, frame.payload); // the server may PING too ("either way")
      return;
    }
    const match = this.tracker.match(frame);
    switch (match.kind) {
      case 'reply':
        return this.onReply(match.request.tag, frame);
      case 'error': {
        const error = serverErrorFor(match.code, match.text, match.request.cmd);
        const call = match.request.tag;
        // It refuses a request still waiting; otherwise (a one-way message, or a
        // request that timed out) no promise is left to reject: report it.
        if (call.replyCmd !== null && call.phase === 'sent') this.finish(call, error);
        else this.events.emit('serverError', error);
        return;
      }
      case 'unsolicitedError':
        return this.onUnsolicitedError(serverErrorFor(match.code, match.text, match.cmd));
      case 'push':
        return this.onPush(frame);
    }
  }

  private onReply(call: Call, frame: Frame): void {
    if (call.phase !== 'sent') this.stats.lateReplies += 1; // it timed out, but kept its place in line
    if (frame.cmd === Cmd.AuthReply && AUTH_REQUEST_CMDS.has(call.cmd)) this.observeAuthReply(call.cmd, frame);
    if (call.phase === 'sent') this.finish(call, frame);
  }

  private onUnsolicitedError(error: ServerError): void {
    if (error.closesConnection) this.goodbye = error;
    if (error instanceof LoggedInElsewhereError) {
      // A newer login took the session over: resuming would take it back.
      this.stayDown = `logged in elsewhere: ${error.text}`;
      this.sessionLost(0, error.text);
    }
    this.events.emit('serverError', error);
  }

  private onPush(frame: Frame): void {
    try {
      switch (frame.cmd) {
        case Cmd.ChatMessage: {
          const message = decodeChatMessage(frame.payload);
          if (this.freshPush(message.pushId)) this.events.emit('chatMessage', message);
          return;
        }
        case Cmd.Presence: {
          const presence = decodePresence(frame.payload);
          if (this.freshPush(presence.pushId)) this.events.emit('presence', presence);
          return;
        }
        case Cmd.RoomEvent:
          return this.rooms.onRoomEvent(frame.payload);
        case Cmd.MatchResult:
          return this.rooms.onMatchResult(frame.payload);
        case Cmd.ArenaState:
          return this.arena.onState(frame.payload);
        case Cmd.LockstepFrame:
          return this.lockstep.onFrame(frame.payload);
        case Cmd.AuthReply:
        case Cmd.ChatReply:
        case Cmd.RoomReply:
        case Cmd.Pong:
        case Cmd.Echo:
          this.stats.lateReplies += 1; // to a request that timed out
          return;
        default:
          this.events.emit('push', frame);
      }
    } catch (e) {
      this.events.emit('malformedPush', { cmd: frame.cmd, error: e instanceof Error ? e : new Error(String(e)) });
    }
  }

  private freshPush(pushId: bigint): boolean {
    if (this.sessionState.onPush(pushId)) return true;
    this.stats.duplicatePushes += 1;
    return false;
  }

  private onLinkDown(reason: string): void {
    this.stopHeartbeat();
    this.link = null;
    this.linkUp = false;
    this.resuming = false;
    this.sessionState.onLinkDown();
    // Inputs held for a resume that did not happen are stale now.
    this.held = this.held.filter((call) => call.replyCmd !== null);
    const goodbye = this.goodbye;
    this.goodbye = null;
    const why = goodbye ? `server sent ERROR ${goodbye.code} (${goodbye.text}); ${reason}` : reason;
    this.lastDownReason = why;
    // In flight: maybe handled, maybe not. Not resent: only the caller knows if that is safe.
    const lost = new ConnectionLostError(why);
    for (const request of this.tracker.takeAll()) this.fail(request.tag, lost);
    this.rooms.onLinkDown(why);
    this.events.emit('disconnected', { reason: why, error: goodbye });
    if (this.phase === 'closed') return; // close() from a listener
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    const why = this.lastDownReason;
    if (!this.options.autoReconnect || this.stayDown !== null) {
      this.setPhase('idle');
      const error = new ConnectionLostError(this.stayDown ?? why);
      this.failHeld(error);
      this.rejectConnectWaiters(error);
      return;
    }
    const next = this.schedule.onLinkDown();
    if (next === null) {
      const attempts = this.schedule.failures;
      this.setPhase('idle');
      this.events.emit('gaveUp', { attempts, reason: why });
      const error = new GaveUpError(attempts, why);
      this.failHeld(error);
      this.rejectConnectWaiters(error);
      return;
    }
    this.setPhase('reconnecting');
    this.events.emit('reconnecting', { attempt: next.attempt, delayMs: next.delayMs });
    if (this.phase !== 'reconnecting') return; // a listener closed the client
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.startAttempt(next.attempt);
    }, next.delayMs);
  }

  // ---- heartbeat and resume ----

  private sendHeartbeat(): void {
    const sentAt = now();
    const ping = this.newCall(Cmd.Ping, new Uint8Array(0), Cmd.Pong, null, true, (outcome) => {
      if (outcome instanceof Error) return;
      const rttMs = now() - sentAt;
      this.stats.lastHeartbeatRttMs = rttMs;
      this.events.emit('heartbeat', { rttMs });
    });
    this.transmit(ping);
  }

  private startResume(): void {
    this.resuming = true;
    const serial = this.linkSerial;
    const { token, lastPushId } = this.sessionState.info;
    const requestId = this.nextRequestId();
    const resume = this.newCall(
      Cmd.Resume,
      encodeResume(requestId, token, lastPushId),
      Cmd.AuthReply,
      requestId,
      true,
      (outcome) => {
        if (serial === this.linkSerial) this.resumeAnswered(outcome);
      },
    );
    // The automatic Resume has its own deadline: without an answer the link is retried.
    if (this.options.requestTimeoutMs > 0) {
      resume.timer = setTimeout(() => {
        if (resume.phase === 'done' || serial !== this.linkSerial) return;
        this.link?.fail(`no answer to Resume within ${this.options.requestTimeoutMs} ms`);
      }, this.options.requestTimeoutMs);
    }
    this.transmit(resume);
  }

  /** The session event (resumed, lost) was reported by observeAuthReply; this decides what happens next. */
  private resumeAnswered(outcome: Frame | Error): void {
    if (!this.resuming) return;
    if (outcome instanceof ConnectionLostError) return; // the link went; the next one resumes
    this.resuming = false;
    if (outcome instanceof Error) {
      // An ERROR (e.g. 3 from a server without Resume): it will not resume this session anywhere.
      this.sessionLost(0, `Resume answered by ${outcome.message}`);
    } else {
      let reply: AuthReply | null = null;
      try {
        reply = decodeAuthReply(outcome.payload);
      } catch {
        this.sessionLost(0, 'Resume answered by a malformed AuthReply');
      }
      if (reply && reply.result !== AuthResult.Ok && SessionState.isTransient(reply.result)) {
        // Busy: the session may still be there. Retry on a new connection after a backoff delay.
        this.resuming = true;
        this.link?.fail(`Resume refused for now: ${AuthResult[reply.result]}`);
        return;
      }
    }
    this.releaseHeld();
  }

  private observeAuthReply(requestCmd: number, frame: Frame): void {
    let reply: AuthReply;
    try {
      reply = decodeAuthReply(frame.payload);
    } catch {
      return;
    }
    const before = this.sessionState.info;
    const kind = this.sessionState.onAuthReply(requestCmd, reply);
    if (kind === null) return;
    // A refusal names no user: say whose session ended.
    const who = kind === 'lost' ? before : reply;
    this.events.emit('session', {
      kind,
      userId: who.userId,
      username: who.username,
      authResult: reply.result,
      message: reply.message,
    });
  }

  private sessionLost(authResult: number, message: string): void {
    const before = this.sessionState.info;
    this.sessionState.forget();
    this.events.emit('session', { kind: 'lost', userId: before.userId, username: before.username, authResult, message });
  }

  // ---- small helpers ----

  private setPhase(phase: ClientState): void {
    this.phase = phase;
  }

  private stopHeartbeat(): void {
    this.heartbeat?.stop();
    this.heartbeat = null;
  }

  private clearReconnectTimer(): void {
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
  }

  private rejectConnectWaiters(error: Error): void {
    const waiters = this.connectWaiters;
    this.connectWaiters = [];
    for (const w of waiters) w.reject(error);
  }
}

function sessionOf(reply: AuthReply): AuthSession {
  return {
    userId: reply.userId,
    username: reply.username,
    token: reply.token,
    tokenExpiresUnixMs: reply.tokenExpiresUnixMs,
  };
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
