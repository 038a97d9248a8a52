// Clients for a test: Node's CitadelClient over `ws`, with the sockets each
// one opened kept at hand (a test kills one to drop the connection for real)
// and a gate that, closed, makes new connection attempts fail (so a test
// decides when a reconnect may succeed). Every client is closed at the end.

import WebSocket from 'ws';
import { CitadelClient, type ClientOptions } from '../../dist/node';

/** One frame on the wire: which socket (index in `sockets`), which way, which cmd. */
export interface WireRecord {
  readonly socket: number;
  readonly dir: 'out' | 'in';
  readonly cmd: number;
}

export interface TestClient {
  readonly client: CitadelClient;
  /** The WebSockets it opened, oldest first. */
  readonly sockets: WebSocket[];
  /** Every frame sent and received, in order. */
  readonly wire: WireRecord[];
  /** Closed: every new connection attempt fails at once. */
  gate: { open: boolean };
  /** Kills the current connection's TCP socket, with no closing handshake. */
  killSocket(): void;
}

export class Clients {
  private readonly made: TestClient[] = [];

  constructor(private readonly url: () => string) {}

  make(options: Partial<ClientOptions> = {}): TestClient {
    const sockets: WebSocket[] = [];
    const wire: WireRecord[] = [];
    const gate = { open: true };
    const client = new CitadelClient({
      url: this.url(),
      ...options,
      webSocket: (url) => {
        if (!gate.open) throw new Error('the test holds new connections back');
        const ws = new WebSocket(url);
        const socket = sockets.push(ws) - 1;
        const send = ws.send.bind(ws);
        ws.send = ((data: Uint8Array, ...rest: unknown[]) => {
          wire.push({ socket, dir: 'out', cmd: cmdOf(data) });
          return (send as (...args: unknown[]) => void)(data, ...rest);
        }) as typeof ws.send;
        // Added before the client's own handler, so a frame is logged before it is handled.
        ws.on('message', (data: ArrayBuffer) => wire.push({ socket, dir: 'in', cmd: cmdOf(new Uint8Array(data)) }));
        return ws;
      },
    });
    const made: TestClient = {
      client,
      sockets,
      wire,
      gate,
      killSocket: () => sockets[sockets.length - 1]!.terminate(),
    };
    this.made.push(made);
    return made;
  }

  /** A connected client. */
  async connected(options: Partial<ClientOptions> = {}): Promise<TestClient> {
    const made = this.make(options);
    await made.client.connect();
    return made;
  }

  closeAll(): void {
    for (const { client } of this.made.splice(0)) client.close();
  }
}

function cmdOf(frame: Uint8Array): number {
  return frame.length >= 4 ? (frame[2]! << 8) | frame[3]! : -1;
}
