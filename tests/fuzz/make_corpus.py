#!/usr/bin/env python3
"""Writes the seed corpus for frame_router_fuzz into tests/fuzz/corpus/.

Each file is: max-payload selector byte, chunk-count byte, chunk sizes, then
the client byte stream (see the layout comment in frame_router_fuzz.cc).
Re-run after changing the layout; the files are checked in.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus")

PING, PONG, ECHO, ERROR = 0x0001, 0x0002, 0x0003, 0x00FF
DEFAULT_MAX = 0x80  # selector >= 0x80: 64 KiB limit


def frame(cmd, payload=b"", magic=0x4354, length=None):
    n = len(payload) if length is None else length
    return struct.pack(">HHI", magic, cmd, n) + payload


def seed(stream, selector=DEFAULT_MAX, chunks=()):
    return bytes([selector, len(chunks)]) + bytes(chunks) + stream


SEEDS = {
    "ping_empty": seed(frame(PING)),
    "ping_payload": seed(frame(PING, b"hello")),
    "ping_64": seed(frame(PING, b"p" * 64)),
    "ping_65_bad_payload": seed(frame(PING, b"p" * 65)),
    "echo_small": seed(frame(ECHO, b"echo me")),
    "echo_1k_split": seed(frame(ECHO, bytes(range(256)) * 4), chunks=(1, 7, 100)),
    "pipelined_mixed": seed(frame(PING, b"1") + frame(ECHO, b"22") + frame(0x0100, b"app")
                            + frame(PONG) + frame(ERROR, b"\x00\x01")),
    "dribbled_header": seed(frame(ECHO, b"dribble"), chunks=(1,)),
    "unknown_app_cmd": seed(frame(0x0100, b"login")),
    "bad_magic": seed(b"XY" + frame(PING)[2:]),
    "http_get": seed(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
    "valid_then_bad_magic": seed(frame(PING, b"ok") + b"\x00\x00\x00\x01"),
    "too_large_default": seed(frame(ECHO, length=65537)),
    "too_large_4gib": seed(frame(ECHO, length=0xFFFFFFFF)),
    "small_max_at_limit": seed(frame(ECHO, b"a" * 40), selector=10),      # max 40
    "small_max_over_limit": seed(frame(ECHO, b"a" * 41), selector=10),
    "truncated_payload": seed(frame(ECHO, b"abcdef")[:10]),
    "zero_length_frames": seed(frame(ECHO) * 5, chunks=(3, 5)),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    print(f"wrote {len(SEEDS)} seeds to {OUT}")


if __name__ == "__main__":
    main()
