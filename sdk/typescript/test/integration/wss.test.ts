// wss:// end to end: the server with TLS on (a certificate made by the openssl
// command, as tests/tls/tls_cross_client_test.py makes it) and the SDK over
// `ws` verifying that certificate: login, chat, ping, all as over ws://.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CitadelClient, wsFactory } from '../../dist/node';
import { deviceId, nextEvent } from '../support/events';
import { startServer, type CitadelServer } from '../support/server';

describe('wss', () => {
  let server: CitadelServer;
  let certs: string;
  let certificate: string;
  const clients: CitadelClient[] = [];

  before(async () => {
    certs = mkdtempSync(join(tmpdir(), 'citadel-ts-sdk-certs-'));
    const cert = join(certs, 'server.crt');
    const key = join(certs, 'server.key');
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout', key, '-out', cert,
    ], { stdio: 'ignore' });
    certificate = readFileSync(cert, 'utf8');
    server = await startServer(`tls:\n  enabled: true\n  certificate_file: ${cert}\n  private_key_file: ${key}\n`);
  });
  after(async () => {
    for (const c of clients) c.close();
    await server.stop();
    rmSync(certs, { recursive: true, force: true });
  });

  const wssClient = () => {
    const client = new CitadelClient({
      url: `wss://127.0.0.1:${server.port}/`,
      webSocket: wsFactory({ ca: certificate }), // trust the test certificate, and verify it
    });
    clients.push(client);
    return client;
  };

  it('logs in, chats and pings over wss:// with a verified certificate', async () => {
    const ann = wssClient();
    const bob = wssClient();
    await Promise.all([ann.connect(), bob.connect()]);
    const me = await ann.loginGuest(deviceId('wss-ann'));
    await bob.loginGuest(deviceId('wss-bob'));
    const heard = nextEvent(bob, 'chatMessage', (m) => m.text === 'over TLS');
    await ann.chat.sendWorld('over TLS');
    assert.equal((await heard).fromUserId, me.userId);
    assert.ok((await ann.ping()) >= 0);
  });

  it('refuses a certificate it cannot verify', async () => {
    const client = new CitadelClient({
      url: `wss://127.0.0.1:${server.port}/`,
      webSocket: wsFactory(), // the system's CAs: the test certificate is not among them
      backoff: { maxTries: 1, baseMs: 10 },
    });
    clients.push(client);
    const down = nextEvent(client, 'disconnected');
    await assert.rejects(client.connect());
    assert.match((await down).reason, /could not connect/);
  });
});
