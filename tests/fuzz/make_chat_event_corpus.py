#!/usr/bin/env python3
"""Writes the seed corpus of chat_event_fuzz (tests/fuzz/chat_event_corpus):
one valid chat event between nodes per kind, in the codec's bytes
(src/fleet/chat/chat_event_codec.h), plus a few near misses."""
import os
import struct

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "chat_event_corpus")
os.makedirs(out, exist_ok=True)


def s8(b):
    return bytes([len(b)]) + b


def s16(b):
    return struct.pack("<H", len(b)) + b


def head(kind):
    return bytes([0xC7, 1, kind])


seeds = {
    "message": head(1) + s8(b"crew") + struct.pack("<Q", 42) + s8(b"alice")
    + s16("hello, w\u00f6rld".encode()) + struct.pack("<Q", 1795453769024),
    "private": head(2) + s8(b"node-b") + struct.pack("<Q", 7) + struct.pack("<Q", 42)
    + s8(b"alice") + s16(b"psst") + struct.pack("<Q", 1795453769024),
    "online": head(3) + struct.pack("<Q", 9) + s8(b"guest-9"),
    "offline": head(4) + struct.pack("<Q", 9),
    "join": head(5) + s8(b"a.b-c_9") + struct.pack("<Q", 3) + s8(b"bob"),
    "leave": head(6) + s8(b"crew") + struct.pack("<Q", 3) + s8(b"bob"),
    "state": head(7) + struct.pack("<I", 2)
    + struct.pack("<Q", 1) + s8(b"one") + bytes([2]) + s8(b"x") + s8(b"y")
    + struct.pack("<Q", 2) + s8(b"two") + bytes([0]),
    "hello": head(8),
    "bad-version": bytes([0xC7, 2, 8]),
    "state-huge-count": head(7) + struct.pack("<I", 0x7FFFFFFF),
}
for name, data in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
