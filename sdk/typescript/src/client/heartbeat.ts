// The heartbeat of one connection: a PING every `intervalMs`, and the dead-peer
// check — nothing at all received for `deadAfterMs` means the connection is
// dead (docs/protocol.md, "Writing a client": "treat a missing PONG as a dead
// connection"). A frame only stamps the time; the check's timer re-arms itself
// when it fires, so it costs nothing per frame.

export interface HeartbeatOptions {
  readonly intervalMs: number;
  readonly deadAfterMs: number;
  readonly now: () => number;
  readonly sendPing: () => void;
  readonly dead: (silentForMs: number) => void;
}

export class Heartbeat {
  private lastReceived: number;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private deadTimer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;

  constructor(private readonly options: HeartbeatOptions) {
    this.lastReceived = options.now();
    if (options.intervalMs > 0) this.pingTimer = setInterval(() => options.sendPing(), options.intervalMs);
    if (options.deadAfterMs > 0) this.armDeadCheck(options.deadAfterMs);
  }

  /** A frame arrived. */
  received(): void {
    this.lastReceived = this.options.now();
  }

  stop(): void {
    this.stopped = true;
    if (this.pingTimer !== null) clearInterval(this.pingTimer);
    if (this.deadTimer !== null) clearTimeout(this.deadTimer);
    this.pingTimer = this.deadTimer = null;
  }

  private armDeadCheck(inMs: number): void {
    this.deadTimer = setTimeout(() => {
      if (this.stopped) return;
      const silent = this.options.now() - this.lastReceived;
      if (silent >= this.options.deadAfterMs) {
        this.stop();
        this.options.dead(silent);
      } else {
        this.armDeadCheck(this.options.deadAfterMs - silent);
      }
    }, Math.max(1, inMs));
  }
}
