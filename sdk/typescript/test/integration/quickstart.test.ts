// docs/sdk-typescript.md's usage example is test/examples/quickstart.ts: it
// must appear in the doc word for word, and it must work against a real server.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { quickstart } from '../examples/quickstart';
import { startServer, type CitadelServer } from '../support/server';

const packageDir = resolve(__dirname, '../..');

describe('the documented example', () => {
  let server: CitadelServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.stop());

  it('is in docs/sdk-typescript.md verbatim', () => {
    const source = readFileSync(resolve(packageDir, 'test/examples/quickstart.ts'), 'utf8').trim();
    const doc = readFileSync(resolve(packageDir, '../../docs/sdk-typescript.md'), 'utf8');
    assert.ok(doc.includes(source), 'docs/sdk-typescript.md does not hold test/examples/quickstart.ts as it is');
  });

  it('runs against a real server', async () => {
    const lines: string[] = [];
    await quickstart(server.url, (line) => lines.push(line));
    assert.equal(lines[0], 'session loggedIn');
    assert.match(lines[1]!, /^logged in as guest-\d+ \(user \d+\)$/);
    assert.ok(lines.some((l) => /^world <guest-\d+> hello, world$/.test(l)), lines.join('\n'));
    assert.ok(lines.includes('refused: NoSuchChannel'), lines.join('\n'));
    assert.ok(lines.some((l) => /^in arena room \d+ with 1 player\(s\)$/.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => /^I am at \(505, 500\)$/.test(l)), lines.join('\n'));
    assert.equal(lines[lines.length - 1], 'session loggedOut');
  });
});
