// One connection attempt: a WebSocket opened with a deadline, whose binary
// messages are decoded as Citadel frames. It reports up, frame and down
// once each in that order (down at most once), and never after close().
// Reconnecting is the client's business: a Link is used once.

import { decodeFrame, encodeFrame, type Frame } from '../wire/frame';
import { WS_OPEN, type WebSocketFactory, type WebSocketLike } from './websocket-like';

export interface LinkHandlers {
  /** The WebSocket is open: frames may be sent. */
  up(): void;
  frame(frame: Frame): void;
  /** The link is gone (or never came up); `reason` says why, for people. */
  down(reason: string): void;
}

export interface LinkOptions {
  readonly url: string;
  readonly webSocket: WebSocketFactory;
  readonly connectTimeoutMs: number;
  readonly maxPayloadBytes: number;
}

interface CloseLike {
  code?: unknown;
  reason?: unknown;
}
interface MessageLike {
  data?: unknown;
}
interface ErrorLike {
  message?: unknown;
  error?: unknown;
}

export class Link {
  private socket: WebSocketLike | null = null;
  private connectTimer: ReturnType<typeof setTimeout> | null = null;
  private finished = false;
  private opened = false;
  /** The detail of the last 'error' event, added to the close's reason. */
  private lastError = '';

  constructor(
    private readonly options: LinkOptions,
    private readonly handlers: LinkHandlers,
  ) {}

  open(): void {
    let socket: WebSocketLike;
    try {
      socket = this.options.webSocket(this.options.url);
      socket.binaryType = 'arraybuffer';
    } catch (e) {
      // e.g. a malformed URL: report it like any failed attempt, but asynchronously.
      queueMicrotask(() => this.finish(`cannot open ${this.options.url}: ${describe(e)}`));
      return;
    }
    this.socket = socket;
    this.connectTimer = setTimeout(
      () => this.finish(`no WebSocket connection within ${this.options.connectTimeoutMs} ms`),
      this.options.connectTimeoutMs,
    );
    socket.onopen = () => {
      if (this.finished) return;
      this.clearConnectTimer();
      this.opened = true;
      this.handlers.up();
    };
    socket.onmessage = (event: MessageLike) => this.receive(event.data);
    socket.onerror = (event: ErrorLike) => {
      // The close event follows with the code; this only adds the detail.
      this.lastError = describe(event.error ?? event.message ?? 'WebSocket error');
    };
    socket.onclose = (event: CloseLike) => {
      const code = typeof event.code === 'number' ? event.code : 0;
      const reason = typeof event.reason === 'string' && event.reason ? ` ${event.reason}` : '';
      const what = this.opened ? 'connection closed' : 'could not connect';
      this.finish(`${what} (WebSocket close ${code}${reason}${this.lastError ? `; ${this.lastError}` : ''})`);
    };
  }

  /** False once the link is down or closed, or while it is not yet open. */
  get isOpen(): boolean {
    return !this.finished && this.socket !== null && this.socket.readyState === WS_OPEN;
  }

  /** Sends one frame; false if the link cannot take it (not open). */
  send(cmd: number, payload?: Uint8Array): boolean {
    if (!this.isOpen) return false;
    try {
      this.socket!.send(encodeFrame(cmd, payload));
      return true;
    } catch (e) {
      this.fail(`send failed: ${describe(e)}`);
      return false;
    }
  }

  /** Ends the link as if the network had failed: `down(reason)` follows. */
  fail(reason: string): void {
    queueMicrotask(() => this.finish(reason));
  }

  /** Ends the link with a WebSocket close (1000), without reporting `down`. */
  close(): void {
    this.finished = true;
    this.teardown(true);
  }

  private receive(data: unknown): void {
    if (this.finished) return;
    const bytes = toBytes(data);
    if (bytes === null) {
      // Citadel is binary; a text message is not ours (the server never sends one).
      this.finish('the server sent a non-binary WebSocket message');
      return;
    }
    let frame: Frame;
    try {
      frame = decodeFrame(bytes, this.options.maxPayloadBytes);
    } catch (e) {
      this.finish(`the server sent a malformed frame: ${describe(e)}`);
      return;
    }
    this.handlers.frame(frame);
  }

  private finish(reason: string): void {
    if (this.finished) return;
    this.finished = true;
    this.teardown(false);
    this.handlers.down(reason);
  }

  /**
   * Stops listening and closes the socket: gracefully (close 1000) when the
   * application asked, otherwise at once where the implementation can (`ws`'s
   * terminate(): a dead peer would never answer a closing handshake).
   */
  private teardown(graceful: boolean): void {
    this.clearConnectTimer();
    const socket = this.socket;
    if (socket === null) return;
    // No-ops rather than null: `ws` reports an aborted handshake as an 'error'
    // event, and an EventEmitter 'error' with no listener would throw.
    const ignore = (() => undefined) as (event: never) => void;
    socket.onopen = socket.onmessage = socket.onerror = socket.onclose = ignore;
    try {
      const terminate = (socket as { terminate?: () => void }).terminate;
      if (!graceful && typeof terminate === 'function') terminate.call(socket);
      else socket.close(1000);
    } catch {
      // Closing a socket that failed to open may throw; it is gone either way.
    }
  }

  private clearConnectTimer(): void {
    if (this.connectTimer !== null) clearTimeout(this.connectTimer);
    this.connectTimer = null;
  }
}

function toBytes(data: unknown): Uint8Array | null {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return null;
}

function describe(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
