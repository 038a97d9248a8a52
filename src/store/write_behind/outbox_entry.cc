#include "store/write_behind/outbox_entry.h"

#include <algorithm>
#include <map>
#include <tuple>

namespace citadel::store::wb {

std::vector<FlushItem> merge_for_flush(std::span<const OutboxEntry> entries, int64_t applied_seq) {
  std::vector<FlushItem> items;
  items.reserve(entries.size());
  // Once per batch, not per message: a map from object to its item.
  std::map<std::tuple<int64_t, std::string_view, std::string_view>, std::size_t> index;
  for (const OutboxEntry& e : entries) {
    if (e.seq <= applied_seq) continue;
    const auto key = std::make_tuple(e.id.owner_id, std::string_view(e.id.collection),
                                     std::string_view(e.id.key));
    const auto [it, fresh] = index.try_emplace(key, items.size());
    if (fresh) {
      items.push_back(FlushItem{e, e.seq, 1});
      continue;
    }
    FlushItem& item = items[it->second];
    const int64_t base = item.net.base_version;
    const auto oldest = std::min(item.net.queued_at, e.queued_at);
    item.net = e;
    item.net.base_version = base;  // the chain starts where the first entry did
    item.net.queued_at = oldest;
    ++item.merged;
  }
  return items;
}

}  // namespace citadel::store::wb
