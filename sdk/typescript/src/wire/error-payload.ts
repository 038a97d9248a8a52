// The ERROR frame's payload (cmd 0x00FF): a big-endian u16 code, then UTF-8
// text for people (docs/protocol.md, "Error codes"). The code is the
// contract; the text may change.

import { Cmd } from './commands';

export const ErrorCode = {
  BadMagic: 1,
  FrameTooLarge: 2,
  UnknownCommand: 3,
  ServerFull: 4,
  TooManyFromAddress: 5,
  IdleTimeout: 6,
  ShuttingDown: 7,
  BadPayload: 8,
  NotAuthenticated: 9,
  LoginTimeout: 10,
  LoggedInElsewhere: 11,
  NotInRoom: 12,
} as const;

export type ErrorCodeName = keyof typeof ErrorCode;

export interface ErrorPayload {
  readonly code: number;
  readonly text: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });
const utf8Encoder = new TextEncoder();

/** Null when the payload is too short to hold a code. */
export function parseErrorPayload(payload: Uint8Array): ErrorPayload | null {
  if (payload.length < 2) return null;
  const code = (payload[0]! << 8) | payload[1]!;
  return { code, text: utf8.decode(payload.subarray(2)) };
}

export function encodeErrorPayload(code: number, text: string): Uint8Array {
  const body = utf8Encoder.encode(text);
  const out = new Uint8Array(2 + body.length);
  out[0] = (code >> 8) & 0xff;
  out[1] = code & 0xff;
  out.set(body, 2);
  return out;
}

/**
 * The ERROR codes after which the server closes the connection. protocol.md's
 * table says "closed" for 1, 2, 4, 5, 6, 7, 10 and 11; the others leave it
 * open, and answer the request that caused them.
 */
export function errorClosesConnection(code: number): boolean {
  switch (code) {
    case ErrorCode.BadMagic:
    case ErrorCode.FrameTooLarge:
    case ErrorCode.ServerFull:
    case ErrorCode.TooManyFromAddress:
    case ErrorCode.IdleTimeout:
    case ErrorCode.ShuttingDown:
    case ErrorCode.LoginTimeout:
    case ErrorCode.LoggedInElsewhere:
      return true;
    default:
      return false;
  }
}

/**
 * The cmd an ERROR's text names, if any. An ERROR frame carries no request
 * id and no cmd field, so this is the only hint of which request it refuses:
 * the server's texts name the cmd as "0x0203" ("cmd 0x0203 (ChatSend): ...",
 * "unknown command 0x7f00", "command 0x0200 needs a login", "cmd 0x0310: you
 * are in no arena room"), except the PING size check ("PING payload above 64
 * bytes"). Returns null when the text names none.
 */
export function cmdNamedInErrorText(text: string): number | null {
  const hex = /0x([0-9a-fA-F]{4})\b/.exec(text);
  if (hex) return parseInt(hex[1]!, 16);
  if (/^PING\b/.test(text)) return Cmd.Ping;
  return null;
}
