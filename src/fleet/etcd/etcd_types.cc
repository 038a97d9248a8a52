#include "fleet/etcd/etcd_types.h"

#include <charconv>

namespace citadel::fleet::etcd {

std::string_view kind_name(Error::Kind kind) {
  switch (kind) {
    case Error::Kind::kUnreachable:
      return "etcd unreachable";
    case Error::Kind::kTimeout:
      return "etcd timeout";
    case Error::Kind::kHttpStatus:
      return "etcd HTTP status";
    case Error::Kind::kEtcd:
      return "etcd error";
    case Error::Kind::kMalformed:
      return "etcd malformed answer";
    case Error::Kind::kCompacted:
      return "etcd compacted";
    case Error::Kind::kClosed:
      return "etcd client closed";
  }
  return "etcd";
}

std::string Error::describe() const {
  std::string out(kind_name(kind));
  // Appended piece by piece: gcc 12 warns (-Wrestrict, a false positive)
  // on `" " + std::to_string(code)`.
  if (code != 0) out.append(" ").append(std::to_string(code));
  if (!message.empty()) out.append(": ").append(message);
  return out;
}

std::string prefix_end(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    auto& last = reinterpret_cast<unsigned char&>(end.back());
    if (last < 0xff) {
      ++last;
      return end;
    }
    end.pop_back();  // 0xff cannot be incremented: carry into the byte before
  }
  return std::string(1, '\0');  // every key
}

std::optional<uint64_t> decimal_id_after(std::string_view key, std::string_view prefix) {
  if (key.size() <= prefix.size() || !key.starts_with(prefix)) return std::nullopt;
  const std::string_view digits = key.substr(prefix.size());
  if (digits.front() == '0') return std::nullopt;  // one spelling per id
  uint64_t id = 0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
  if (error != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return id;
}

}  // namespace citadel::fleet::etcd
