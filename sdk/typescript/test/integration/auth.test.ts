// Logins against a real server: guest, register and login, a wrong
// password's typed error, refusals decided on arrival, and a second login
// taking the session over (ERROR 11).

import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import {
  AuthError,
  AuthResult,
  LoggedInElsewhereError,
  type SessionEvent,
} from '../../dist/node';
import { Clients } from '../support/clients';
import { collect, deviceId, nextEvent } from '../support/events';
import { startServer, type CitadelServer } from '../support/server';

describe('auth', () => {
  let server: CitadelServer;
  const clients = new Clients(() => server.url);
  before(async () => {
    server = await startServer();
  });
  afterEach(() => clients.closeAll());
  after(() => server.stop());

  it('logs in as a guest and remembers the session', async () => {
    const { client } = await clients.connected();
    const sessions = collect(client, 'session');
    const device = deviceId('guest');
    const me = await client.loginGuest(device);
    assert.ok(me.userId > 0n);
    assert.match(me.username, /^guest-\d+$/);
    assert.ok(me.token.length > 0);
    assert.ok(me.tokenExpiresUnixMs > Date.now());
    assert.deepEqual(
      sessions.map((e: SessionEvent) => [e.kind, e.userId]),
      [['loggedIn', me.userId]],
    );
    assert.equal(client.session.token, me.token);
    assert.equal(client.session.loggedIn, true);
  });

  it('registers, logs out, and logs in again with the password', async () => {
    const { client } = await clients.connected();
    const name = `ts_${process.pid}_${Date.now() % 100000}`;
    const registered = await client.register(name, 'correct horse battery');
    assert.equal(registered.username, name);
    const loggedOut = nextEvent(client, 'session', (e) => e.kind === 'loggedOut');
    await client.logout();
    await loggedOut;
    assert.equal(client.session.token, '');
    const again = await client.login(name.toUpperCase(), 'correct horse battery'); // names compare case-insensitively
    assert.equal(again.userId, registered.userId);
    assert.equal(again.username, name);
  });

  it('refuses a wrong password with AuthError BadCredentials, and the connection stays usable', async () => {
    const { client } = await clients.connected();
    const name = `tsw_${process.pid}_${Date.now() % 100000}`;
    await client.register(name, 'the right password');
    await client.logout();
    const refused = await client.login(name, 'the wrong password').then(
      () => assert.fail('a wrong password logged in'),
      (e: unknown) => e,
    );
    assert.ok(refused instanceof AuthError, `got ${String(refused)}`);
    assert.equal(refused.status, AuthResult.BadCredentials);
    assert.equal(refused.statusName, 'BadCredentials');
    assert.equal(refused.cmd, 0x0102);
    assert.equal(client.session.loggedIn, false);
    assert.ok((await client.ping()) >= 0);
    assert.equal((await client.login(name, 'the right password')).username, name);
  });

  it('refuses what is wrong on arrival: a short device id, a taken name, an invalid name', async () => {
    const { client } = await clients.connected();
    await assert.rejects(client.loginGuest('short'), (e: unknown) => e instanceof AuthError && e.status === AuthResult.InvalidDeviceId);
    await assert.rejects(client.register('guest-no', 'long enough pw'), (e: unknown) => e instanceof AuthError && e.status === AuthResult.InvalidUsername);
    const name = `tst_${process.pid}_${Date.now() % 100000}`;
    const other = (await clients.connected()).client;
    await other.register(name, 'long enough pw');
    await assert.rejects(client.register(name, 'long enough pw'), (e: unknown) => e instanceof AuthError && e.status === AuthResult.UsernameTaken);
  });

  it('a second login to the same account takes over: the first gets ERROR 11 and stays down', async () => {
    const device = deviceId('takeover');
    const first = (await clients.connected()).client;
    const me = await first.loginGuest(device);
    const kicked = nextEvent(first, 'serverError');
    const lost = nextEvent(first, 'session', (e) => e.kind === 'lost');
    const down = nextEvent(first, 'disconnected');
    const second = (await clients.connected()).client;
    assert.equal((await second.loginGuest(device)).userId, me.userId);
    const error = await kicked;
    assert.ok(error instanceof LoggedInElsewhereError);
    assert.equal(error.code, 11);
    assert.equal((await lost).userId, me.userId);
    assert.ok((await down).error instanceof LoggedInElsewhereError);
    assert.equal(first.state, 'idle', 'no reconnect: that would take the session back');
    assert.equal(first.session.token, '');
  });

  it('a token saved by the application resumes the session on a new client; a bad one is lost', async () => {
    const first = (await clients.connected()).client;
    const me = await first.loginGuest(deviceId('saved'));
    const saved = first.session;
    first.close(); // the server keeps the session for its grace period

    const { client } = clients.make();
    client.setSession(saved.token, saved.lastPushId);
    const resumed = nextEvent(client, 'session');
    await client.connect();
    const event = await resumed;
    assert.equal(event.kind, 'resumed');
    assert.equal(event.userId, me.userId);
    assert.equal(client.session.username, me.username);
    assert.notEqual(client.session.token, '', 'the renewed token is kept');
    await client.chat.sendWorld('resumed by token');

    const other = clients.make().client;
    other.setSession('v1.not-a-token', 0n);
    const lost = nextEvent(other, 'session');
    await other.connect();
    const why = await lost;
    assert.equal(why.kind, 'lost');
    assert.equal(why.authResult, AuthResult.TokenInvalid);
    assert.equal(other.session.token, '');
    assert.ok((await other.loginGuest(deviceId('after-lost'))).userId > 0n, 'still connected: log in again');
  });
});
