#include "app/fleet_chat.h"

#include <spdlog/spdlog.h>

#include <future>

#include "fleet/membership/membership.h"
#include "services/chat/chat_service.h"

namespace citadel::app {

void follow_fleet_nodes(services::ChatService& chat, fleet::Membership& membership) {
  membership.on_table([&chat](const fleet::FleetTable& table) {
    // An empty table is one not read yet (a member's table lists itself):
    // it would drop every other node, so it is not passed on.
    if (table.empty()) return;
    std::set<std::string> ids;
    for (const auto& [id, entry] : table) ids.insert(id);
    chat.on_fleet_nodes_in_loop(std::move(ids));
  });
}

std::unique_ptr<fleet::chat::FleetChatLink> start_fleet_chat(const ops::Config& config,
                                                             net::EventLoop& loop,
                                                             services::ChatService& chat,
                                                             fleet::Membership& membership) {
  auto url = redis::parse_redis_url(config.redis.url);
  if (!url) {
    // The config check accepted it: not expected; chat stays local.
    spdlog::error("fleet chat: redis.url does not parse; chat stays on this node");
    return nullptr;
  }
  fleet::chat::FleetChatLink::Options options;
  options.url = *url;
  options.node_id = membership.node_id();
  options.stream_key = config.fleet.cluster + ":chat";
  // A node gone from the live table keeps its users here for one more TTL
  // after it was last heard, so one heard before etcd lists it is not
  // dropped, and one that died just after speaking goes a TTL later.
  const std::chrono::milliseconds grace(config.fleet.lease_ttl_ms);

  std::unique_ptr<fleet::chat::FleetChatLink> link;
  std::promise<void> built;
  loop.post([&] {
    link = std::make_unique<fleet::chat::FleetChatLink>(
        loop, options, [&chat](const std::string& origin, const services::ChatFleetEvent& event) {
          return chat.on_fleet_event_in_loop(origin, event);
        });
    chat.attach_fleet_in_loop(*link, options.node_id, grace);
    link->start([&chat] { chat.fleet_ready_in_loop(); });
    built.set_value();
  });
  if (built.get_future().wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
    // The service loop is stuck (not expected at start): the task still
    // refers to this frame, so there is no safe way on.
    spdlog::critical("fleet chat: the service loop did not run the set-up within 5 s");
    std::terminate();
  }
  spdlog::info("fleet chat: node {} on stream {} of {}", options.node_id, options.stream_key,
               redis::redacted_redis_url(config.redis.url));
  return link;
}

void write_fleet_chat_metrics(ops::admin::MetricsWriter& out,
                              const fleet::chat::FleetChatLink& link) {
  const auto& c = link.counters();
  out.counter("citadel_fleet_chat_published_total",
              "Chat events this node handed to the other nodes (Redis took them).",
              c.published.load(std::memory_order_relaxed));
  out.counter("citadel_fleet_chat_publish_failures_total",
              "Chat events the other nodes never got (Redis away or refusing).",
              c.publish_failures.load(std::memory_order_relaxed));
  out.counter("citadel_fleet_chat_received_total", "Chat events read from the other nodes.",
              c.received.load(std::memory_order_relaxed));
  out.counter("citadel_fleet_chat_delivered_total",
              "Pushes (messages, presence) to users of this node caused by other nodes' events.",
              c.delivered.load(std::memory_order_relaxed));
  out.counter("citadel_fleet_chat_malformed_total",
              "Entries on the chat stream that were not valid chat events (skipped).",
              c.malformed.load(std::memory_order_relaxed));
}

}  // namespace citadel::app
