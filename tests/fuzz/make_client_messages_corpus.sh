#!/usr/bin/env bash
# Writes the seed corpus for client_messages_fuzz into
# tests/fuzz/client_messages_corpus/: one selector byte (0 StorageReply,
# 1 LeaderboardReply, 2 AuthReply, 3 a result code, 4 a Reconnect push), then a reply the way
# the server writes it, made from its JSON form by flatc. Re-run after
# changing the schemas or the selector; the files are checked in. The
# regression-* files are inputs the fuzzer found (kept, not rewritten):
# regression-misaligned-versions, a StorageReply whose 8-byte versions sit
# 4 bytes off their alignment, which the verifier lets through.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
schemas=$here/../../src/protocol/schemas
out=$here/client_messages_corpus
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"
rm -f "$out"/seed-*

n=0
# seed SELECTOR SCHEMA ROOT_TYPE JSON
seed() {
  local selector=$1 schema=$2 root=$3 json=$4
  printf '%s\n' "$json" >"$tmp/in.json"
  flatc -b -o "$tmp" --root-type "citadel.msg.$root" "$schemas/$schema" "$tmp/in.json"
  local name
  name=$(printf 'seed-%02d' "$n")
  { printf "\\x$(printf '%02x' "$selector")"; cat "$tmp/in.bin"; } >"$out/$name"
  n=$((n + 1))
}

seed 0 storage.fbs StorageReply '{"request_id": 1, "message": "ok", "versions": [1, 2]}'
seed 0 storage.fbs StorageReply '{"request_id": 2, "result": "VersionConflict", "message": "a version or if_absent condition failed; nothing was written", "failed_index": 1}'
seed 0 storage.fbs StorageReply '{"request_id": 3, "message": "ok", "objects": [{"collection": "saves", "key": "slot1", "user_id": 42, "value": "{\"level\":3}", "version": 1, "permission_read": 2, "permission_write": 1, "created_unix_ms": 1764750000000, "updated_unix_ms": 1764750000000}, {"collection": "saves", "key": "slot2", "user_id": 42, "value": "{}", "version": 7}], "cursor": "s1.c2xvdDEw.Xw1Zb0"}'
seed 1 leaderboard.fbs LeaderboardReply '{"request_id": 7, "message": "recorded", "board_id": "weekly-points", "records": [{"rank": 4, "user_id": 42, "username": "ana", "score": 1200, "subscore": 3, "num_submissions": 5, "metadata": "{\"car\":\"red\"}", "create_unix_ms": 1795000000000, "update_unix_ms": 1795000123000}], "total": 310, "period_start_unix_ms": 1794873600000, "period_end_unix_ms": 1795478400000, "taken": true}'
seed 1 leaderboard.fbs LeaderboardReply '{"request_id": 8, "board_id": "weekly-points", "records": [{"rank": 1, "user_id": 1, "username": "a", "score": 9}, {"rank": 2, "user_id": 2, "username": "b", "score": -3}], "next_cursor": "AQBg", "prev_cursor": "AQBf", "total": 2, "period": "Previous"}'
seed 1 leaderboard.fbs LeaderboardReply '{"request_id": 14, "result": "NotRanked", "message": "no record", "board_id": "weekly-points"}'
seed 2 auth.fbs AuthReply '{"request_id": 1, "message": "welcome", "user_id": 2, "username": "guest-2", "token": "v1.2.2.1795540061338.QrQs", "token_expires_unix_ms": 1795540061338}'
seed 4 auth.fbs Reconnect '{"address": "10.0.0.7:7777", "message": "this gateway is draining: reconnect to 10.0.0.7:7777 and resume", "deadline_ms": 60000}'
seed 4 auth.fbs Reconnect '{"message": "this gateway is draining and knows no other: reconnect later and resume", "deadline_ms": 0}'
seed 4 auth.fbs Reconnect '{"address": "[::1]:7001", "deadline_ms": 5}'
printf '\x03\x07\x00' >"$out/seed-$(printf '%02d' "$n")"
echo "wrote $((n + 1)) seeds to $out"
