// Player storage between real clients: write and read, versions and
// conditions, permissions, pages, and refusals as StorageErrors.

import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { StorageError, StorageResult, type CitadelClient } from '../../dist/node';
import { Clients } from '../support/clients';
import { deviceId } from '../support/events';
import { startServer, type CitadelServer } from '../support/server';

describe('storage', () => {
  let server: CitadelServer;
  const clients = new Clients(() => server.url);
  before(async () => {
    server = await startServer();
  });
  afterEach(() => clients.closeAll());
  after(() => server.stop());

  async function guest(label: string): Promise<{ client: CitadelClient; userId: bigint }> {
    const { client } = await clients.connected();
    const me = await client.loginGuest(deviceId(label));
    return { client, userId: me.userId };
  }

  async function refusal(promise: Promise<unknown>): Promise<StorageError> {
    try {
      await promise;
    } catch (e) {
      assert.ok(e instanceof StorageError, `expected a StorageError, got ${String(e)}`);
      return e;
    }
    assert.fail('expected a refusal');
  }

  it('writes, reads back, and conflicts on a stale version', async () => {
    const { client, userId } = await guest('storage-ann');
    const versions = await client.storage.write([
      { collection: 'saves', key: 'slot1', value: { level: 3 } },
      { collection: 'saves', key: 'slot2', value: '{"level":1}', permissionRead: 2 },
    ]);
    assert.deepEqual(versions, [1n, 1n]);
    const [slot1] = await client.storage.read([{ collection: 'saves', key: 'slot1' }]);
    assert.equal(slot1!.userId, userId);
    assert.deepEqual(JSON.parse(slot1!.value), { level: 3 });
    assert.equal(slot1!.version, 1n);
    assert.ok(Math.abs(slot1!.createdUnixMs - Date.now()) < 60_000);

    assert.deepEqual(await client.storage.write([{ collection: 'saves', key: 'slot1', value: {}, version: 1 }]), [2n]);
    const stale = await refusal(client.storage.write([{ collection: 'saves', key: 'slot1', value: {}, version: 1 }]));
    assert.equal(stale.status, StorageResult.VersionConflict);
    assert.equal(stale.statusName, 'VersionConflict');
    assert.equal(stale.failedIndex, 0);
    const again = await refusal(client.storage.write([{ collection: 'saves', key: 'slot2', value: {}, ifAbsent: true }]));
    assert.equal(again.status, StorageResult.VersionConflict);
    const bad = await refusal(client.storage.write([{ collection: 'saves', key: 'k', value: '[1]' }]));
    assert.equal(bad.status, StorageResult.InvalidJson);
  });

  it('others read only public objects; pages follow the cursor', async () => {
    const ann = await guest('storage-ann2');
    const bob = await guest('storage-bob2');
    await ann.client.storage.write([
      { collection: 'inv', key: 'a', value: {}, permissionRead: 2 },
      { collection: 'inv', key: 'b', value: {} },
      { collection: 'inv', key: 'c', value: {}, permissionRead: 2 },
    ]);
    const seen = await bob.client.storage.read([
      { collection: 'inv', key: 'a', userId: ann.userId },
      { collection: 'inv', key: 'b', userId: ann.userId },
    ]);
    assert.deepEqual(seen.map((o) => o.key), ['a']);

    const first = await ann.client.storage.list('inv', { limit: 2 });
    assert.deepEqual(first.objects.map((o) => o.key), ['a', 'b']);
    assert.ok(first.cursor);
    const second = await ann.client.storage.list('inv', { limit: 2, cursor: first.cursor });
    assert.deepEqual(second.objects.map((o) => o.key), ['c']);
    assert.equal(second.cursor, null);
    const publicOnly = await bob.client.storage.list('inv', { userId: ann.userId });
    assert.deepEqual(publicOnly.objects.map((o) => o.key), ['a', 'c']);
    // A cursor belongs to its list (owner and collection), whoever pages it.
    const bobsPage = await bob.client.storage.list('inv', { userId: ann.userId, cursor: first.cursor });
    assert.deepEqual(bobsPage.objects.map((o) => o.key), ['c']);
    const elsewhere = await refusal(bob.client.storage.list('saves', { userId: ann.userId, cursor: first.cursor }));
    assert.equal(elsewhere.status, StorageResult.BadCursor);
    const forged = await refusal(ann.client.storage.list('inv', { cursor: first.cursor + 'x' }));
    assert.equal(forged.status, StorageResult.BadCursor);

    await ann.client.storage.delete([{ collection: 'inv', key: 'a', version: 1 }]);
    assert.deepEqual(await ann.client.storage.read([{ collection: 'inv', key: 'a' }]), []);
  });
});
