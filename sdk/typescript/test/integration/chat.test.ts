// Chat between real clients: the world channel, a named channel with
// presence and history, private messages, and refusals as ChatErrors.

import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { ChatError, ChatResult, WORLD_CHANNEL, type CitadelClient } from '../../dist/node';
import { Clients } from '../support/clients';
import { deviceId, nextEvent } from '../support/events';
import { startServer, type CitadelServer } from '../support/server';

describe('chat', () => {
  let server: CitadelServer;
  const clients = new Clients(() => server.url);
  before(async () => {
    server = await startServer();
  });
  afterEach(() => clients.closeAll());
  after(() => server.stop());

  async function guest(label: string): Promise<{ client: CitadelClient; userId: bigint; username: string }> {
    const { client } = await clients.connected();
    const me = await client.loginGuest(deviceId(label));
    return { client, userId: me.userId, username: me.username };
  }

  it('a world message reaches the other client, and the sender too', async () => {
    const ann = await guest('ann');
    const bob = await guest('bob');
    const atBob = nextEvent(bob.client, 'chatMessage', (m) => m.text === 'hello world');
    const atAnn = nextEvent(ann.client, 'chatMessage', (m) => m.text === 'hello world');
    await ann.client.chat.sendWorld('hello world');
    const m = await atBob;
    assert.equal(m.channel, WORLD_CHANNEL);
    assert.equal(m.fromUserId, ann.userId);
    assert.equal(m.fromUsername, ann.username);
    assert.equal(m.private, false);
    assert.ok(m.pushId > 0n);
    assert.ok(Math.abs(m.sentUnixMs - Date.now()) < 60_000);
    assert.equal((await atAnn).pushId, m.pushId, 'push ids are server-wide');
    assert.equal(bob.client.session.lastPushId >= m.pushId, true);
  });

  it('a named channel: members, presence, history, messages, leave', async () => {
    const ann = await guest('ann');
    const bob = await guest('bob');
    const channel = `room-${process.pid}`;
    const created = await ann.client.chat.create(channel);
    assert.deepEqual(created.members?.map((m) => m.userId), [ann.userId]);
    await ann.client.chat.send(channel, 'before bob came');

    const online = nextEvent(ann.client, 'presence', (p) => p.userId === bob.userId && p.online);
    const joined = await bob.client.chat.join(channel);
    assert.equal(joined.channel, channel);
    assert.deepEqual(
      new Set(joined.members?.map((m) => m.userId)),
      new Set([ann.userId, bob.userId]),
    );
    assert.deepEqual(joined.history.map((m) => [m.text, m.fromUserId]), [['before bob came', ann.userId]]);
    const presence = await online;
    assert.equal(presence.channel, channel);
    assert.equal(presence.username, bob.username);

    const heard = nextEvent(ann.client, 'chatMessage', (m) => m.channel === channel);
    await bob.client.chat.send(channel, 'hi ann');
    assert.equal((await heard).text, 'hi ann');
    assert.equal((await ann.client.chat.members(channel)).length, 2);

    const offline = nextEvent(ann.client, 'presence', (p) => p.userId === bob.userId && !p.online);
    await bob.client.chat.leave(channel);
    await offline;
    await assert.rejects(bob.client.chat.send(channel, 'still here?'), (e: unknown) =>
      e instanceof ChatError && e.status === ChatResult.NotMember && e.channel === channel,
    );
  });

  it('private messages by name and by id; an unknown user is a ChatError', async () => {
    const ann = await guest('ann');
    const bob = await guest('bob');
    const byName = nextEvent(bob.client, 'chatMessage', (m) => m.private && m.text === 'psst');
    await ann.client.chat.sendPrivate({ username: bob.username }, 'psst');
    const m = await byName;
    assert.equal(m.channel, '');
    assert.equal(m.fromUserId, ann.userId);
    const byId = nextEvent(ann.client, 'chatMessage', (x) => x.private && x.text === 'back at you');
    await bob.client.chat.sendPrivate({ userId: ann.userId }, 'back at you');
    assert.equal((await byId).fromUsername, bob.username);
    await assert.rejects(ann.client.chat.sendPrivate({ username: 'nobody-like-this' }, 'hello?'), (e: unknown) =>
      e instanceof ChatError && e.status === ChatResult.NoSuchUser,
    );
  });

  it('counts who is online and refuses what the rules forbid', async () => {
    const ann = await guest('ann');
    await guest('bob');
    assert.ok((await ann.client.chat.onlineCount()) >= 2);
    await assert.rejects(ann.client.chat.join('no-such-channel-here'), (e: unknown) =>
      e instanceof ChatError && e.status === ChatResult.NoSuchChannel,
    );
    await assert.rejects(ann.client.chat.create('bad name!'), (e: unknown) =>
      e instanceof ChatError && e.status === ChatResult.InvalidChannelName,
    );
    await assert.rejects(ann.client.chat.sendWorld(''), (e: unknown) =>
      e instanceof ChatError && e.status === ChatResult.MessageTooLong,
    );
  });
});
