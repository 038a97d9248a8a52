// Leaderboards between real clients on a server whose configuration defines
// a board: submits, the top in rank order with cursors, around/mine/records,
// delete, and refusals as LeaderboardErrors.

import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { LeaderboardError, LeaderboardPeriod, LeaderboardResult, type CitadelClient } from '../../dist/node';
import { Clients } from '../support/clients';
import { deviceId } from '../support/events';
import { startServer, type CitadelServer } from '../support/server';

const BOARD = 'sdk-points';

describe('leaderboards', () => {
  let server: CitadelServer;
  const clients = new Clients(() => server.url);
  before(async () => {
    server = await startServer(
      'leaderboards:\n' +
        '  submits_per_second: 1000\n' +
        '  submit_burst: 1000\n' +
        '  boards:\n' +
        `    - {id: ${BOARD}, sort: desc, operator: best}\n`,
    );
  });
  afterEach(() => clients.closeAll());
  after(() => server.stop());

  async function guest(label: string): Promise<{ client: CitadelClient; userId: bigint; username: string }> {
    const { client } = await clients.connected();
    const me = await client.loginGuest(deviceId(label));
    return { client, userId: me.userId, username: me.username };
  }

  async function refusal(promise: Promise<unknown>): Promise<LeaderboardError> {
    try {
      await promise;
    } catch (e) {
      assert.ok(e instanceof LeaderboardError, `expected a LeaderboardError, got ${String(e)}`);
      return e;
    }
    assert.fail('expected a refusal');
  }

  it('ranks submits; top, around, mine and records agree; a cursor pages; delete removes', async () => {
    const ann = await guest('lb-ann');
    const bob = await guest('lb-bob');
    const cat = await guest('lb-cat');

    const first = await ann.client.leaderboards.submit(BOARD, 300, { metadata: '{"car":"red"}' });
    assert.equal(first.taken, true);
    assert.equal(first.record.userId, ann.userId);
    assert.equal(first.record.username, ann.username);
    assert.equal(first.record.score, 300n);
    assert.equal(first.record.rank, 1n);
    assert.equal(first.record.metadata, '{"car":"red"}');
    assert.equal(first.record.numSubmissions, 1);
    assert.ok(Math.abs(first.record.createUnixMs - Date.now()) < 60_000);
    const second = await bob.client.leaderboards.submit(BOARD, 200n, { subscore: 5 });
    assert.equal(second.taken, true);
    assert.equal(second.record.rank, 2n);
    assert.equal(second.record.subscore, 5n);
    await cat.client.leaderboards.submit(BOARD, 100);

    // A best board keeps the better score: a worse one is not taken, metadata and all.
    const worse = await ann.client.leaderboards.submit(BOARD, 250, { metadata: '{"car":"blue"}' });
    assert.equal(worse.taken, false);
    assert.equal(worse.record.score, 300n);
    assert.equal(worse.record.metadata, '{"car":"red"}');
    assert.equal(worse.record.numSubmissions, 2);

    const top = await bob.client.leaderboards.top(BOARD);
    assert.deepEqual(
      top.records.map((r) => [r.rank, r.userId, r.score]),
      [
        [1n, ann.userId, 300n],
        [2n, bob.userId, 200n],
        [3n, cat.userId, 100n],
      ],
    );
    assert.equal(top.total, 3n);
    assert.equal(top.nextCursor, null);
    assert.equal(top.prevCursor, null);
    assert.equal(top.period, LeaderboardPeriod.Current);
    assert.equal(top.periodEndUnixMs, 0); // the board never resets
    assert.ok(top.periodStartUnixMs <= Date.now());

    const mine = await bob.client.leaderboards.mine(BOARD);
    assert.deepEqual(mine, top.records[1]);
    const around = await bob.client.leaderboards.around(BOARD, { limit: 3 });
    assert.deepEqual(around.records, top.records);
    assert.equal(around.total, 3n);
    const some = await cat.client.leaderboards.records(BOARD, [cat.userId, 999_999_999n, ann.userId]);
    assert.deepEqual(some.records, [top.records[0], top.records[2]]);

    // Pages of 2: forward with nextCursor, back with prevCursor.
    const page1 = await cat.client.leaderboards.top(BOARD, { limit: 2 });
    assert.deepEqual(page1.records, top.records.slice(0, 2));
    assert.equal(page1.prevCursor, null);
    assert.ok(page1.nextCursor);
    const page2 = await cat.client.leaderboards.top(BOARD, { limit: 2, cursor: page1.nextCursor });
    assert.deepEqual(page2.records, top.records.slice(2));
    assert.equal(page2.nextCursor, null);
    assert.ok(page2.prevCursor);
    const back = await cat.client.leaderboards.top(BOARD, { limit: 2, cursor: page2.prevCursor });
    assert.deepEqual(back.records, top.records.slice(0, 2));
    const forged = await refusal(cat.client.leaderboards.top(BOARD, { limit: 2, cursor: page1.nextCursor + 'x' }));
    assert.equal(forged.status, LeaderboardResult.BadCursor);
    const badLimit = await refusal(cat.client.leaderboards.top(BOARD, { limit: 101 }));
    assert.equal(badLimit.status, LeaderboardResult.InvalidLimit);

    // Delete: ann's record goes, everyone below moves up one rank.
    assert.equal(await ann.client.leaderboards.delete(BOARD), 2n);
    const gone = await refusal(ann.client.leaderboards.mine(BOARD));
    assert.equal(gone.status, LeaderboardResult.NotRanked);
    assert.equal(gone.statusName, 'NotRanked');
    assert.equal(gone.boardId, BOARD);
    assert.equal((await refusal(ann.client.leaderboards.around(BOARD))).status, LeaderboardResult.NotRanked);
    assert.equal((await refusal(ann.client.leaderboards.delete(BOARD))).status, LeaderboardResult.NotRanked);
    const left = await bob.client.leaderboards.top(BOARD);
    assert.deepEqual(
      left.records.map((r) => [r.rank, r.userId]),
      [
        [1n, bob.userId],
        [2n, cat.userId],
      ],
    );
    assert.equal(left.total, 2n);
    assert.equal((await bob.client.leaderboards.mine(BOARD)).rank, 1n);
    // The next submit starts a new record.
    const again = await ann.client.leaderboards.submit(BOARD, 50);
    assert.deepEqual([again.record.rank, again.record.numSubmissions], [3n, 1]);
  });

  it('refuses an unknown board and a previous period that does not exist', async () => {
    const { client } = await guest('lb-dan');
    for (const call of [
      client.leaderboards.submit('no-such-board', 1),
      client.leaderboards.top('no-such-board'),
      client.leaderboards.around('no-such-board'),
      client.leaderboards.records('no-such-board', [1n]),
      client.leaderboards.mine('no-such-board'),
      client.leaderboards.delete('no-such-board'),
    ]) {
      const e = await refusal(call);
      assert.equal(e.status, LeaderboardResult.NoSuchBoard);
      assert.equal(e.boardId, 'no-such-board');
    }
    const previous = await refusal(client.leaderboards.top(BOARD, { period: LeaderboardPeriod.Previous }));
    assert.equal(previous.status, LeaderboardResult.NoPreviousPeriod);
    const tooMany = await refusal(client.leaderboards.records(BOARD, Array.from({ length: 101 }, (_, i) => i + 1)));
    assert.equal(tooMany.status, LeaderboardResult.TooManyIds);
  });
});
