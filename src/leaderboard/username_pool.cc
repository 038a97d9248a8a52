#include "leaderboard/username_pool.h"

#include <cassert>

#include "leaderboard/hashing.h"

namespace citadel::leaderboard {
namespace {

// std::string keeps up to 15 bytes inline; longer text is a heap block.
constexpr std::size_t kInlineTextBytes = 15;

std::size_t heap_bytes_of(const std::string& text) {
  return text.size() > kInlineTextBytes ? text.capacity() + 1 : 0;
}

}  // namespace

uint32_t UsernamePool::acquire(std::string_view name) {
  if (name.empty()) return kNoName;
  uint64_t hash = hash_text(name);
  auto found = index_.find(hash, [&](uint32_t slot) { return entries_[slot].text == name; });
  if (found) {
    ++entries_[*found].references;
    return *found + 1;
  }
  uint32_t slot = entries_.allocate();
  Entry& entry = entries_[slot];
  entry.text.assign(name);
  entry.references = 1;
  heap_text_bytes_ += heap_bytes_of(entry.text);
  index_.insert(hash, slot);
  return slot + 1;
}

void UsernamePool::release(uint32_t id) {
  if (id == kNoName) return;
  uint32_t slot = id - 1;
  Entry& entry = entries_[slot];
  assert(entry.references > 0);
  if (--entry.references > 0) return;
  index_.erase(hash_text(entry.text), slot);
  heap_text_bytes_ -= heap_bytes_of(entry.text);
  entry.text = std::string();  // gives back a heap block now, not at reuse
  entries_.release(slot);
}

std::string_view UsernamePool::view(uint32_t id) const {
  return id == kNoName ? std::string_view() : std::string_view(entries_[id - 1].text);
}

std::size_t UsernamePool::memory_bytes() const {
  return entries_.memory_bytes() + index_.memory_bytes() + heap_text_bytes_;
}

}  // namespace citadel::leaderboard
