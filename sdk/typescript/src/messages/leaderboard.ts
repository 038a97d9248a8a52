// leaderboard.fbs: LeaderboardSubmit/Top/Around/Records/Mine/Delete and
// LeaderboardReply.

import { LeaderboardAround } from '../generated/citadel/msg/leaderboard-around';
import { LeaderboardDelete } from '../generated/citadel/msg/leaderboard-delete';
import { LeaderboardMine } from '../generated/citadel/msg/leaderboard-mine';
import type { LeaderboardPeriod } from '../generated/citadel/msg/leaderboard-period';
import { LeaderboardRecord as LeaderboardRecordTable } from '../generated/citadel/msg/leaderboard-record';
import { LeaderboardRecords } from '../generated/citadel/msg/leaderboard-records';
import { LeaderboardReply as LeaderboardReplyTable } from '../generated/citadel/msg/leaderboard-reply';
import type { LeaderboardResult } from '../generated/citadel/msg/leaderboard-result';
import { LeaderboardSubmit } from '../generated/citadel/msg/leaderboard-submit';
import { LeaderboardTop } from '../generated/citadel/msg/leaderboard-top';
import { buildTable, byteBuffer, msNumber, str } from './flatbuffers-io';

export interface LeaderboardSubmitRequest {
  readonly score: bigint | number;
  readonly subscore?: bigint | number;
  /** Absent: keep the record's; present (even ''): replace it when the submit is taken. */
  readonly metadata?: string;
}

export interface LeaderboardRecord {
  /** 1-based, in the period read. */
  readonly rank: bigint;
  readonly userId: bigint;
  readonly username: string;
  readonly score: bigint;
  readonly subscore: bigint;
  readonly numSubmissions: number;
  /** As submitted (JSON by convention, not parsed). */
  readonly metadata: string;
  readonly createUnixMs: number;
  readonly updateUnixMs: number;
}

export interface LeaderboardReply {
  readonly requestId: number;
  readonly result: LeaderboardResult;
  readonly message: string;
  readonly boardId: string;
  readonly records: readonly LeaderboardRecord[];
  /** '' when nothing follows the page. */
  readonly nextCursor: string;
  /** '' when nothing precedes the page. */
  readonly prevCursor: string;
  /** The records in the period read. */
  readonly total: bigint;
  readonly period: LeaderboardPeriod;
  readonly periodStartUnixMs: number;
  /** 0 while the period has no end (a board that never resets). */
  readonly periodEndUnixMs: number;
  /** A submit: whether the score changed the record. */
  readonly taken: boolean;
}

export function encodeLeaderboardSubmit(
  requestId: number,
  boardId: string,
  submit: LeaderboardSubmitRequest,
): Uint8Array {
  return buildTable((b) => {
    const board = b.createString(boardId);
    const metadata = submit.metadata === undefined ? 0 : b.createString(submit.metadata);
    return LeaderboardSubmit.createLeaderboardSubmit(
      b,
      requestId,
      board,
      BigInt(submit.score),
      BigInt(submit.subscore ?? 0),
      metadata,
    );
  }, 128 + (submit.metadata?.length ?? 0) * 3);
}

export function encodeLeaderboardTop(
  requestId: number,
  boardId: string,
  limit: number,
  cursor: string,
  period: LeaderboardPeriod,
): Uint8Array {
  return buildTable((b) => {
    const board = b.createString(boardId);
    const cur = cursor === '' ? 0 : b.createString(cursor);
    return LeaderboardTop.createLeaderboardTop(b, requestId, board, limit, cur, period);
  });
}

export function encodeLeaderboardAround(
  requestId: number,
  boardId: string,
  limit: number,
  period: LeaderboardPeriod,
): Uint8Array {
  return buildTable((b) =>
    LeaderboardAround.createLeaderboardAround(b, requestId, b.createString(boardId), limit, period),
  );
}

export function encodeLeaderboardRecords(
  requestId: number,
  boardId: string,
  userIds: readonly (bigint | number)[],
  period: LeaderboardPeriod,
): Uint8Array {
  return buildTable((b) => {
    const board = b.createString(boardId);
    const ids = LeaderboardRecords.createUserIdsVector(b, userIds.map((u) => BigInt(u)));
    return LeaderboardRecords.createLeaderboardRecords(b, requestId, board, ids, period);
  }, 128 + userIds.length * 8);
}

export function encodeLeaderboardMine(requestId: number, boardId: string, period: LeaderboardPeriod): Uint8Array {
  return buildTable((b) => LeaderboardMine.createLeaderboardMine(b, requestId, b.createString(boardId), period));
}

export function encodeLeaderboardDelete(requestId: number, boardId: string): Uint8Array {
  return buildTable((b) => LeaderboardDelete.createLeaderboardDelete(b, requestId, b.createString(boardId)));
}

function record(r: LeaderboardRecordTable): LeaderboardRecord {
  return {
    rank: r.rank(),
    userId: r.userId(),
    username: str(r.username()),
    score: r.score(),
    subscore: r.subscore(),
    numSubmissions: r.numSubmissions(),
    metadata: str(r.metadata()),
    createUnixMs: msNumber(r.createUnixMs()),
    updateUnixMs: msNumber(r.updateUnixMs()),
  };
}

export function decodeLeaderboardReply(payload: Uint8Array): LeaderboardReply {
  const m = LeaderboardReplyTable.getRootAsLeaderboardReply(byteBuffer(payload));
  const records: LeaderboardRecord[] = [];
  for (let i = 0; i < m.recordsLength(); i++) records.push(record(m.records(i)!));
  return {
    requestId: m.requestId(),
    result: m.result(),
    message: str(m.message()),
    boardId: str(m.boardId()),
    records,
    nextCursor: str(m.nextCursor()),
    prevCursor: str(m.prevCursor()),
    total: m.total(),
    period: m.period(),
    periodStartUnixMs: msNumber(m.periodStartUnixMs()),
    periodEndUnixMs: msNumber(m.periodEndUnixMs()),
    taken: m.taken(),
  };
}
