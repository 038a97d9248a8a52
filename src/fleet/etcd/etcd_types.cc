#include "fleet/etcd/etcd_types.h"

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

}  // namespace citadel::fleet::etcd
