#!/usr/bin/env python3
"""Writes the seed corpus for app_fuzz into tests/fuzz/app_corpus/.

Each seed is a short scenario in the op encoding of app_fuzz.cc (see its
header comment): a flags byte, then ops. The scenarios reach each service's
main paths (logins, chat, rooms, matchmaking, resume, timeouts), so the
fuzzer starts from states worth mutating. Re-run after changing the layout;
the files are checked in.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "app_corpus")

# kClientCmds order in app_fuzz.cc
CMDS = ["GuestLogin", "Register", "Login", "Resume", "Logout", "ChatCreate", "ChatJoin",
        "ChatLeave", "ChatSend", "ChatPrivate", "ChatMembers", "ChatOnlineCount", "RoomJoin",
        "RoomLeave", "MatchFind", "MatchCancel", "ArenaInput", "LockstepInput", "ChaosInput",
        "LeaderboardSubmit", "LeaderboardTop", "LeaderboardAround", "LeaderboardRecords",
        "LeaderboardMine",
        "StorageRead", "StorageWrite", "StorageDelete", "StorageList", "LeaderboardDelete"]
# Dictionary indices (the per-field arrays in app_fuzz.cc)
DEVICES = {"device-0001": 0, "device-0002": 1, "device-0003": 2, "device-0004": 3, "dev": 4}
USERS = {"alice": 0, "bob": 1, "Alice": 2, "carol.c": 3, "guest-1": 4, "guest-2": 5}
PASSWORDS = {"password1": 0, "password2": 1, "password3": 2, "short": 3}
CHANNELS = {"world": 0, "c1": 1, "c2": 2, "c3": 3, "c4": 4, "": 5}
ROOM_TYPES = {"arena": 0, "lockstep": 1, "chaos": 2, "nope": 3}
MODES = {"": 0, "ranked": 1, "casual": 2}
TEXTS = {"hi": 0, "hello, world": 1, "long": 2, "too long": 3, "bad utf-8": 4, "": 5}
BOARDS = {"points": 0, "laps": 1, "nope": 2, "": 3}
METADATA = {"": 0, '{"car":1}': 1, "too large": 2, "bad utf-8": 3, "nul": 4}
PERIODS = {"current": 0, "previous": 1}
COLLECTIONS = {"saves": 0, "inv": 1, "a:b.c": 2, "": 3, "bad name": 4, "long": 5}
KEYS = {"k1": 0, "k2": 1, "k3": 2, "": 3, "k\n": 4, "long": 5}
VALUES = {"{}": 0, "object": 1, "[1,2]": 2, "broken": 3, "NaN": 4, "bad utf-8": 5, "17 KB": 6,
          "15 KB": 7}
CURSORS = {"": 0, "garbage": 1, "forged": 2, "s1..": 3}
AXES = {-1.0: 0, 0.0: 1, 1.0: 2, 0.5: 3, -2.0: 4, 3.0: 5, "nan": 6, "inf": 7, "-inf": 8}
# kSteps indices
STEP = {"1ms": 0, "5ms": 1, "20ms": 2, "34ms": 3, "50ms": 4, "100ms": 5, "500ms": 6, "1s": 7,
        "2s": 8, "5s": 9, "15s": 10, "31s": 11, "61s": 12, "10min": 13, "1h": 14, "25h": 15}

VALID, MUTATED, RAW, BURST = 0, 6, 7, 8
CONNECT, DISCONNECT, HALF_CLOSE, ADVANCE, PAUSE, GARBAGE, PING_ECHO = 9, 10, 11, 12, 13, 14, 15


def op(kind, slot=0):
    return bytes([kind | (slot << 4)])


def fields(name, rid=1, **f):
    """The field bytes build() reads for one message."""
    out = bytes([rid])
    if name == "GuestLogin":
        out += bytes([DEVICES[f.get("device", "device-0001")]])
    elif name in ("Register", "Login"):
        out += bytes([USERS[f.get("user", "alice")], PASSWORDS[f.get("password", "password1")]])
    elif name == "Resume":
        # token: index into the tokens the server issued (oldest first);
        # last push id: the newest seen minus `behind`
        out += bytes([f.get("token", 0), f.get("behind", 0)])
    elif name in ("ChatCreate", "ChatJoin", "ChatLeave", "ChatMembers"):
        out += bytes([CHANNELS[f.get("channel", "c1")]])
    elif name == "ChatSend":
        out += bytes([CHANNELS[f.get("channel", "world")], TEXTS[f.get("text", "hi")]])
    elif name == "ChatPrivate":
        to = f.get("to_id", 0)
        out += bytes([to, USERS[f.get("to_name", "guest-1")], TEXTS[f.get("text", "hi")]])
    elif name == "RoomJoin":
        # room: 0 = join-or-create; 0x40 + i = the i-th room id seen
        room = f.get("room", 0)
        bits = (1 if f.get("create") else 0) | (2 if "last_frame" in f else 0)
        out += bytes([ROOM_TYPES[f.get("type", "arena")], room, bits])
        if "last_frame" in f:
            out += bytes([f["last_frame"]])
    elif name == "MatchFind":
        out += bytes([ROOM_TYPES[f.get("type", "arena")], MODES[f.get("mode", "ranked")],
                      f.get("skill", 10) & 0xFF])
    elif name == "ArenaInput":
        out += bytes([AXES[f.get("dx", 1.0)], AXES[f.get("dy", 0.0)]])
    elif name == "StorageRead":
        # items: [(collection, key, owner)]; owner 0 is the sender
        items = f.get("items", [("saves", "k1", 0)])
        out += bytes([len(items)])
        for c, k, owner in items:
            out += bytes([COLLECTIONS[c], KEYS[k], owner])
    elif name == "StorageWrite":
        # items: [(collection, key, value, version 0-3, if_absent, read 0-3, write 0-2)]
        items = f.get("items", [("saves", "k1", "object", 0, False, 1, 1)])
        out += bytes([len(items)])
        for c, k, v, version, if_absent, read, write in items:
            bits = version | (4 if if_absent else 0) | (read << 3) | (write << 5)
            out += bytes([COLLECTIONS[c], KEYS[k], VALUES[v], bits])
    elif name == "StorageDelete":
        items = f.get("items", [("saves", "k1", 0)])  # (collection, key, version 0-3)
        out += bytes([len(items)])
        for c, k, version in items:
            out += bytes([COLLECTIONS[c], KEYS[k], version])
    elif name == "StorageList":
        out += bytes([COLLECTIONS[f.get("collection", "saves")], f.get("owner", 0),
                      f.get("limit", 2), CURSORS[f.get("cursor", "")]])
    elif name in ("LockstepInput", "ChaosInput"):
        data = f.get("data", b"\x01")
        if len(data) >= 256:  # 256 (or 257) bytes: its first 8 chosen, the rest filler
            out += bytes([0xF0 | (len(data) - 256)]) + data[:8]
        else:
            out += bytes([len(data)]) + data[:8]
    elif name == "LeaderboardSubmit":
        # bits: 1 metadata follows, 2 an int64 extreme (4: max, else min)
        meta = f.get("metadata")
        bits = (1 if meta is not None else 0) | f.get("extreme", 0)
        out += bytes([BOARDS[f.get("board", "points")], bits])
        if meta is not None:
            out += bytes([METADATA[meta]])
        if not bits & 2:
            out += bytes([f.get("score", 10) & 0xFF])
        out += bytes([f.get("subscore", 0) & 0xFF])
    elif name == "LeaderboardTop":
        # cursor: "first" (none), "seen" (the i-th cursor handed out), "damaged"
        cursor = f.get("cursor", "first")
        sel = {"first": [0xC0], "seen": [f.get("index", 0)],
               "damaged": [0x80 + f.get("index", 0), 5, 1]}[cursor]
        out += bytes([BOARDS[f.get("board", "points")], f.get("limit", 2)] + sel
                     + [PERIODS[f.get("period", "current")]])
    elif name == "LeaderboardAround":
        out += bytes([BOARDS[f.get("board", "points")], f.get("limit", 3),
                      PERIODS[f.get("period", "current")]])
    elif name == "LeaderboardRecords":
        ids = f.get("ids", [1, 2])
        out += bytes([BOARDS[f.get("board", "points")], len(ids)] + ids
                     + [PERIODS[f.get("period", "current")]])
    elif name == "LeaderboardMine":
        out += bytes([BOARDS[f.get("board", "points")], PERIODS[f.get("period", "current")]])
    elif name == "LeaderboardDelete":
        out += bytes([BOARDS[f.get("board", "points")]])
    return out


def msg(name, slot=0, **f):
    return op(VALID, slot) + bytes([CMDS.index(name)]) + fields(name, **f)


def burst(name, count, slot=0, **f):
    return op(BURST, slot) + bytes([CMDS.index(name)]) + fields(name, **f) + bytes([count - 1])


def advance(step, count=1):
    return op(ADVANCE) + bytes([STEP[step] | ((count - 1) << 4)])


def connect(slot):
    return op(CONNECT, slot)


def guest(slot, device, rid=1):
    return msg("GuestLogin", slot, rid=rid, device=device)


FLAGS = 0  # one loop, batched sends, default buffers

SEEDS = {
    "guest_chat": bytes([FLAGS]) + guest(0, "device-0001") + msg("ChatSend", rid=2)
    + msg("ChatOnlineCount", rid=3) + msg("ChatMembers", rid=4, channel="world")
    + msg("Logout", rid=5),
    "channel_two_users": bytes([FLAGS]) + connect(1) + guest(0, "device-0001")
    + guest(1, "device-0002") + msg("ChatCreate", 0, rid=2, channel="c1")
    + msg("ChatJoin", 1, rid=3, channel="c1") + msg("ChatSend", 0, rid=4, channel="c1")
    + msg("ChatMembers", 1, rid=5, channel="c1")
    + msg("ChatPrivate", 1, rid=6, to_name="guest-1", text="hello, world")
    + msg("ChatLeave", 0, rid=7, channel="c1") + burst("ChatSend", 12, 1, rid=8),
    "register_login": bytes([FLAGS]) + msg("Register", rid=1, user="alice")
    + msg("Logout", rid=2) + burst("Login", 6, rid=3, user="alice", password="password2")
    + msg("Login", rid=4, user="alice", password="password1") + advance("61s"),
    "resume": bytes([FLAGS]) + guest(0, "device-0001") + msg("ChatSend", rid=2)
    + op(DISCONNECT, 0) + connect(1) + guest(1, "device-0002") + msg("ChatSend", 1, rid=3)
    + connect(0) + msg("Resume", 0, rid=4, token=0, behind=1),
    "takeover": bytes([FLAGS]) + connect(1) + guest(0, "device-0001")
    + guest(1, "device-0001"),
    "arena": bytes([FLAGS]) + connect(1) + guest(0, "device-0001") + guest(1, "device-0002")
    + msg("RoomJoin", 0, rid=2) + msg("RoomJoin", 1, rid=2)
    + msg("ArenaInput", 0, rid=1, dx=1.0) + msg("ArenaInput", 1, rid=1, dy=-1.0)
    + advance("50ms", 4) + op(DISCONNECT, 1) + advance("50ms", 2)
    + msg("RoomLeave", 0, rid=3) + advance("31s"),
    "lockstep": bytes([FLAGS]) + guest(0, "device-0001")
    + msg("RoomJoin", rid=2, type="lockstep") + burst("LockstepInput", 4, data=b"\x07abc")
    + advance("34ms", 3) + op(DISCONNECT, 0) + connect(0)
    + msg("Resume", rid=3, token=0) + msg("RoomJoin", rid=4, type="lockstep", room=0x40,
                                          last_frame=1) + advance("34ms"),
    "match": bytes([FLAGS]) + connect(1) + connect(2) + guest(0, "device-0001")
    + guest(1, "device-0002") + guest(2, "device-0003")
    + msg("MatchFind", 0, rid=2, skill=10) + msg("MatchFind", 1, rid=2, skill=20)
    + msg("MatchFind", 2, rid=2, type="chaos", skill=0) + advance("100ms", 3)
    + msg("MatchCancel", 2, rid=3) + advance("31s"),
    "chaos": bytes([FLAGS]) + connect(1) + guest(0, "device-0001") + guest(1, "device-0002")
    + msg("RoomJoin", 0, rid=2, type="chaos") + msg("ChaosInput", 0, data=b"\x04")
    + advance("100ms") + msg("RoomJoin", 1, rid=2, type="chaos")
    + msg("ChaosInput", 0, data=b"\x03") + advance("100ms")
    + msg("RoomJoin", 0, rid=3, type="chaos") + msg("ChaosInput", 0, data=b"\x01")
    + advance("100ms"),
    "grace_expiry": bytes([FLAGS]) + guest(0, "device-0001") + msg("RoomJoin", rid=2)
    + msg("ChatCreate", rid=3, channel="c2") + op(DISCONNECT, 0) + advance("61s")
    + connect(0) + msg("Resume", rid=4, token=0),
    "timeouts": bytes([FLAGS]) + connect(1) + guest(1, "device-0002") + advance("15s", 2)
    + advance("31s") + advance("25h"),
    # Regression seeds for bugs this target found: a NaN arena input
    # (the avatar's position became NaN for good) and a lockstep frame past
    # 64 KiB (256 inputs of 256 bytes in one frame).
    "arena_nan": bytes([FLAGS]) + guest(0, "device-0001") + msg("RoomJoin", rid=2)
    + msg("ArenaInput", rid=1, dx="nan") + msg("ArenaInput", rid=2, dx=1.0, dy="inf")
    + advance("50ms", 2),
    "lockstep_flood": bytes([FLAGS]) + guest(0, "device-0001")
    + msg("RoomJoin", rid=2, type="lockstep")
    + burst("LockstepInput", 256, data=b"12345678" + b"\x00" * 248) + advance("34ms", 2),
    # And a third: a peer that half-closes while its output waits (it is not
    # reading) made the loop spin on the peer's end of file.
    "half_close_unread": bytes([0x04]) + op(PAUSE, 0) + burst("RoomLeave", 256, 0)
    + op(HALF_CLOSE, 0) + advance("1s"),
    # PING (5 bytes), PING over 64 bytes (ERROR 8), ECHO (3 bytes), cmd 0x0400
    # (ERROR 3), and a raw ChatSend before any login (ERROR 9)
    "ping_echo_unknown": bytes([FLAGS]) + op(PING_ECHO) + bytes([0x05]) + b"hello"
    + op(PING_ECHO) + bytes([0x50]) + b"p" * 0x50 + op(PING_ECHO) + bytes([0x83]) + b"abc"
    + op(PING_ECHO) + bytes([0xC2]) + b"xy" + struct.pack(">H", 0x0FFF)
    + op(RAW) + bytes([CMDS.index("ChatSend"), 3]) + b"abc",
    # Leaderboards: submits with ties, metadata and refusals, pages through
    # cursors handed out (and a damaged one), around me, records, my rank,
    # a submit flood, and an hourly reset with the previous period read.
    "leaderboards": bytes([FLAGS]) + connect(1) + connect(2) + guest(0, "device-0001")
    + guest(1, "device-0002") + guest(2, "device-0003")
    + msg("LeaderboardSubmit", 0, rid=2, score=10, metadata='{"car":1}')
    + msg("LeaderboardSubmit", 1, rid=2, score=10)
    + msg("LeaderboardSubmit", 2, rid=2, score=7, metadata="too large")
    + msg("LeaderboardSubmit", 2, rid=3, score=7, metadata="bad utf-8")
    + msg("LeaderboardSubmit", 2, rid=4, score=5)
    + msg("LeaderboardTop", 0, rid=3, limit=1)
    + msg("LeaderboardTop", 0, rid=4, limit=1, cursor="seen")
    + msg("LeaderboardTop", 0, rid=5, limit=1, cursor="damaged")
    + msg("LeaderboardAround", 2, rid=5, limit=2)
    + msg("LeaderboardRecords", 1, rid=6, ids=[1, 3, 9])
    + msg("LeaderboardMine", 1, rid=7) + msg("LeaderboardMine", 1, rid=8, board="nope")
    + burst("LeaderboardSubmit", 8, 0, rid=9, score=1),
    # Deletes: one's own record (then gone: NotRanked), an unknown board,
    # a resubmit after the delete, a flood into the shared rate limit.
    "leaderboard_delete": bytes([FLAGS]) + connect(1) + guest(0, "device-0001")
    + guest(1, "device-0002")
    + msg("LeaderboardSubmit", 0, rid=2, score=10) + msg("LeaderboardSubmit", 1, rid=2, score=9)
    + msg("LeaderboardDelete", 0, rid=3) + msg("LeaderboardDelete", 0, rid=4)
    + msg("LeaderboardDelete", 0, rid=5, board="nope")
    + msg("LeaderboardTop", 1, rid=3, limit=5)
    + msg("LeaderboardSubmit", 0, rid=6, score=3)
    + msg("LeaderboardMine", 0, rid=7)
    + burst("LeaderboardDelete", 8, 1, rid=4),
    "leaderboard_reset": bytes([FLAGS]) + guest(0, "device-0001")
    + msg("LeaderboardSubmit", rid=2, board="laps", score=30)
    + msg("LeaderboardSubmit", rid=3, board="laps", extreme=2 | 4)
    + msg("LeaderboardTop", rid=4, board="laps", limit=5, period="previous")
    # An hour idle closes the connection: log in again to read what reset.
    + advance("1h") + connect(0) + guest(0, "device-0001", rid=8)
    + msg("LeaderboardTop", rid=5, board="laps", limit=5, period="previous")
    + msg("LeaderboardMine", rid=6, board="laps", period="previous")
    + msg("LeaderboardTop", rid=7, board="laps", limit=0),
    # Storage: writes with every condition and permission, a batch with a
    # conflict, reads of one's own and another's objects, lists with limits
    # and cursors (forged ones too), deletes with versions, and the refusals
    # (bad names, bad JSON, NaN, oversized values, empty batches).
    "storage": bytes([FLAGS]) + connect(1) + guest(0, "device-0001") + guest(1, "device-0002")
    + msg("StorageWrite", rid=2, items=[("saves", "k1", "object", 0, False, 2, 1),
                                        ("saves", "k2", "{}", 0, True, 1, 1),
                                        ("inv", "k3", "15 KB", 0, False, 1, 0)])
    + msg("StorageWrite", rid=3, items=[("saves", "k1", "{}", 1, False, 1, 1),
                                        ("saves", "k2", "{}", 0, True, 1, 1)])
    + msg("StorageWrite", rid=4, items=[("inv", "k3", "{}", 0, False, 1, 1)])
    + msg("StorageRead", 0, rid=5, items=[("saves", "k1", 0), ("saves", "k2", 0),
                                          ("inv", "k3", 0)])
    + msg("StorageRead", 1, rid=2, items=[("saves", "k1", 1), ("saves", "k2", 1)])
    + msg("StorageList", 0, rid=6, collection="saves", limit=1)
    + msg("StorageList", 0, rid=7, collection="saves", limit=1, cursor="forged")
    + msg("StorageList", 1, rid=3, collection="saves", owner=1, limit=0)
    + msg("StorageDelete", 0, rid=8, items=[("saves", "k1", 3), ("saves", "k2", 0)])
    + msg("StorageDelete", 0, rid=9, items=[("inv", "k3", 0)]),
    "storage_refusals": bytes([FLAGS]) + msg("StorageRead", rid=1)  # before login: ERROR 9
    + guest(0, "device-0003", rid=2)
    + msg("StorageWrite", rid=3, items=[("saves", "k1", "broken", 0, False, 1, 1)])
    + msg("StorageWrite", rid=4, items=[("saves", "k1", "NaN", 0, False, 1, 1)])
    + msg("StorageWrite", rid=5, items=[("saves", "k1", "17 KB", 0, False, 1, 1)])
    + msg("StorageWrite", rid=6, items=[("bad name", "k1", "{}", 0, False, 1, 1)])
    + msg("StorageWrite", rid=7, items=[("saves", "k\n", "{}", 0, False, 3, 2)])
    + msg("StorageWrite", rid=8, items=[("saves", "k1", "{}", 0, False, 1, 1),
                                        ("saves", "k1", "{}", 0, False, 1, 1)])
    + msg("StorageWrite", rid=9, items=[]) + msg("StorageDelete", rid=10, items=[])
    + msg("StorageList", rid=11, collection="", cursor="garbage")
    + msg("StorageList", rid=12, collection="long", limit=200),
    "garbage": bytes([FLAGS]) + op(GARBAGE) + bytes([6]) + b"GET / ",
    "two_loops_small_buffers": bytes([0x01 | 0x04 | 0x08]) + connect(1) + connect(2)
    + guest(0, "device-0001") + guest(1, "device-0002") + guest(2, "device-0003")
    + msg("RoomJoin", 0, rid=2) + msg("RoomJoin", 1, rid=2) + op(PAUSE, 1)
    + burst("ArenaInput", 40, 0, rid=5) + advance("50ms", 8) + op(PAUSE, 1)
    + msg("ChatCreate", 2, rid=3, channel="c3") + op(HALF_CLOSE, 2) + advance("5s"),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name in os.listdir(OUT):
        os.remove(os.path.join(OUT, name))
    for name, data in SEEDS.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    print(f"wrote {len(SEEDS)} seeds to {OUT}")


if __name__ == "__main__":
    main()
