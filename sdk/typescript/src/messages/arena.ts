// arena.fbs: ArenaInput and the ArenaState push.

import { ArenaInput } from '../generated/citadel/msg/arena-input';
import { ArenaState as ArenaStateTable } from '../generated/citadel/msg/arena-state';
import { buildTable, byteBuffer } from './flatbuffers-io';
import type { ArenaPlayer, ArenaState } from './types';

export function encodeArenaInput(seq: number, dx: number, dy: number): Uint8Array {
  return buildTable((b) => ArenaInput.createArenaInput(b, seq, dx, dy), 32);
}

export function decodeArenaState(payload: Uint8Array): ArenaState {
  const m = ArenaStateTable.getRootAsArenaState(byteBuffer(payload));
  const players: ArenaPlayer[] = [];
  for (let i = 0; i < m.playersLength(); i++) {
    const p = m.players(i)!;
    players.push({ userId: p.userId(), x: p.x(), y: p.y(), ack: p.ack() });
  }
  const left: bigint[] = [];
  for (let i = 0; i < m.leftLength(); i++) left.push(m.left(i)!);
  return { tick: m.tick(), snapshot: m.snapshot(), players, left };
}
