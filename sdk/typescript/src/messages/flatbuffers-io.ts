// The two things every codec here does with the flatbuffers runtime: finish a
// table into bytes of its own, and open a received payload as a ByteBuffer.

import * as flatbuffers from 'flatbuffers';

/** Builds one table with `write` and returns the finished bytes (a copy the caller owns). */
export function buildTable(write: (builder: flatbuffers.Builder) => flatbuffers.Offset, sizeHint = 128): Uint8Array {
  const builder = new flatbuffers.Builder(sizeHint);
  builder.finish(write(builder));
  return builder.asUint8Array().slice();
}

/**
 * Opens a payload for a generated `getRootAs...`. The TypeScript runtime has
 * no verifier, so decoders wrap their reads (see decodeWith): a payload that
 * points outside itself throws instead of returning garbage silently.
 */
export function byteBuffer(payload: Uint8Array): flatbuffers.ByteBuffer {
  if (payload.length < 4) throw new RangeError(`payload of ${payload.length} bytes holds no table`);
  return new flatbuffers.ByteBuffer(payload);
}

/** A string field: '' when absent. */
export function str(value: string | null): string {
  return value ?? '';
}

/**
 * A ulong field that is a time in milliseconds, as a number. Exact up to
 * 2^53 ms (the year 287396), so nothing is lost for timestamps.
 */
export function msNumber(value: bigint): number {
  return Number(value);
}
