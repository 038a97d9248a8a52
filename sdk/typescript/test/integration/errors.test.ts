// Typed ERRORs from a real server: a malformed request, an unknown command,
// a command before login, a PING too large, a room input outside a room and
// one with a NaN. Each refusal rejects the request that drew it (ERRORs carry
// no request id), or, for a one-way message, arrives as a serverError event;
// the connection stays open.

import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import {
  BadPayloadError,
  Cmd,
  NotAuthenticatedError,
  NotInRoomError,
  ServerError,
  UnknownCommandError,
} from '../../dist/node';
import { encodeArenaInput } from '../../dist/messages/arena';
import { Clients } from '../support/clients';
import { deviceId, nextEvent } from '../support/events';
import { startServer, type CitadelServer } from '../support/server';

describe('server ERRORs', () => {
  let server: CitadelServer;
  const clients = new Clients(() => server.url);
  before(async () => {
    server = await startServer();
  });
  afterEach(() => clients.closeAll());
  after(() => server.stop());

  async function loggedIn() {
    const { client } = await clients.connected();
    await client.loginGuest(deviceId('err'));
    return client;
  }

  it('a malformed request is refused with BadPayloadError, and the connection stays open', async () => {
    const client = await loggedIn();
    const garbage = Uint8Array.from([0xff, 0xff, 0xff, 0x7f, 1, 2, 3]);
    const refused = await client.request(Cmd.ChatSend, garbage, { replyCmd: Cmd.ChatReply }).then(
      () => assert.fail('a malformed ChatSend was answered'),
      (e: unknown) => e,
    );
    assert.ok(refused instanceof BadPayloadError, `got ${String(refused)}`);
    assert.ok(refused instanceof ServerError);
    assert.equal(refused.code, 8);
    assert.equal(refused.cmd, Cmd.ChatSend);
    assert.equal(refused.closesConnection, false);
    assert.match(refused.text, /0x0203/);
    await client.chat.sendWorld('still here');
    assert.equal(client.state, 'connected');
  });

  it('the ERROR refuses the malformed request, not an older one still waiting for its reply', async () => {
    const client = await loggedIn();
    // The join passes its checks on arrival and waits for the room directory;
    // the malformed ChatSend behind it is refused on arrival, so its ERROR usually comes first.
    const join = client.rooms.joinOrCreate('arena');
    const bad = client.request(Cmd.ChatSend, Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]), { replyCmd: Cmd.ChatReply });
    const ping = client.ping();
    await assert.rejects(bad, BadPayloadError);
    const room = await join;
    assert.equal(room.roomType, 'arena');
    assert.ok((await ping) >= 0);
  });

  it('an unknown command is refused with UnknownCommandError', async () => {
    const { client } = await clients.connected();
    await assert.rejects(
      client.request(0x7f00, new Uint8Array(0), { replyCmd: 0x7f01 }),
      (e: unknown) => e instanceof UnknownCommandError && e.code === 3 && e.cmd === 0x7f00,
    );
  });

  it('a command that needs a login is refused with NotAuthenticatedError before one', async () => {
    const { client } = await clients.connected();
    await assert.rejects(
      client.chat.sendWorld('anyone?'),
      (e: unknown) => e instanceof NotAuthenticatedError && e.code === 9 && e.cmd === Cmd.ChatSend,
    );
    await client.loginGuest(deviceId('late'));
    await client.chat.sendWorld('now I may');
  });

  it('a PING above 64 bytes is refused with BadPayloadError', async () => {
    const { client } = await clients.connected();
    await assert.rejects(client.ping(new Uint8Array(65)), (e: unknown) => e instanceof BadPayloadError && e.cmd === Cmd.Ping);
    assert.ok((await client.ping(new Uint8Array(64))) >= 0);
  });

  it('room inputs: outside a room NotInRoomError, with a NaN BadPayloadError, as serverError events', async () => {
    const client = await loggedIn();
    const notInRoom = nextEvent(client, 'serverError');
    assert.equal(typeof client.arena.sendInput(1, 0), 'number');
    const e12 = await notInRoom;
    assert.ok(e12 instanceof NotInRoomError, `got ${String(e12)}`);
    assert.equal(e12.cmd, Cmd.ArenaInput);

    await client.rooms.joinOrCreate('arena');
    assert.throws(() => client.arena.sendInput(Number.NaN, 0), RangeError); // the SDK refuses it itself
    const nan = nextEvent(client, 'serverError');
    assert.equal(client.send(Cmd.ArenaInput, encodeArenaInput(99, Number.NaN, 0)), true); // so send it raw
    const e8 = await nan;
    assert.ok(e8 instanceof BadPayloadError);
    assert.match(e8.text, /not a finite number/);
    assert.ok((await client.ping()) >= 0);
  });
});
