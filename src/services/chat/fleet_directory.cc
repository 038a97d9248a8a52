#include "services/chat/fleet_directory.h"

#include "services/session/session_registry.h"

namespace citadel::services {

// A user logged in on two nodes at once (no fleet-wide sessions yet) is
// indexed at the node that reported it last; an entry of one node is
// removed from the indexes only while they still point at that node.

void FleetChatDirectory::heard(const std::string& node, Clock::time_point now) {
  nodes_[node].heard = now;
}

FleetChatDirectory::User* FleetChatDirectory::user_of(const std::string& node, uint64_t user_id) {
  auto n = nodes_.find(node);
  if (n == nodes_.end()) return nullptr;
  auto u = n->second.users.find(user_id);
  return u == n->second.users.end() ? nullptr : &u->second;
}

void FleetChatDirectory::online(const std::string& node, uint64_t user_id,
                                const std::string& username) {
  User& user = nodes_[node].users[user_id];
  user.username = username;
  where_[user_id] = node;
  by_name_[fold_username(username)] = user_id;
}

void FleetChatDirectory::unindex_user(const std::string& node, uint64_t user_id, const User& user) {
  for (const std::string& channel : user.channels) {
    auto c = channels_.find(channel);
    if (c == channels_.end()) continue;
    auto m = c->second.find(user_id);
    if (m != c->second.end() && m->second == node) c->second.erase(m);
    if (c->second.empty()) channels_.erase(c);
  }
  auto w = where_.find(user_id);
  if (w != where_.end() && w->second == node) {
    where_.erase(w);
    auto n = by_name_.find(fold_username(user.username));
    if (n != by_name_.end() && n->second == user_id) by_name_.erase(n);
  }
}

std::vector<FleetChatDirectory::Gone> FleetChatDirectory::offline(const std::string& node,
                                                                  uint64_t user_id) {
  std::vector<Gone> gone;
  auto n = nodes_.find(node);
  if (n == nodes_.end()) return gone;
  auto u = n->second.users.find(user_id);
  if (u == n->second.users.end()) return gone;
  unindex_user(node, user_id, u->second);
  for (const std::string& channel : u->second.channels) {
    gone.push_back({channel, user_id, u->second.username});
  }
  n->second.users.erase(u);
  return gone;
}

bool FleetChatDirectory::join(const std::string& node, const std::string& channel, uint64_t user_id,
                              const std::string& username) {
  User* user = user_of(node, user_id);
  if (user == nullptr) {
    // A join heard before the user's kOnline (or after a lost one): the
    // join says the session is there.
    online(node, user_id, username);
    user = user_of(node, user_id);
  }
  if (!user->channels.insert(channel).second) return false;
  channels_[channel][user_id] = node;
  return true;
}

bool FleetChatDirectory::leave(const std::string& node, const std::string& channel,
                               uint64_t user_id) {
  User* user = user_of(node, user_id);
  if (user == nullptr || user->channels.erase(channel) == 0) return false;
  auto c = channels_.find(channel);
  if (c != channels_.end()) {
    auto m = c->second.find(user_id);
    if (m != c->second.end() && m->second == node) c->second.erase(m);
    if (c->second.empty()) channels_.erase(c);
  }
  return true;
}

void FleetChatDirectory::replace(const std::string& node, const std::vector<ChatFleetUser>& users) {
  const Clock::time_point heard = nodes_[node].heard;
  drop(node);
  nodes_[node].heard = heard;
  for (const ChatFleetUser& u : users) {
    online(node, u.user_id, u.username);
    for (const std::string& channel : u.channels) join(node, channel, u.user_id, u.username);
  }
}

std::vector<FleetChatDirectory::Gone> FleetChatDirectory::drop(const std::string& node) {
  std::vector<Gone> gone;
  auto n = nodes_.find(node);
  if (n == nodes_.end()) return gone;
  for (const auto& [user_id, user] : n->second.users) {
    unindex_user(node, user_id, user);
    for (const std::string& channel : user.channels)
      gone.push_back({channel, user_id, user.username});
  }
  nodes_.erase(n);
  return gone;
}

std::vector<FleetChatDirectory::Gone> FleetChatDirectory::drop_stale(
    const std::set<std::string>& live, Clock::time_point now, Clock::duration grace) {
  std::vector<std::string> stale;
  for (const auto& [id, node] : nodes_) {
    if (!live.contains(id) && node.heard + grace <= now) stale.push_back(id);
  }
  std::vector<Gone> gone;
  for (const std::string& id : stale) {
    auto g = drop(id);
    gone.insert(gone.end(), std::make_move_iterator(g.begin()), std::make_move_iterator(g.end()));
  }
  return gone;
}

std::size_t FleetChatDirectory::channel_size(const std::string& channel) const {
  auto c = channels_.find(channel);
  return c == channels_.end() ? 0 : c->second.size();
}

std::vector<FleetChatDirectory::Member> FleetChatDirectory::members(
    const std::string& channel) const {
  std::vector<Member> out;
  auto c = channels_.find(channel);
  if (c == channels_.end()) return out;
  out.reserve(c->second.size());
  for (const auto& [user_id, node] : c->second) {
    const auto& users = nodes_.at(node).users;
    auto u = users.find(user_id);
    if (u != users.end()) out.push_back({user_id, &u->second.username});
  }
  return out;
}

const std::string* FleetChatDirectory::node_of(uint64_t user_id) const {
  auto w = where_.find(user_id);
  return w == where_.end() ? nullptr : &w->second;
}

std::optional<FleetChatDirectory::Located> FleetChatDirectory::find_by_folded_name(
    const std::string& folded) const {
  auto n = by_name_.find(folded);
  if (n == by_name_.end()) return std::nullopt;
  const std::string* node = node_of(n->second);
  if (node == nullptr) return std::nullopt;
  return Located{*node, n->second};
}

}  // namespace citadel::services
