#include "protocol/finite_fields.h"

#include <flatbuffers/minireflect.h>

#include <cmath>
#include <unordered_set>

namespace citadel::protocol {

namespace {

bool has_floats(const flatbuffers::TypeTable* type,
                std::unordered_set<const flatbuffers::TypeTable*>& seen) {
  if (type == nullptr || !seen.insert(type).second) return false;  // recursive types end here
  for (size_t i = 0; i < type->num_elems; ++i) {
    const auto code = type->type_codes[i];
    const auto base = static_cast<flatbuffers::ElementaryType>(code.base_type);
    if (base == flatbuffers::ET_FLOAT || base == flatbuffers::ET_DOUBLE) return true;
    if (base == flatbuffers::ET_SEQUENCE && code.sequence_ref >= 0 && type->type_refs != nullptr) {
      if (has_floats(type->type_refs[code.sequence_ref](), seen)) return true;
    }
  }
  return false;
}

// Tracks the path to the value being visited (field names and vector
// indices, one level per nested table or struct) and records the first
// value that is not a finite number, e.g. "players[3].x". No allocation
// unless a bad value is found.
class NonFiniteFinder final : public flatbuffers::IterationVisitor {
 public:
  void StartSequence() override { ++depth_; }
  void EndSequence() override { --depth_; }
  void Field(size_t, size_t, flatbuffers::ElementaryType, bool, const flatbuffers::TypeTable*,
             const char* name, const uint8_t*) override {
    if (in_range()) levels_[depth_] = Level{name, -1};
  }
  void Element(size_t i, flatbuffers::ElementaryType, const flatbuffers::TypeTable*,
               const uint8_t*) override {
    if (in_range()) levels_[depth_].element = static_cast<long>(i);
  }
  void Float(float v) override { check(std::isfinite(v)); }
  void Double(double v) override { check(std::isfinite(v)); }

  const std::string& found() const { return found_; }

 private:
  struct Level {
    const char* field = nullptr;
    long element = -1;
  };
  // The verifier caps nesting at kMaxVerifierDepth; deeper levels (none in
  // a verified buffer) would only lose their names.
  static constexpr int kMaxLevels = 40;
  bool in_range() const { return depth_ >= 0 && depth_ < kMaxLevels; }
  void check(bool finite) {
    if (finite || !found_.empty()) return;
    for (int d = 1; d <= depth_ && d < kMaxLevels; ++d) {
      if (!found_.empty()) found_ += '.';
      found_ += levels_[d].field != nullptr ? levels_[d].field : "?";
      if (levels_[d].element >= 0) {
        found_ += '[';
        found_ += std::to_string(levels_[d].element);
        found_ += ']';
      }
    }
  }
  Level levels_[kMaxLevels];
  int depth_ = 0;
  std::string found_;
};

}  // namespace

bool has_float_fields(const flatbuffers::TypeTable* type) {
  std::unordered_set<const flatbuffers::TypeTable*> seen;
  return has_floats(type, seen);
}

std::string first_non_finite_field(const uint8_t* verified_buffer,
                                   const flatbuffers::TypeTable* type) {
  NonFiniteFinder finder;
  flatbuffers::IterateFlatBuffer(verified_buffer, type, &finder);
  return finder.found();
}

}  // namespace citadel::protocol
