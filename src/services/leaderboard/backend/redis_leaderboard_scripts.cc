#include "services/leaderboard/backend/redis_leaderboard_scripts.h"

#include <string>

namespace citadel::services::redis_scripts {
namespace {

// Shared by the submit and read scripts: the key prefix and the lazy reset.
constexpr std::string_view kPrelude = R"lua(
local meta = KEYS[1]
local prefix = string.sub(meta, 1, -5)
local function roll(t, last, nxt, prevfire)
  if last == '' then return end
  local m = redis.call('HMGET', meta, 'cur_start', 'cur_end', 'prev_start')
  if m[2] == 'none' or tonumber(t) < tonumber(m[2]) then return end
  if m[3] then redis.call('UNLINK', prefix .. 'z:' .. m[3], prefix .. 'r:' .. m[3]) end
  if last == m[2] then
    redis.call('HSET', meta, 'prev_start', m[1], 'prev_end', last)
  else
    redis.call('UNLINK', prefix .. 'z:' .. m[1], prefix .. 'r:' .. m[1])
    redis.call('HSET', meta, 'prev_start', prevfire, 'prev_end', last)
  end
  redis.call('HSET', meta, 'cur_start', last, 'cur_end', nxt)
end
)lua";

constexpr std::string_view kCreateText = R"lua(
if redis.call('EXISTS', KEYS[1]) == 1 then return 2 end
redis.call('HSET', KEYS[1], 'order', ARGV[1], 'op', ARGV[2], 'max_metadata_bytes', ARGV[3],
  'max_records', ARGV[4], 'schedule', ARGV[5], 'cur_start', ARGV[6], 'cur_end', ARGV[7], 'seq', 0)
return 0
)lua";

constexpr std::string_view kSubmitBody = R"lua(
if redis.call('EXISTS', meta) == 0 then return 1 end
local cfg = redis.call('HMGET', meta, 'order', 'op', 'max_records')
local desc = cfg[1] == '0'
local op = tonumber(cfg[2])
local max_records = tonumber(cfg[3])
local t = ARGV[1]
roll(t, ARGV[2], ARGV[3], ARGV[4])
local start = redis.call('HGET', meta, 'cur_start')
local zkey = prefix .. 'z:' .. start
local rkey = prefix .. 'r:' .. start
local M = 4294967296
local function u32(x)
  return string.char(math.floor(x / 16777216) % 256, math.floor(x / 65536) % 256,
                     math.floor(x / 256) % 256, x % 256)
end
local function get32(s, i)
  local a, b, c, d = string.byte(s, i, i + 3)
  return ((a * 256 + b) * 256 + c) * 256 + d
end
local function mapped(hi, lo)
  local h, l = hi + 2147483648, lo
  if desc then h, l = 4294967295 - h, 4294967295 - l end
  return h, l
end
local function unmapped(h, l)
  if desc then h, l = 4294967295 - h, 4294967295 - l end
  return h - 2147483648, l
end
local function add(ahi, alo, bhi, blo)
  local lo, carry = alo + blo, 0
  if lo >= M then lo, carry = lo - M, 1 end
  local hi = ahi + bhi + carry
  if hi < -2147483648 or hi > 2147483647 then return nil, nil end
  return hi, lo
end
local function sub(ahi, alo, bhi, blo)
  local lo, borrow = alo - blo, 0
  if lo < 0 then lo, borrow = lo + M, 1 end
  local hi = ahi - bhi - borrow
  if hi < -2147483648 or hi > 2147483647 then return nil, nil end
  return hi, lo
end
local function member_of(shi, slo, bhi, blo, seq, uid)
  local a, b = mapped(shi, slo)
  local c, d = mapped(bhi, blo)
  return u32(a) .. u32(b) .. u32(c) .. u32(d) .. u32(math.floor(seq / M)) .. u32(seq % M) .. uid
end
-- One bulk string a record (a table a record cost Redis about a third of a
-- submit): rank, flags (1 new, 2 taken), submissions, created and updated
-- ms, the name's length, then the 32-byte member, the name, the metadata.
-- A refused submit is its error code, an integer.
local function reply(member, rank, flags, rec)
  return struct.pack('>i8BI4i8i8I2', rank, flags, rec[2], tonumber(rec[3]), tonumber(rec[4]),
                     #rec[5]) .. member .. rec[5] .. rec[6]
end
local out = {}
local n = (#ARGV - 4) / 8
-- Sequence numbers (ties go to the earliest) are counted here and stored
-- once at the end: one read and one write a batch, the same numbers as one
-- HINCRBY a record (the in-process engine counts the same way).
local seq = nil
local function next_seq()
  if seq == nil then seq = tonumber(redis.call('HGET', meta, 'seq')) end
  seq = seq + 1
  return seq - 1
end
-- Every player's record is read in one call and written back in one at the
-- end: a player who submits several times in the batch is decoded and
-- encoded once, and the submits in between see the record as it stands.
local uids = {}
for i = 0, n - 1 do uids[i + 1] = ARGV[5 + i * 8] end
local recs, dirty = {}, {}
local function read_chunk(from, to)
  local got = redis.call('HMGET', rkey, unpack(uids, from, to))
  for k = from, to do
    local packed = got[k - from + 1]
    if packed and recs[uids[k]] == nil then recs[uids[k]] = cmsgpack.unpack(packed) end
  end
end
local CHUNK = 2000
for from = 1, n, CHUNK do read_chunk(from, math.min(n, from + CHUNK - 1)) end
for i = 0, n - 1 do
  local base = 5 + i * 8
  local uid, name = ARGV[base], ARGV[base + 1]
  local shi, slo = tonumber(ARGV[base + 2]), tonumber(ARGV[base + 3])
  local bhi, blo = tonumber(ARGV[base + 4]), tonumber(ARGV[base + 5])
  local has_meta, md = ARGV[base + 6] == '1', ARGV[base + 7]
  local rec = recs[uid]
  if not rec then
    local err = 0
    if redis.call('ZCARD', zkey) >= max_records then err = 15
    elseif op == 3 then
      shi, slo = sub(0, 0, shi, slo)
      bhi, blo = sub(0, 0, bhi, blo)
      if shi == nil or bhi == nil then err = 14 end
    end
    if err ~= 0 then out[#out + 1] = err else
      local member = member_of(shi, slo, bhi, blo, next_seq(), uid)
      redis.call('ZADD', zkey, 0, member)
      local m = ''
      if has_meta then m = md end
      rec = {member, 1, t, t, name, m}
      recs[uid] = rec
      dirty[#dirty + 1] = uid
      out[#out + 1] = reply(member, redis.call('ZRANK', zkey, member) + 1, 3, rec)
    end
  else
    local member = rec[1]
    local oh, ol = unmapped(get32(member, 1), get32(member, 5))
    local obh, obl = unmapped(get32(member, 9), get32(member, 13))
    local nh, nl, nbh, nbl = shi, slo, bhi, blo
    local taken, err = true, 0
    if op == 0 then
      -- Better means earlier in the set's order: compare the mapped halves
      -- in turn (no table: this runs for every submit).
      local a, b = mapped(shi, slo)
      local c, d = mapped(bhi, blo)
      local x = get32(member, 1)
      if a == x then
        x, a = get32(member, 5), b
        if a == x then
          x, a = get32(member, 9), c
          if a == x then x, a = get32(member, 13), d end
        end
      end
      taken = a < x
    elseif op == 2 then
      nh, nl = add(oh, ol, shi, slo)
      nbh, nbl = add(obh, obl, bhi, blo)
      if nh == nil or nbh == nil then err = 14 end
    elseif op == 3 then
      nh, nl = sub(oh, ol, shi, slo)
      nbh, nbl = sub(obh, obl, bhi, blo)
      if nh == nil or nbh == nil then err = 14 end
    end
    if err ~= 0 then out[#out + 1] = err else
      if rec[2] < 4294967295 then rec[2] = rec[2] + 1 end
      rec[4] = t
      if name ~= '' then rec[5] = name end
      if taken and (nh ~= oh or nl ~= ol or nbh ~= obh or nbl ~= obl) then
        redis.call('ZREM', zkey, member)
        member = member_of(nh, nl, nbh, nbl, next_seq(), uid)
        redis.call('ZADD', zkey, 0, member)
        rec[1] = member
      end
      if taken and has_meta then rec[6] = md end
      dirty[#dirty + 1] = uid
      local flags = 0
      if taken then flags = 2 end
      out[#out + 1] = reply(member, redis.call('ZRANK', zkey, member) + 1, flags, rec)
    end
  end
end
local fields, written = {}, {}
for _, uid in ipairs(dirty) do
  if not written[uid] then
    written[uid] = true
    fields[#fields + 1] = uid
    fields[#fields + 1] = cmsgpack.pack(recs[uid])
    if #fields >= 2 * CHUNK then
      redis.call('HSET', rkey, unpack(fields))
      fields = {}
    end
  end
end
if #fields > 0 then redis.call('HSET', rkey, unpack(fields)) end
if seq ~= nil then redis.call('HSET', meta, 'seq', seq) end
return out
)lua";

constexpr std::string_view kReadBody = R"lua(
if redis.call('EXISTS', meta) == 0 then return {1} end
roll(ARGV[1], ARGV[2], ARGV[3], ARGV[4])
local p = redis.call('HMGET', meta, 'cur_start', 'cur_end', 'prev_start', 'prev_end')
local op = ARGV[6]
if op == 'info' then
  local cc = redis.call('ZCARD', prefix .. 'z:' .. p[1])
  if not p[3] then return {0, p[1], p[2], cc, '', '', 0} end
  return {0, p[1], p[2], cc, p[3], p[4], redis.call('ZCARD', prefix .. 'z:' .. p[3])}
end
local start, stop = p[1], p[2]
if ARGV[5] == 'p' then
  if not p[3] then return {7} end
  start, stop = p[3], p[4]
end
local zkey = prefix .. 'z:' .. start
local rkey = prefix .. 'r:' .. start
local total = redis.call('ZCARD', zkey)
local function header(first, boundary)
  return {0, total, start, stop, first, boundary}
end
local function put(out, member, rank)
  local rec = cmsgpack.unpack(redis.call('HGET', rkey, string.sub(member, 25, 32)))
  out[#out + 1] = member
  out[#out + 1] = rec[2]
  out[#out + 1] = rec[3]
  out[#out + 1] = rec[4]
  out[#out + 1] = rec[5]
  out[#out + 1] = rec[6]
  out[#out + 1] = rank
end
local function page(first, stop_rank, boundary)
  local out = header(first, boundary)
  if stop_rank > first then
    local members = redis.call('ZRANGE', zkey, first, stop_rank - 1)
    for i, member in ipairs(members) do put(out, member, first + i) end
  end
  return out
end
local function limit_of(s)
  local limit = tonumber(s)
  if limit == nil or limit < 1 or limit > 1000 then return nil end
  return limit
end
if op == 'records' then
  local out = header(0, 0)
  for i = 7, #ARGV do
    local packed = redis.call('HGET', rkey, ARGV[i])
    if packed then
      local member = cmsgpack.unpack(packed)[1]
      put(out, member, redis.call('ZRANK', zkey, member) + 1)
    end
  end
  return out
elseif op == 'rank' then
  local packed = redis.call('HGET', rkey, ARGV[7])
  if not packed then return {6} end
  local out = header(0, 0)
  out[#out + 1] = redis.call('ZRANK', zkey, cmsgpack.unpack(packed)[1]) + 1
  return out
end
local limit = limit_of(ARGV[7])
if limit == nil then return {10} end
if op == 'check' then return header(0, 0) end
if op == 'range' then
  local first = tonumber(ARGV[8])
  return page(first, math.min(total, first + limit), 0)
elseif op == 'cursor' then
  if ARGV[11] ~= start then return {9} end
  local key, after, inclusive = ARGV[8], ARGV[9] == '1', ARGV[10] == '1'
  local boundary
  if after == inclusive then
    boundary = redis.call('ZLEXCOUNT', zkey, '-', '(' .. key)
  else
    boundary = redis.call('ZLEXCOUNT', zkey, '-', '[' .. key .. '\255\255\255\255\255\255\255\255')
  end
  if after then return page(boundary, math.min(total, boundary + limit), boundary) end
  return page(boundary - math.min(boundary, limit), boundary, boundary)
elseif op == 'around' then
  local packed = redis.call('HGET', rkey, ARGV[8])
  if not packed then return {6} end
  local r = redis.call('ZRANK', zkey, cmsgpack.unpack(packed)[1])
  local before = math.floor((limit - 1) / 2)
  local first = 0
  if r > before then first = r - before end
  local stop_rank = math.min(total, first + limit)
  if stop_rank - first < limit then
    if stop_rank > limit then first = stop_rank - limit else first = 0 end
  end
  return page(first, stop_rank, 0)
end
return redis.error_reply('unknown op ' .. tostring(op))
)lua";

// A script of its own rather than an op of the read script: the read
// script never writes (beyond the reset), and the submit script stays as it is.
constexpr std::string_view kDeleteBody = R"lua(
if redis.call('EXISTS', meta) == 0 then return {1} end
roll(ARGV[1], ARGV[2], ARGV[3], ARGV[4])
local start = redis.call('HGET', meta, 'cur_start')
local rkey = prefix .. 'r:' .. start
local packed = redis.call('HGET', rkey, ARGV[5])
if not packed then return {6} end
redis.call('ZREM', prefix .. 'z:' .. start, cmsgpack.unpack(packed)[1])
redis.call('HDEL', rkey, ARGV[5])
return {0}
)lua";

}  // namespace

const std::string& create_script() {
  static const std::string text(kCreateText);
  return text;
}

const std::string& submit_script() {
  static const std::string text = std::string(kPrelude) + std::string(kSubmitBody);
  return text;
}

const std::string& read_script() {
  static const std::string text = std::string(kPrelude) + std::string(kReadBody);
  return text;
}

const std::string& delete_script() {
  static const std::string text = std::string(kPrelude) + std::string(kDeleteBody);
  return text;
}

}  // namespace citadel::services::redis_scripts
