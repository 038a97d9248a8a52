#include "leaderboard/rank_tree.h"

#include "leaderboard/rank_tree_impl.h"

namespace citadel::leaderboard {

template class BasicRankTree<64, 64>;

}  // namespace citadel::leaderboard
