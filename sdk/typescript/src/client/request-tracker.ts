// Which request a frame from the server answers, on one connection. Pure
// logic (no sockets, no timers), unit-tested in test/unit/request-tracker.
//
// docs/protocol.md, "Reply order":
// - AuthReply, ChatReply and RoomReply carry the request_id the request chose:
//   they are matched by it, wherever they come.
// - PONG and ECHO are decided on arrival, in request order: each answers the
//   oldest PING (ECHO) still waiting.
// - An ERROR that does not close the connection (3, 8, 9, 12) refuses one
//   message, and is decided on arrival too. It carries no request id, so it is
//   matched by elimination: the server reads frames in order and queues an
//   ERROR while handling its frame, so once any reply to a message has come,
//   every message sent before it has passed its arrival checks and can no
//   longer draw an ERROR. The ERROR answers the oldest message that still can,
//   among those of the cmd its text names ("cmd 0x0203 (ChatSend): ..."), or
//   the oldest of all when the text names none. One-way messages (ArenaInput,
//   LockstepInput) take part too: an ERROR for one answers no request.

import { KEYED_REPLY_CMDS, readRequestId } from '../messages/request-id';
import { Cmd } from '../wire/commands';
import { cmdNamedInErrorText, errorClosesConnection, parseErrorPayload } from '../wire/error-payload';
import type { Frame } from '../wire/frame';

export interface Outgoing<T> {
  readonly cmd: number;
  /** The cmd of the reply it waits for; null for a one-way message (no reply). */
  readonly replyCmd: number | null;
  /** Matched by this request_id (for AuthReply, ChatReply, RoomReply); null: by order. */
  readonly requestId: number | null;
  /** The caller's own data, handed back with the match. */
  readonly tag: T;
}

export type Match<T> =
  /** `frame` answers the request. */
  | { readonly kind: 'reply'; readonly request: Outgoing<T>; readonly frame: Frame }
  /** An ERROR refuses the request (or, for a one-way message, answers nothing but names it). */
  | { readonly kind: 'error'; readonly request: Outgoing<T>; readonly code: number; readonly text: string }
  /** An ERROR that answers no message: it closes the connection, or no message can have drawn it. */
  | { readonly kind: 'unsolicitedError'; readonly code: number; readonly text: string; readonly cmd: number | null }
  /** Not an answer to anything waiting: a push (or a late reply to a request that timed out). */
  | { readonly kind: 'push'; readonly frame: Frame };

interface Entry<T> {
  readonly seq: number;
  readonly request: Outgoing<T>;
  /** Still waiting for its reply (false for one-way messages and answered requests). */
  awaiting: boolean;
}

/** Past this many messages not yet known to have passed their arrival checks, the oldest are forgotten. */
const ARRIVAL_WINDOW_LIMIT = 4096;

export class RequestTracker<T> {
  private nextSeq = 1;
  /** In send order: the messages that may still draw an ERROR. */
  private arrival: Entry<T>[] = [];
  /** By `${replyCmd}:${requestId}`. */
  private readonly keyed = new Map<string, Entry<T>>();
  /** By reply cmd, oldest first: the requests matched by order. */
  private readonly ordered = new Map<number, Entry<T>[]>();

  /** A message went out. */
  sent(request: Outgoing<T>): void {
    const entry: Entry<T> = { seq: this.nextSeq++, request, awaiting: request.replyCmd !== null };
    this.arrival.push(entry);
    if (this.arrival.length > ARRIVAL_WINDOW_LIMIT) this.arrival.shift();
    if (request.replyCmd === null) return;
    if (request.requestId !== null && KEYED_REPLY_CMDS.has(request.replyCmd)) {
      this.keyed.set(keyOf(request.replyCmd, request.requestId), entry);
    } else {
      let queue = this.ordered.get(request.replyCmd);
      if (!queue) this.ordered.set(request.replyCmd, (queue = []));
      queue.push(entry);
    }
  }

  /** What `frame` is: a reply, a refusal, an ERROR for nobody, or a push. */
  match(frame: Frame): Match<T> {
    if (frame.cmd === Cmd.Error) return this.matchError(frame);
    const entry = this.findReply(frame);
    if (!entry) return { kind: 'push', frame };
    this.answered(entry);
    return { kind: 'reply', request: entry.request, frame };
  }

  /**
   * Stops waiting for a keyed request (it timed out): a late reply becomes a
   * push. Requests matched by order keep their place, or the late reply would
   * answer the next one.
   */
  abandon(request: Outgoing<T>): void {
    if (request.replyCmd === null || request.requestId === null || !KEYED_REPLY_CMDS.has(request.replyCmd)) return;
    const key = keyOf(request.replyCmd, request.requestId);
    const entry = this.keyed.get(key);
    if (entry && entry.request === request) {
      entry.awaiting = false;
      this.keyed.delete(key);
    }
  }

  /** Every request still waiting, oldest first; the tracker is empty after (the connection is gone). */
  takeAll(): Outgoing<T>[] {
    const waiting = new Set<Entry<T>>([...this.keyed.values()]);
    for (const queue of this.ordered.values()) for (const e of queue) waiting.add(e);
    this.arrival = [];
    this.keyed.clear();
    this.ordered.clear();
    return [...waiting].sort((a, b) => a.seq - b.seq).map((e) => e.request);
  }

  /** Requests waiting for a reply. */
  get waiting(): number {
    let n = this.keyed.size;
    for (const queue of this.ordered.values()) n += queue.length;
    return n;
  }

  private findReply(frame: Frame): Entry<T> | undefined {
    if (KEYED_REPLY_CMDS.has(frame.cmd)) {
      const id = readRequestId(frame.payload);
      const entry = id === null ? undefined : this.keyed.get(keyOf(frame.cmd, id));
      if (entry) return entry;
      // No request sent with that id: it may answer one sent without one (a raw request).
    }
    return this.ordered.get(frame.cmd)?.[0];
  }

  private matchError(frame: Frame): Match<T> {
    const parsed = parseErrorPayload(frame.payload) ?? { code: 0, text: 'malformed ERROR payload' };
    const named = cmdNamedInErrorText(parsed.text);
    if (errorClosesConnection(parsed.code)) {
      return { kind: 'unsolicitedError', code: parsed.code, text: parsed.text, cmd: named };
    }
    const entry = this.arrival.find((e) => named === null || e.request.cmd === named);
    if (!entry) return { kind: 'unsolicitedError', code: parsed.code, text: parsed.text, cmd: named };
    this.answered(entry);
    return { kind: 'error', request: entry.request, code: parsed.code, text: parsed.text };
  }

  /** `entry` got its answer: it and every message sent before it are past their arrival checks. */
  private answered(entry: Entry<T>): void {
    const index = this.arrival.indexOf(entry);
    if (index >= 0) this.arrival.splice(0, index + 1);
    else this.arrival = this.arrival.filter((e) => e.seq > entry.seq);
    if (!entry.awaiting) return;
    entry.awaiting = false;
    const { replyCmd, requestId } = entry.request;
    if (replyCmd === null) return;
    const key = requestId === null ? null : keyOf(replyCmd, requestId);
    if (key !== null && this.keyed.get(key) === entry) {
      this.keyed.delete(key);
      return;
    }
    const queue = this.ordered.get(replyCmd);
    const at = queue ? queue.indexOf(entry) : -1;
    if (queue && at >= 0) queue.splice(at, 1);
  }
}

function keyOf(replyCmd: number, requestId: number): string {
  return `${replyCmd}:${requestId}`;
}
