// Lockstep frame sync (docs/protocol.md, "Lockstep frame sync"): inputs out,
// one LockstepFrame per tick in. The SDK remembers the last frame seen, so a
// resume can ask the room for every frame after it, and delivers each frame
// once, in order.
//
// After a resume (RoomEvent Rejoined) the room holds the player's frames until
// the client's RoomJoin says which frame it saw last, then sends every frame
// after it. The SDK still drops any frame from Rejoined until the RoomReply to
// that RoomJoin: the catch-up brings it again, in order, so a frame that got
// there first (from a server before that rule) is not delivered twice.

import type { ClientCore } from '../client/core';
import { decodeLockstepFrame, encodeLockstepInput, MAX_LOCKSTEP_INPUT_BYTES } from '../messages/lockstep';
import { Cmd } from '../wire/commands';

export class LockstepApi {
  private last = 0;
  private resyncing = false;

  constructor(private readonly core: ClientCore) {}

  /** The number of the last frame delivered (0: none yet in this room). */
  get lastFrame(): number {
    return this.last;
  }

  /**
   * Sends the game's own input bytes (at most 256) for the current frame.
   * Returns false when there is no connection (the input is dropped).
   * Throws RangeError for more than 256 bytes (the server would answer ERROR 8).
   */
  sendInput(data: Uint8Array): boolean {
    if (data.length > MAX_LOCKSTEP_INPUT_BYTES) {
      throw new RangeError(`lockstep input is ${data.length} bytes; at most ${MAX_LOCKSTEP_INPUT_BYTES}`);
    }
    return this.core.sendOneWay(Cmd.LockstepInput, encodeLockstepInput(data));
  }

  /** @internal A LockstepFrame push. */
  onFrame(payload: Uint8Array): void {
    const frame = decodeLockstepFrame(payload);
    if (this.resyncing || frame.frame <= this.last) return; // the catch-up brings it (again)
    if (frame.frame !== this.last + 1) this.core.emit('lockstepGap', { expected: this.last + 1, got: frame.frame });
    this.last = frame.frame;
    this.core.emit('lockstepFrame', frame);
  }

  /** @internal Back in the lockstep room after a resume: live frames wait for the catch-up. */
  onRejoined(): void {
    this.resyncing = true;
  }

  /** @internal A RoomJoin into a room was answered Ok (`sameRoom`: the room the frames came from). */
  onJoined(sameRoom: boolean): void {
    this.resyncing = false;
    if (!sameRoom) this.last = 0;
  }

  /** @internal The client is in no room now. */
  onLeft(): void {
    this.resyncing = false;
    this.last = 0;
  }
}
