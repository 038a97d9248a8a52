// The arena demo room (docs/protocol.md, "The arena demo"): inputs out, the
// room's state in. The SDK numbers inputs (seq rises by 1 per input, as the
// room requires) and keeps the whole field: a snapshot replaces it, a delta
// updates the players that changed and removes those who left.

import type { ClientCore } from '../client/core';
import { decodeArenaState, encodeArenaInput } from '../messages/arena';
import type { ArenaPlayer, ArenaState } from '../messages/types';
import { Cmd } from '../wire/commands';

const MAX_SEQ = 0xffffffff;

export class ArenaApi {
  private seq = 0;
  private readonly field = new Map<bigint, ArenaPlayer>();

  constructor(private readonly core: ClientCore) {}

  /** Every player the client knows in its arena room, by user id. */
  get players(): ReadonlyMap<bigint, ArenaPlayer> {
    return this.field;
  }

  /** The seq of the last input sent; the room acks it in your ArenaPlayer's `ack`. */
  get lastSeq(): number {
    return this.seq;
  }

  /**
   * Moves by (dx, dy), each clamped by the room to [-1, 1]; send at the room's
   * rate (20 Hz). Returns the input's seq, or null when there is no
   * connection (the input is dropped: a stale one has no value).
   * Throws RangeError for a non-finite number (the server would answer ERROR 8).
   */
  sendInput(dx: number, dy: number): number | null {
    if (!Number.isFinite(dx) || !Number.isFinite(dy)) {
      throw new RangeError(`arena input must be finite numbers, got (${dx}, ${dy})`);
    }
    const seq = this.seq >= MAX_SEQ ? 1 : this.seq + 1;
    if (!this.core.sendOneWay(Cmd.ArenaInput, encodeArenaInput(seq, dx, dy))) return null;
    this.seq = seq;
    return seq;
  }

  /** @internal An ArenaState push. */
  onState(payload: Uint8Array): void {
    const state: ArenaState = decodeArenaState(payload);
    if (state.snapshot) this.field.clear();
    for (const p of state.players) this.field.set(p.userId, p);
    for (const id of state.left) this.field.delete(id);
    this.core.emit('arenaState', { state, players: this.field });
  }

  /** @internal The client left its room, or is in another one now. */
  onRoomChanged(): void {
    this.field.clear();
  }
}
