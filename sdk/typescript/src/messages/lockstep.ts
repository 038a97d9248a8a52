// lockstep.fbs: LockstepInput and the LockstepFrame push.

import { LockstepFrame as LockstepFrameTable } from '../generated/citadel/msg/lockstep-frame';
import { LockstepInput } from '../generated/citadel/msg/lockstep-input';
import { buildTable, byteBuffer } from './flatbuffers-io';
import type { LockstepFrame, LockstepPlayerInput } from './types';

/** The largest LockstepInput data the server takes (longer gets ERROR 8). */
export const MAX_LOCKSTEP_INPUT_BYTES = 256;

export function encodeLockstepInput(data: Uint8Array): Uint8Array {
  return buildTable((b) => LockstepInput.createLockstepInput(b, LockstepInput.createDataVector(b, data)), 32 + data.length);
}

export function decodeLockstepFrame(payload: Uint8Array): LockstepFrame {
  const m = LockstepFrameTable.getRootAsLockstepFrame(byteBuffer(payload));
  const inputs: LockstepPlayerInput[] = [];
  for (let i = 0; i < m.inputsLength(); i++) {
    const input = m.inputs(i)!;
    // A copy: the payload's buffer is not the application's to keep.
    inputs.push({ userId: input.userId(), data: (input.dataArray() ?? new Uint8Array(0)).slice() });
  }
  return { frame: m.frame(), inputs };
}
