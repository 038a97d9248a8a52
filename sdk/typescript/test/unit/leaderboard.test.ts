// The leaderboard messages (leaderboard.fbs): each request the SDK encodes
// read back with the generated tables, and the LeaderboardReply decoded from
// one built the way the server builds it.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as flatbuffers from 'flatbuffers';
import { Cmd, LeaderboardPeriod, LeaderboardResult } from '../../dist/index';
import {
  decodeLeaderboardReply,
  encodeLeaderboardAround,
  encodeLeaderboardDelete,
  encodeLeaderboardMine,
  encodeLeaderboardRecords,
  encodeLeaderboardSubmit,
  encodeLeaderboardTop,
} from '../../dist/messages/leaderboard';
import { readRequestId } from '../../dist/messages/request-id';
import { LeaderboardAround } from '../../dist/generated/citadel/msg/leaderboard-around';
import { LeaderboardDelete } from '../../dist/generated/citadel/msg/leaderboard-delete';
import { LeaderboardMine } from '../../dist/generated/citadel/msg/leaderboard-mine';
import { LeaderboardRecord } from '../../dist/generated/citadel/msg/leaderboard-record';
import { LeaderboardRecords } from '../../dist/generated/citadel/msg/leaderboard-records';
import { LeaderboardReply } from '../../dist/generated/citadel/msg/leaderboard-reply';
import { LeaderboardSubmit } from '../../dist/generated/citadel/msg/leaderboard-submit';
import { LeaderboardTop } from '../../dist/generated/citadel/msg/leaderboard-top';

function bb(bytes: Uint8Array): flatbuffers.ByteBuffer {
  return new flatbuffers.ByteBuffer(bytes);
}

const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;

describe('leaderboard requests the SDK encodes', () => {
  it('has the command ids of docs/protocol.md', () => {
    assert.deepEqual(
      [
        Cmd.LeaderboardSubmit,
        Cmd.LeaderboardTop,
        Cmd.LeaderboardAround,
        Cmd.LeaderboardRecords,
        Cmd.LeaderboardMine,
        Cmd.LeaderboardReply,
        Cmd.LeaderboardDelete,
      ],
      [0x0500, 0x0501, 0x0502, 0x0503, 0x0504, 0x0505, 0x0506],
    );
  });

  it('LeaderboardSubmit: int64 scores exactly; absent metadata stays absent, "" is sent', () => {
    const m = LeaderboardSubmit.getRootAsLeaderboardSubmit(
      bb(encodeLeaderboardSubmit(7, 'weekly-points', { score: INT64_MIN, subscore: 2n ** 62n, metadata: '{"car":"réd"}' })),
    );
    assert.deepEqual(
      [m.requestId(), m.boardId(), m.score(), m.subscore(), m.metadata()],
      [7, 'weekly-points', INT64_MIN, 2n ** 62n, '{"car":"réd"}'],
    );
    const plain = LeaderboardSubmit.getRootAsLeaderboardSubmit(bb(encodeLeaderboardSubmit(8, 'b', { score: 1200 })));
    assert.deepEqual([plain.score(), plain.subscore(), plain.metadata()], [1200n, 0n, null]);
    const empty = LeaderboardSubmit.getRootAsLeaderboardSubmit(bb(encodeLeaderboardSubmit(9, 'b', { score: -3, metadata: '' })));
    assert.deepEqual([empty.score(), empty.metadata()], [-3n, '']);
  });

  it('LeaderboardTop: a cursor only when given, and the period', () => {
    const first = LeaderboardTop.getRootAsLeaderboardTop(bb(encodeLeaderboardTop(3, 'b', 50, '', LeaderboardPeriod.Current)));
    assert.deepEqual(
      [first.requestId(), first.boardId(), first.limit(), first.cursor(), first.period()],
      [3, 'b', 50, null, LeaderboardPeriod.Current],
    );
    const next = LeaderboardTop.getRootAsLeaderboardTop(
      bb(encodeLeaderboardTop(4, 'b', 100, 'AQBg.sig', LeaderboardPeriod.Previous)),
    );
    assert.deepEqual([next.limit(), next.cursor(), next.period()], [100, 'AQBg.sig', LeaderboardPeriod.Previous]);
  });

  it('LeaderboardAround, LeaderboardMine and LeaderboardDelete', () => {
    const around = LeaderboardAround.getRootAsLeaderboardAround(
      bb(encodeLeaderboardAround(5, 'laps', 11, LeaderboardPeriod.Previous)),
    );
    assert.deepEqual(
      [around.requestId(), around.boardId(), around.limit(), around.period()],
      [5, 'laps', 11, LeaderboardPeriod.Previous],
    );
    const mine = LeaderboardMine.getRootAsLeaderboardMine(bb(encodeLeaderboardMine(6, 'laps', LeaderboardPeriod.Current)));
    assert.deepEqual([mine.requestId(), mine.boardId(), mine.period()], [6, 'laps', LeaderboardPeriod.Current]);
    const del = LeaderboardDelete.getRootAsLeaderboardDelete(bb(encodeLeaderboardDelete(13, 'laps')));
    assert.deepEqual([del.requestId(), del.boardId()], [13, 'laps']);
  });

  it('LeaderboardRecords: 64-bit user ids from bigints and numbers, in order', () => {
    const ids = [42, 77n, UINT64_MAX];
    const m = LeaderboardRecords.getRootAsLeaderboardRecords(
      bb(encodeLeaderboardRecords(11, 'b', ids, LeaderboardPeriod.Current)),
    );
    assert.equal(m.requestId(), 11);
    assert.equal(m.userIdsLength(), 3);
    assert.deepEqual([m.userIds(0), m.userIds(1), m.userIds(2)], [42n, 77n, UINT64_MAX]);
    const none = LeaderboardRecords.getRootAsLeaderboardRecords(bb(encodeLeaderboardRecords(12, 'b', [], LeaderboardPeriod.Current)));
    assert.equal(none.userIdsLength(), 0);
  });
});

describe('LeaderboardReply the SDK decodes', () => {
  function reply(
    records: { rank: bigint; userId: bigint; name: string; score: bigint; sub: bigint; meta: string | null }[],
    opts: { result?: LeaderboardResult; next?: string; prev?: string; taken?: boolean } = {},
  ): Uint8Array {
    const b = new flatbuffers.Builder(512);
    const offsets = records.map((r) => {
      const name = b.createString(r.name);
      const meta = r.meta === null ? 0 : b.createString(r.meta);
      return LeaderboardRecord.createLeaderboardRecord(
        b, r.rank, r.userId, name, r.score, r.sub, 5, meta, 1795000000000n, 1795000123000n,
      );
    });
    const vec = LeaderboardReply.createRecordsVector(b, offsets);
    const msg = b.createString('ok');
    const board = b.createString('weekly-points');
    const next = opts.next === undefined ? 0 : b.createString(opts.next);
    const prev = opts.prev === undefined ? 0 : b.createString(opts.prev);
    b.finish(
      LeaderboardReply.createLeaderboardReply(
        b, 21, opts.result ?? LeaderboardResult.Ok, msg, board, vec, next, prev, 310n,
        LeaderboardPeriod.Previous, 1794873600000n, 1795478400000n, opts.taken ?? false,
      ),
    );
    return b.asUint8Array().slice();
  }

  it('reads every field, 64-bit ids and scores exactly', () => {
    const bytes = reply(
      [
        { rank: 1n, userId: UINT64_MAX, name: 'ana', score: 2n ** 63n - 1n, sub: 3n, meta: '{"car":"red"}' },
        { rank: 2n, userId: 7n, name: 'bo', score: INT64_MIN, sub: -1n, meta: null },
      ],
      { next: 'n.cur', taken: true },
    );
    assert.equal(readRequestId(bytes), 21);
    const r = decodeLeaderboardReply(bytes);
    assert.deepEqual(r, {
      requestId: 21,
      result: LeaderboardResult.Ok,
      message: 'ok',
      boardId: 'weekly-points',
      records: [
        {
          rank: 1n, userId: UINT64_MAX, username: 'ana', score: 2n ** 63n - 1n, subscore: 3n,
          numSubmissions: 5, metadata: '{"car":"red"}', createUnixMs: 1795000000000, updateUnixMs: 1795000123000,
        },
        {
          rank: 2n, userId: 7n, username: 'bo', score: INT64_MIN, subscore: -1n,
          numSubmissions: 5, metadata: '', createUnixMs: 1795000000000, updateUnixMs: 1795000123000,
        },
      ],
      nextCursor: 'n.cur',
      prevCursor: '',
      total: 310n,
      period: LeaderboardPeriod.Previous,
      periodStartUnixMs: 1794873600000,
      periodEndUnixMs: 1795478400000,
      taken: true,
    });
  });

  it('a refusal: the result code, no records', () => {
    const r = decodeLeaderboardReply(reply([], { result: LeaderboardResult.NoSuchBoard, prev: 'p' }));
    assert.equal(r.result, LeaderboardResult.NoSuchBoard);
    assert.deepEqual(r.records, []);
    assert.equal(r.prevCursor, 'p');
    assert.equal(r.taken, false);
  });

  it('an empty table reads as the defaults', () => {
    const b = new flatbuffers.Builder(64);
    LeaderboardReply.startLeaderboardReply(b);
    b.finish(LeaderboardReply.endLeaderboardReply(b));
    const r = decodeLeaderboardReply(b.asUint8Array().slice());
    assert.deepEqual(
      [r.requestId, r.result, r.boardId, r.records, r.nextCursor, r.total, r.period, r.periodEndUnixMs, r.taken],
      [0, LeaderboardResult.Ok, '', [], '', 0n, LeaderboardPeriod.Current, 0, false],
    );
  });
});
