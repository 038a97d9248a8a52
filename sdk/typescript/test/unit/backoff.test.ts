// The reconnect schedule on a stepped clock with scripted random values
// (the cases of tests/client/backoff_test.cc).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffCeiling, DEFAULT_BACKOFF, ReconnectSchedule, type BackoffOptions } from '../../dist/index';

function schedule(config: Partial<BackoffOptions>, randoms: number[] = [0.999999]) {
  let clock = 0;
  let i = 0;
  const s = new ReconnectSchedule(
    { ...DEFAULT_BACKOFF, ...config },
    () => clock,
    () => randoms[Math.min(i++, randoms.length - 1)]!,
  );
  return { s, advance: (ms: number) => (clock += ms) };
}

describe('backoff', () => {
  it('doubles from the base up to the cap without jitter', () => {
    const { s } = schedule({ baseMs: 200, capMs: 10_000, jitter: 'none' });
    const delays = Array.from({ length: 9 }, () => s.onLinkDown()!.delayMs);
    assert.deepEqual(delays, [200, 400, 800, 1600, 3200, 6400, 10_000, 10_000, 10_000]);
  });

  it('numbers attempts from 1', () => {
    const { s } = schedule({ jitter: 'none' });
    assert.equal(s.onLinkDown()!.attempt, 1);
    assert.equal(s.onLinkDown()!.attempt, 2);
  });

  it('equal jitter stays in [c/2, c], full jitter in [0, c]', () => {
    const low = schedule({ baseMs: 1000, jitter: 'equal' }, [0]).s;
    const high = schedule({ baseMs: 1000, jitter: 'equal' }, [0.9999999]).s;
    assert.equal(low.onLinkDown()!.delayMs, 500);
    assert.equal(high.onLinkDown()!.delayMs, 1000);
    assert.equal(low.onLinkDown()!.delayMs, 1000); // ceiling 2000: never below half
    const full = schedule({ baseMs: 1000, jitter: 'full' }, [0]).s;
    assert.equal(full.onLinkDown()!.delayMs, 0);
    for (let n = 0; n < 200; n++) {
      const r = schedule({ baseMs: 800, capMs: 800, jitter: 'equal' }, [Math.random()]).s.onLinkDown()!.delayMs;
      assert.ok(r >= 400 && r <= 800, `equal jitter ${r}`);
    }
  });

  it('gives up after maxTries failures in a row', () => {
    const { s } = schedule({ maxTries: 2, jitter: 'none' });
    assert.ok(s.onLinkDown());
    assert.ok(s.onLinkDown());
    assert.equal(s.onLinkDown(), null);
    s.reset();
    assert.equal(s.onLinkDown()!.attempt, 1);
  });

  it('a connection that stayed up stableAfterMs starts the schedule again; a flapping one does not', () => {
    const { s, advance } = schedule({ baseMs: 100, jitter: 'none', stableAfterMs: 5000 });
    s.onLinkDown();
    s.onLinkDown();
    s.onConnected();
    advance(1000);
    assert.equal(s.onLinkDown()!.delayMs, 400, 'dropped after 1 s: still growing');
    s.onConnected();
    advance(5000);
    assert.equal(s.onLinkDown()!.delayMs, 100, 'stable for 5 s: from the start');
  });

  it('never overflows', () => {
    assert.equal(backoffCeiling({ ...DEFAULT_BACKOFF, baseMs: 200, capMs: 10_000 }, 5000), 10_000);
    assert.equal(backoffCeiling({ ...DEFAULT_BACKOFF, baseMs: 0 }, 3), 0);
  });
});
