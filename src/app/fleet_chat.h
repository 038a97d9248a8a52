// Chat across the fleet, composed (docs/fleet.md "Chat across the fleet"):
// with fleet.etcd and redis.url set, the chat service publishes to and
// hears from the other nodes through a FleetChatLink on the service loop,
// and learns from the membership which nodes are alive. Its /metrics
// families too. Kept out of node.cc so the node's start stays a list of
// parts.
#pragma once

#include <memory>

#include "fleet/chat/fleet_chat_link.h"
#include "ops/admin/metrics_writer.h"
#include "ops/config.h"

namespace citadel::services {
class ChatService;
}
namespace citadel::fleet {
class Membership;
}

namespace citadel::app {

// Control thread, before membership.start(): the chat service follows the
// table of live nodes (its other nodes' users go with their node).
void follow_fleet_nodes(services::ChatService& chat, fleet::Membership& membership);

// Control thread, while the loops run, after membership.start() returned
// (so not for a node whose id a live node holds: its hello and empty state
// would wipe that node's users from the others' lists). Builds the link on
// `loop` (the service loop), attaches the chat service to it and starts
// reading; waits for that (bounded). Null when redis.url does not parse.
std::unique_ptr<fleet::chat::FleetChatLink> start_fleet_chat(const ops::Config& config,
                                                             net::EventLoop& loop,
                                                             services::ChatService& chat,
                                                             fleet::Membership& membership);

// Admin thread.
void write_fleet_chat_metrics(ops::admin::MetricsWriter& out,
                              const fleet::chat::FleetChatLink& link);

}  // namespace citadel::app
