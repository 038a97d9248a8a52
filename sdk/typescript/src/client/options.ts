// Every setting of a CitadelClient, with its unit and default. The defaults
// are those of the C++ client library (src/client/client_options.h).

import type { WebSocketFactory } from '../transport/websocket-like';
import { DEFAULT_MAX_PAYLOAD_BYTES } from '../wire/frame';

/**
 * How a reconnect delay is drawn below its ceiling c = min(capMs, baseMs * 2^n):
 * 'none' exactly c; 'full' uniform in [0, c] (spreads clients most, may retry
 * at once); 'equal' uniform in [c/2, c] (still spreads a crowd, never retries
 * at once, delays never shrink until the cap).
 */
export type Jitter = 'none' | 'full' | 'equal';

export interface BackoffOptions {
  /** First delay's ceiling. Default 200 ms. */
  readonly baseMs: number;
  /** Largest delay. Default 10 s. */
  readonly capMs: number;
  /** Failed attempts in a row before giving up; 0 = reconnect forever. Default 0. */
  readonly maxTries: number;
  /** Default 'equal'. */
  readonly jitter: Jitter;
  /**
   * A connection that stayed up this long was healthy: the next loss starts
   * the schedule again. One the server drops sooner keeps the delays growing.
   * Default 5 s.
   */
  readonly stableAfterMs: number;
}

export interface ClientOptions {
  /** ws://host:port/ or wss://host:port/ (the server's `websocket.path`, "/" by default). */
  readonly url: string;
  /**
   * Opens the WebSocket. Default: the platform's WebSocket (browsers, Node 22+).
   * On Node 18/20 import from '@citadel/sdk/node', which defaults to `ws`.
   */
  readonly webSocket?: WebSocketFactory;
  /** One attempt's deadline, WebSocket handshake included. Default 5 s. */
  readonly connectTimeoutMs?: number;
  /**
   * A PING goes out this often while connected; it also keeps the server's
   * idle timeout (30 s) from closing a quiet client. 0 disables. Default 10 s.
   */
  readonly heartbeatIntervalMs?: number;
  /**
   * No frame at all from the server for this long: the connection is taken
   * as dead, closed, and reconnected. 0 disables. Default 30 s.
   */
  readonly deadAfterMs?: number;
  /** A request unanswered this long (held time included) fails. Default 10 s. */
  readonly requestTimeoutMs?: number;
  /** Reconnect (and resume the session) after a loss. Default true. */
  readonly autoReconnect?: boolean;
  readonly backoff?: Partial<BackoffOptions>;
  /** Requests waiting (held or on the wire) at once. Default 1024. */
  readonly maxPendingRequests?: number;
  /** The largest frame payload accepted from the server. Default 65536. */
  readonly maxPayloadBytes?: number;
  /**
   * After a resume puts you back in a room (RoomEvent Rejoined), send RoomJoin
   * for it with the last lockstep frame seen, so the room re-sends its state and
   * the member list is fresh. Default true.
   */
  readonly autoRoomResync?: boolean;
  /** Uniform in [0, 1), for the backoff jitter. Default Math.random. */
  readonly random?: () => number;
}

export interface ResolvedOptions {
  readonly url: string;
  readonly webSocket: WebSocketFactory | null;
  readonly connectTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly deadAfterMs: number;
  readonly requestTimeoutMs: number;
  readonly autoReconnect: boolean;
  readonly backoff: BackoffOptions;
  readonly maxPendingRequests: number;
  readonly maxPayloadBytes: number;
  readonly autoRoomResync: boolean;
  readonly random: () => number;
}

export const DEFAULT_BACKOFF: BackoffOptions = {
  baseMs: 200,
  capMs: 10_000,
  maxTries: 0,
  jitter: 'equal',
  stableAfterMs: 5_000,
};

function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a finite number >= 0, got ${value}`);
  return value;
}

export function resolveOptions(options: ClientOptions, fallbackWebSocket: WebSocketFactory | null): ResolvedOptions {
  if (typeof options.url !== 'string' || !/^wss?:\/\//.test(options.url)) {
    throw new TypeError(`url must start with ws:// or wss://, got ${String(options.url)}`);
  }
  const backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
  nonNegative('backoff.baseMs', backoff.baseMs);
  nonNegative('backoff.capMs', backoff.capMs);
  nonNegative('backoff.maxTries', backoff.maxTries);
  nonNegative('backoff.stableAfterMs', backoff.stableAfterMs);
  return {
    url: options.url,
    webSocket: options.webSocket ?? fallbackWebSocket,
    connectTimeoutMs: nonNegative('connectTimeoutMs', options.connectTimeoutMs ?? 5_000),
    heartbeatIntervalMs: nonNegative('heartbeatIntervalMs', options.heartbeatIntervalMs ?? 10_000),
    deadAfterMs: nonNegative('deadAfterMs', options.deadAfterMs ?? 30_000),
    requestTimeoutMs: nonNegative('requestTimeoutMs', options.requestTimeoutMs ?? 10_000),
    autoReconnect: options.autoReconnect ?? true,
    backoff,
    maxPendingRequests: nonNegative('maxPendingRequests', options.maxPendingRequests ?? 1024),
    maxPayloadBytes: nonNegative('maxPayloadBytes', options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES),
    autoRoomResync: options.autoRoomResync ?? true,
    random: options.random ?? Math.random,
  };
}
