// What the SDK needs of a WebSocket: the subset that the browser's native
// WebSocket and the npm `ws` package (Node) both have. The core never names
// either, so a browser bundle does not pull `ws` in; Node code gets `ws` from
// the '@citadel/sdk/node' entry point.

/** A WebSocket as the browser's and `ws` both implement it. */
export interface WebSocketLike {
  /** The SDK sets 'arraybuffer'. */
  binaryType: string;
  readonly readyState: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  // The handlers' parameter types are `never` so that any WebSocket
  // implementation's own event types fit; the SDK reads the events defensively.
  onopen: ((event: never) => void) | null;
  onmessage: ((event: never) => void) | null;
  onclose: ((event: never) => void) | null;
  onerror: ((event: never) => void) | null;
}

/** Opens a WebSocket to `url`. Inject one to choose the implementation or set its options. */
export type WebSocketFactory = (url: string) => WebSocketLike;

/** WebSocket.OPEN in every implementation. */
export const WS_OPEN = 1;

interface WebSocketConstructor {
  new (url: string): WebSocketLike;
}

/**
 * The platform's own WebSocket (browsers, Deno, Bun, Node 22+), or null where
 * there is none (Node 18 and 20: use '@citadel/sdk/node', which brings `ws`).
 */
export function nativeWebSocketFactory(): WebSocketFactory | null {
  const native = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (typeof native !== 'function') return null;
  return (url) => new native(url);
}
