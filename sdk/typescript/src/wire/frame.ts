// The frame: an 8-byte big-endian header (magic "CT", cmd, payload length)
// and the payload (docs/protocol.md, "Frames"). Over WebSocket every binary
// message carries exactly one frame, so there is no stream to cut here: a
// message is decoded whole, and anything but one well-formed frame is refused.

export const FRAME_MAGIC = 0x4354;
export const HEADER_BYTES = 8;
/** The server's default `limits.max_payload_bytes`. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 65536;

export interface Frame {
  readonly cmd: number;
  readonly payload: Uint8Array;
}

export function encodeFrame(cmd: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  if (!Number.isInteger(cmd) || cmd < 0 || cmd > 0xffff) {
    throw new RangeError(`cmd must be a 16-bit unsigned integer, got ${cmd}`);
  }
  const bytes = new Uint8Array(HEADER_BYTES + payload.length);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, FRAME_MAGIC);
  view.setUint16(2, cmd);
  view.setUint32(4, payload.length);
  bytes.set(payload, HEADER_BYTES);
  return bytes;
}

export class FrameDecodeError extends Error {
  override readonly name = 'FrameDecodeError';
}

/**
 * Decodes one WebSocket message as one frame. The payload is a view into
 * `message` (no copy). Throws FrameDecodeError for a bad magic, a length
 * that disagrees with the message's size, or one above `maxPayloadBytes`.
 */
export function decodeFrame(message: Uint8Array, maxPayloadBytes = DEFAULT_MAX_PAYLOAD_BYTES): Frame {
  if (message.length < HEADER_BYTES) {
    throw new FrameDecodeError(`message of ${message.length} bytes is shorter than a frame header`);
  }
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  const magic = view.getUint16(0);
  if (magic !== FRAME_MAGIC) {
    throw new FrameDecodeError(`bad magic 0x${magic.toString(16)}: frames start 0x4354`);
  }
  const cmd = view.getUint16(2);
  const length = view.getUint32(4);
  if (length > maxPayloadBytes) {
    throw new FrameDecodeError(`frame declares ${length} payload bytes, above the limit ${maxPayloadBytes}`);
  }
  if (length !== message.length - HEADER_BYTES) {
    throw new FrameDecodeError(
      `frame declares ${length} payload bytes but the message holds ${message.length - HEADER_BYTES}`,
    );
  }
  return { cmd, payload: message.subarray(HEADER_BYTES) };
}
