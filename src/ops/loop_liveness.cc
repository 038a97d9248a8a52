#include "ops/loop_liveness.h"

namespace citadel::ops {

LoopLiveness::LoopLiveness(std::vector<Post> loops)
    : loops_(std::move(loops)), answers_(std::make_shared<Answers>(loops_.size())) {}

bool LoopLiveness::check_and_probe() {
  missed_.clear();
  for (std::size_t i = 0; i < loops_.size(); ++i) {
    if (answers_->round[i].load(std::memory_order_acquire) != round_) missed_.push_back(i);
  }
  ++round_;
  for (std::size_t i = 0; i < loops_.size(); ++i) {
    loops_[i]([answers = answers_, i, round = round_] {
      answers->round[i].store(round, std::memory_order_release);
    });
  }
  return missed_.empty();
}

}  // namespace citadel::ops
