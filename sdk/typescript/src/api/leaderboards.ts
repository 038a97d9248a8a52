// Leaderboards (docs/protocol.md, "Leaderboards"; the rules in
// docs/leaderboards.md): submit a score to a board, read a page of it in rank
// order (with cursors), the records around you, a set of players' records,
// your own record, and delete your own record. Boards are made by the
// server's configuration or admin API. Every method resolves when the
// LeaderboardReply says Ok and rejects with a LeaderboardError (its `status`
// is the LeaderboardResult) otherwise.

import { MalformedReplyError } from '../errors/citadel-error';
import { LeaderboardError } from '../errors/request-errors';
import { LeaderboardPeriod } from '../generated/citadel/msg/leaderboard-period';
import { LeaderboardResult } from '../generated/citadel/msg/leaderboard-result';
import type { ClientCore } from '../client/core';
import {
  decodeLeaderboardReply,
  encodeLeaderboardAround,
  encodeLeaderboardDelete,
  encodeLeaderboardMine,
  encodeLeaderboardRecords,
  encodeLeaderboardSubmit,
  encodeLeaderboardTop,
  type LeaderboardRecord,
  type LeaderboardReply,
} from '../messages/leaderboard';
import { Cmd, cmdName } from '../wire/commands';
import type { Frame } from '../wire/frame';

/** The default page size of top() and around(). */
const DEFAULT_LIMIT = 10;

export interface LeaderboardSubmitOptions {
  /** The tie-breaker (default 0): equal scores rank by it, in the board's order. */
  readonly subscore?: bigint | number;
  /** Absent: keep the record's metadata; present (even ''): replace it if the submit is taken. */
  readonly metadata?: string;
}

export interface LeaderboardSubmitted {
  /** Your record after the submit (taken or not), with its rank. */
  readonly record: LeaderboardRecord;
  /** Whether the score changed the record (a `best` board's worse score: false). */
  readonly taken: boolean;
}

export interface LeaderboardPeriodOptions {
  /** Current (default) or Previous: the period before the board's last reset. */
  readonly period?: LeaderboardPeriod;
}

export interface LeaderboardAroundOptions extends LeaderboardPeriodOptions {
  /** 1 to 100 (default 10). */
  readonly limit?: number;
}

export interface LeaderboardTopOptions extends LeaderboardAroundOptions {
  /** A page's nextCursor or prevCursor; absent or null: from rank 1. */
  readonly cursor?: string | null;
}

export interface LeaderboardPage {
  /** In rank order. */
  readonly records: readonly LeaderboardRecord[];
  /** Pass to top() for the page after; null when nothing follows. */
  readonly nextCursor: string | null;
  /** Pass to top() for the page before; null when nothing precedes. */
  readonly prevCursor: string | null;
  /** The records in the period read. */
  readonly total: bigint;
  /** The period read. */
  readonly period: LeaderboardPeriod;
  readonly periodStartUnixMs: number;
  /** Its end (exclusive); 0 for a board that never resets. */
  readonly periodEndUnixMs: number;
}

export class LeaderboardsApi {
  constructor(private readonly core: ClientCore) {}

  /** Submits a score to a board, by the board's operator (best, set, incr, decr). */
  submit(boardId: string, score: bigint | number, options: LeaderboardSubmitOptions = {}): Promise<LeaderboardSubmitted> {
    return this.core.request(
      Cmd.LeaderboardSubmit,
      Cmd.LeaderboardReply,
      (id) => encodeLeaderboardSubmit(id, boardId, { score, subscore: options.subscore, metadata: options.metadata }),
      (frame) => {
        const reply = okReply(Cmd.LeaderboardSubmit, frame);
        return { record: onlyRecord(Cmd.LeaderboardSubmit, reply), taken: reply.taken };
      },
    );
  }

  /** One page in rank order, from rank 1 or from a cursor. */
  top(boardId: string, options: LeaderboardTopOptions = {}): Promise<LeaderboardPage> {
    return this.core.request(
      Cmd.LeaderboardTop,
      Cmd.LeaderboardReply,
      (id) =>
        encodeLeaderboardTop(
          id,
          boardId,
          options.limit ?? DEFAULT_LIMIT,
          options.cursor ?? '',
          options.period ?? LeaderboardPeriod.Current,
        ),
      (frame) => page(okReply(Cmd.LeaderboardTop, frame)),
    );
  }

  /** The page of `limit` records centred on you; rejects with NotRanked if you have no record. */
  around(boardId: string, options: LeaderboardAroundOptions = {}): Promise<LeaderboardPage> {
    return this.core.request(
      Cmd.LeaderboardAround,
      Cmd.LeaderboardReply,
      (id) =>
        encodeLeaderboardAround(id, boardId, options.limit ?? DEFAULT_LIMIT, options.period ?? LeaderboardPeriod.Current),
      (frame) => page(okReply(Cmd.LeaderboardAround, frame)),
    );
  }

  /** These players' records (up to 100 ids), in rank order; players without one are left out. */
  records(
    boardId: string,
    userIds: readonly (bigint | number)[],
    options: LeaderboardPeriodOptions = {},
  ): Promise<LeaderboardPage> {
    return this.core.request(
      Cmd.LeaderboardRecords,
      Cmd.LeaderboardReply,
      (id) => encodeLeaderboardRecords(id, boardId, userIds, options.period ?? LeaderboardPeriod.Current),
      (frame) => page(okReply(Cmd.LeaderboardRecords, frame)),
    );
  }

  /** Your own record and rank; rejects with NotRanked if you have none in that period. */
  mine(boardId: string, options: LeaderboardPeriodOptions = {}): Promise<LeaderboardRecord> {
    return this.core.request(
      Cmd.LeaderboardMine,
      Cmd.LeaderboardReply,
      (id) => encodeLeaderboardMine(id, boardId, options.period ?? LeaderboardPeriod.Current),
      (frame) => onlyRecord(Cmd.LeaderboardMine, okReply(Cmd.LeaderboardMine, frame)),
    );
  }

  /**
   * Deletes your record of the board's current period (NotRanked if you have
   * none); resolves with the number of records left in the period.
   */
  delete(boardId: string): Promise<bigint> {
    return this.core.request(
      Cmd.LeaderboardDelete,
      Cmd.LeaderboardReply,
      (id) => encodeLeaderboardDelete(id, boardId),
      (frame) => okReply(Cmd.LeaderboardDelete, frame).total,
    );
  }
}

function okReply(cmd: number, frame: Frame): LeaderboardReply {
  const reply = decodeLeaderboardReply(frame.payload);
  if (reply.result !== LeaderboardResult.Ok) {
    throw new LeaderboardError(cmd, reply.result, reply.message, reply.boardId);
  }
  return reply;
}

function onlyRecord(cmd: number, reply: LeaderboardReply): LeaderboardRecord {
  const record = reply.records[0];
  if (record === undefined) {
    throw new MalformedReplyError(Cmd.LeaderboardReply, `an Ok reply to ${cmdName(cmd)} without a record`);
  }
  return record;
}

function page(reply: LeaderboardReply): LeaderboardPage {
  return {
    records: reply.records,
    nextCursor: reply.nextCursor === '' ? null : reply.nextCursor,
    prevCursor: reply.prevCursor === '' ? null : reply.prevCursor,
    total: reply.total,
    period: reply.period,
    periodStartUnixMs: reply.periodStartUnixMs,
    periodEndUnixMs: reply.periodEndUnixMs,
  };
}
