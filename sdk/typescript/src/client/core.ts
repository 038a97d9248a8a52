// What the feature APIs (chat, rooms, arena, lockstep) need of the client:
// requests, one-way messages and events. They never see sockets, sessions or
// the reconnect machinery.

import type { Frame } from '../wire/frame';
import type { ClientEvents } from './events';

export interface ClientCore {
  /**
   * Sends a request whose payload `encode` builds around the request_id the
   * client chose, and resolves with what `handle` returns for its reply.
   * `handle` runs synchronously when the reply arrives, before any later frame
   * is handled, so state it updates is in step with the pushes that follow
   * (e.g. a RoomReply Ok before the room's first state). It throws to reject.
   * Held while the client is not ready (connecting, resuming).
   */
  request<T>(
    cmd: number,
    replyCmd: number,
    encode: (requestId: number) => Uint8Array,
    handle: (reply: Frame) => T,
  ): Promise<T>;
  /**
   * Sends a message that gets no reply (a room input). Returns false, and
   * drops it, when there is no connection: a stale input has no value.
   * While a resume is under way on a live connection it is held and sent after.
   */
  sendOneWay(cmd: number, payload: Uint8Array): boolean;
  emit<K extends keyof ClientEvents>(name: K, event: ClientEvents[K]): void;
  readonly autoRoomResync: boolean;
}
