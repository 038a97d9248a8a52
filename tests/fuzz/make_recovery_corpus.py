#!/usr/bin/env python3
"""Writes the seed corpus of recovery_fuzz (tests/fuzz/recovery_corpus/).

Each seed is a selector byte (0: a seat list, 1: an arena state, 2: a
lockstep state; its upper bits pick the players in the fuzz target's room)
followed by the bytes the recovery file would hold. Run from anywhere:
    python3 tests/fuzz/make_recovery_corpus.py
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "recovery_corpus")


def seats(*pairs):
    out = b""
    for user_id, name in pairs:
        raw = name.encode()
        out += struct.pack("<QH", user_id, len(raw)) + raw
    return out


def arena(*avatars):
    # Host byte order as the server writes it; this machine is little endian.
    out = struct.pack("<I", len(avatars))
    for user_id, x, y, dx, dy, seq, ack in avatars:
        out += struct.pack("<QffffII", user_id, x, y, dx, dy, seq, ack)
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    seeds = {
        "seats-two": bytes([0]) + seats((7, "alice"), (9, "")),
        "seats-empty": bytes([0]),
        "arena-two": bytes([1 | (2 << 2)]) + arena((1, 505, 500, 1, 0, 3, 3),
                                                   (8, 0, 1000, -1, 0.5, 9, 8)),
        "arena-none": bytes([1]) + arena(),
        "lockstep": bytes([2 | (1 << 2)]) + struct.pack("<IQ", 120, 900),
    }
    for name, data in seeds.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
