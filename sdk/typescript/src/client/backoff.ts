// The reconnect schedule: exponential backoff with jitter, a cap, a limit on
// tries, and a reset once a connection has proved stable. Pure logic on an
// injected clock and random source, so the schedule is unit-tested exactly.
// A port of src/client/backoff.cc:
//
//   delay(n) = jitter(min(cap, base * 2^n)),  n = failures in a row so far (0-based)

import type { BackoffOptions } from './options';

export interface ReconnectAttempt {
  /** 1 for the first attempt after a loss. */
  readonly attempt: number;
  readonly delayMs: number;
}

/** min(cap, base * 2^n). */
export function backoffCeiling(config: BackoffOptions, n: number): number {
  const base = Math.max(0, config.baseMs);
  const cap = Math.max(0, config.capMs);
  if (base === 0) return 0;
  // 2^60 ms is beyond any cap; past it the product would only lose precision.
  return Math.min(cap, base * 2 ** Math.min(n, 60));
}

export class ReconnectSchedule {
  private failuresInARow = 0;
  private connectedAt: number | null = null;

  constructor(
    private readonly config: BackoffOptions,
    private readonly now: () => number,
    /** Uniform in [0, 1). */
    private readonly random: () => number,
  ) {}

  get failures(): number {
    return this.failuresInARow;
  }

  /** A connection is up (remembered, to tell a stable one from a flapping one). */
  onConnected(): void {
    this.connectedAt = this.now();
  }

  /**
   * The link is down: an attempt failed or a connection was lost. Returns the
   * next attempt, or null once maxTries attempts in a row have failed.
   */
  onLinkDown(): ReconnectAttempt | null {
    if (this.connectedAt !== null && this.now() - this.connectedAt >= this.config.stableAfterMs) {
      this.failuresInARow = 0;
    }
    this.connectedAt = null;
    if (this.config.maxTries !== 0 && this.failuresInARow >= this.config.maxTries) return null;
    const delayMs = this.jittered(backoffCeiling(this.config, this.failuresInARow));
    this.failuresInARow += 1;
    return { attempt: this.failuresInARow, delayMs };
  }

  /** Forget past failures (e.g. the application asked to connect again). */
  reset(): void {
    this.failuresInARow = 0;
    this.connectedAt = null;
  }

  private jittered(ceiling: number): number {
    const c = Math.floor(ceiling);
    const r = Math.min(Math.max(this.random(), 0), 0.9999999999);
    switch (this.config.jitter) {
      case 'none':
        return c;
      case 'full':
        return Math.floor(r * (c + 1));
      case 'equal': {
        const floor = c - Math.floor(c / 2); // rounds up: never below half
        return floor + Math.floor(r * (c - floor + 1));
      }
    }
  }
}
