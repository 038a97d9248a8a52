// The frame header and the ERROR payload, against docs/protocol.md's worked examples.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cmd, cmdName, decodeFrame, encodeFrame, FrameDecodeError } from '../../dist/index';
import { cmdNamedInErrorText, encodeErrorPayload, parseErrorPayload } from '../../dist/wire/error-payload';

function hex(text: string): Uint8Array {
  return Uint8Array.from(text.trim().split(/\s+/).map((b) => parseInt(b, 16)));
}

describe('frames', () => {
  it('encodes the PING of the worked example byte for byte', () => {
    const ping = encodeFrame(Cmd.Ping, new TextEncoder().encode('hi'));
    assert.deepEqual(ping, hex('43 54 00 01 00 00 00 02 68 69'));
  });

  it('decodes the PONG of the worked example', () => {
    const frame = decodeFrame(hex('43 54 00 02 00 00 00 02 68 69'));
    assert.equal(frame.cmd, Cmd.Pong);
    assert.equal(new TextDecoder().decode(frame.payload), 'hi');
  });

  it('encodes an empty payload as a bare header', () => {
    assert.deepEqual(encodeFrame(0x7f00), hex('43 54 7f 00 00 00 00 00'));
  });

  it('refuses a bad magic, a length that disagrees with the message, and one above the limit', () => {
    assert.throws(() => decodeFrame(hex('48 45 4c 4c 4f 0d 0a 00')), FrameDecodeError);
    assert.throws(() => decodeFrame(hex('43 54 00 02 00 00 00 03 68 69')), /declares 3 payload bytes/);
    assert.throws(() => decodeFrame(hex('43 54 00 02 00 00 00 02 68 69'), 1), /above the limit 1/);
    assert.throws(() => decodeFrame(hex('43 54 00')), /shorter than a frame header/);
  });

  it('names commands', () => {
    assert.equal(cmdName(0x0203), 'ChatSend');
    assert.equal(cmdName(0x7f00), '0x7f00');
  });
});

describe('ERROR payloads', () => {
  it('parses the unknown-command ERROR of the worked example', () => {
    const text = 'unknown command 0x7f00';
    const frame = decodeFrame(encodeFrame(Cmd.Error, encodeErrorPayload(3, text)));
    assert.deepEqual([...frame.payload.subarray(0, 2)], [0x00, 0x03]);
    assert.equal(frame.payload.length, 24, 'protocol.md: length=24');
    assert.deepEqual(parseErrorPayload(frame.payload), { code: 3, text });
  });

  it('finds the cmd the server names in its texts', () => {
    assert.equal(cmdNamedInErrorText('unknown command 0x7f00'), 0x7f00);
    assert.equal(cmdNamedInErrorText('cmd 0x0100 (GuestLogin): payload is not a valid FlatBuffers message'), 0x0100);
    assert.equal(cmdNamedInErrorText('command 0x0200 needs a login'), 0x0200);
    assert.equal(cmdNamedInErrorText('cmd 0x0310 (arena input): dx is not a finite number'), 0x0310);
    assert.equal(cmdNamedInErrorText('PING payload above 64 bytes'), Cmd.Ping);
    assert.equal(cmdNamedInErrorText('logged in elsewhere'), null);
  });

  it('treats a payload without a code as malformed', () => {
    assert.equal(parseErrorPayload(new Uint8Array([1])), null);
  });
});
