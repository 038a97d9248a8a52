// @citadel/sdk/node: the SDK for Node. The same API as the main entry point,
// with `ws` as the default WebSocket (Node 18 and 20 have no WebSocket of
// their own). Browser bundles import the main entry point and never see `ws`.

import WebSocket = require('ws');
import { CitadelClient as CoreClient } from './client/citadel-client';
import type { ClientOptions } from './client/options';
import type { WebSocketFactory } from './transport/websocket-like';

export * from './index';

/** Opens WebSockets with `ws`; `options` go to its constructor (e.g. TLS settings, headers). */
export function wsFactory(options: WebSocket.ClientOptions = {}): WebSocketFactory {
  return (url) => new WebSocket(url, { perMessageDeflate: false, ...options });
}

export class CitadelClient extends CoreClient {
  constructor(options: ClientOptions) {
    super({ ...options, webSocket: options.webSocket ?? wsFactory() });
  }
}
