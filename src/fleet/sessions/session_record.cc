#include "fleet/sessions/session_record.h"

#include <nlohmann/json.hpp>

#include "fleet/etcd/etcd_types.h"

namespace citadel::fleet::sessions {

std::string encode_session_record(const SessionRecord& record) {
  nlohmann::json j = {
      {"user", record.user_id}, {"node", record.node_id}, {"session", record.session_id}};
  // Only what is set: a live record stays as small as it can (only
  // tombstones carry the flag), and a record read back is never longer than
  // what it was read from, so one read under the size limit is written
  // again under it (the fuzz target checks the round trip).
  if (!record.username.empty()) j["name"] = record.username;
  if (record.ended) j["ended"] = true;
  return j.dump();
}

std::optional<SessionRecord> decode_session_record(std::string_view value) {
  if (value.size() > kMaxSessionRecordBytes) return std::nullopt;
  nlohmann::json j = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  auto user = j.find("user");
  auto node = j.find("node");
  auto session = j.find("session");
  auto name = j.find("name");
  auto ended = j.find("ended");
  if (user == j.end() || !user->is_number_unsigned()) return std::nullopt;
  if (session == j.end() || !session->is_number_unsigned()) return std::nullopt;
  if (node == j.end() || !node->is_string()) return std::nullopt;
  if (name != j.end() && !name->is_string()) return std::nullopt;
  if (ended != j.end() && !ended->is_boolean()) return std::nullopt;
  SessionRecord record;
  record.user_id = user->get<uint64_t>();
  record.session_id = session->get<uint64_t>();
  record.node_id = node->get<std::string>();
  if (name != j.end()) record.username = name->get<std::string>();
  if (ended != j.end()) record.ended = ended->get<bool>();
  if (record.user_id == 0 || record.session_id == 0 || record.node_id.empty()) return std::nullopt;
  return record;
}

std::string sessions_prefix(std::string_view cluster) {
  std::string prefix = "/";
  prefix.append(cluster).append("/sessions/");
  return prefix;
}

std::string session_key(std::string_view cluster, uint64_t user_id) {
  return sessions_prefix(cluster).append(std::to_string(user_id));
}

std::optional<uint64_t> user_id_of_key(std::string_view cluster, std::string_view key) {
  return etcd::decimal_id_after(key, sessions_prefix(cluster));
}

Judgement judge(const Observed& seen, std::string_view self_node, uint64_t local_session,
                int64_t floor) {
  // The watch delivers in revision order, but a txn's answer may come back
  // before the watch has shown earlier events: those are older than what
  // this node wrote and say nothing about its session.
  if (seen.revision <= floor) return Judgement::kStale;
  if (!seen.present) return Judgement::kVanished;
  if (!seen.record) return Judgement::kSuperseded;  // not ours to overwrite
  const SessionRecord& r = *seen.record;
  if (r.node_id != self_node) return Judgement::kSuperseded;
  // This node's own record for another session (an older login here, or
  // its tombstone): ours to overwrite.
  if (r.session_id != local_session) return Judgement::kOurs;
  return r.ended ? Judgement::kSuperseded : Judgement::kMine;
}

ResumeRuling rule_resume(const Observed& seen, uint64_t session_id) {
  if (!seen.present) return ResumeRuling::kAdopt;
  if (!seen.record || seen.record->session_id != session_id) return ResumeRuling::kReplaced;
  if (seen.record->ended) return ResumeRuling::kEnded;
  return ResumeRuling::kTakeOver;
}

}  // namespace citadel::fleet::sessions
