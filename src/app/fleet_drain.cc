#include "app/fleet_drain.h"

#include <flatbuffers/flatbuffers.h>
#include <spdlog/spdlog.h>

#include <map>

#include "fleet/membership/membership.h"
#include "net/responder.h"
#include "ops/admin/metrics_writer.h"
#include "protocol/auth_generated.h"
#include "protocol/commands.h"
#include "server/outbox.h"
#include "server/server.h"

namespace citadel::app {

net::SharedBytes encode_reconnect_frame(std::string_view address, std::string_view message,
                                        uint32_t deadline_ms) {
  flatbuffers::FlatBufferBuilder fbb(128);
  const auto a = address.empty() ? 0 : fbb.CreateString(address.data(), address.size());
  const auto m = fbb.CreateString(message.data(), message.size());
  msg::ReconnectBuilder b(fbb);
  b.add_reason(msg::ReconnectReason::Draining);
  if (!address.empty()) b.add_address(a);
  b.add_message(m);
  b.add_deadline_ms(deadline_ms);
  fbb.Finish(b.Finish());
  return server::make_shared_frame(protocol::cmd::kReconnect,
                                   {fbb.GetBufferPointer(), fbb.GetSize()});
}

FleetDrain::FleetDrain(const ops::Config& config, std::string node_id, server::Server& server,
                       std::function<uint64_t()> rooms_open)
    : node_id_(std::move(node_id)),
      gateway_(config.fleet.role == "gateway"),
      timeout_(config.fleet.drain_timeout_ms),
      server_(server),
      rooms_open_(std::move(rooms_open)) {}

void FleetDrain::attach(fleet::Membership& membership) {
  membership_ = &membership;
  membership.on_table(
      [this](const fleet::FleetTable& table) { targets_ = fleet::drain_targets(table, node_id_); });
}

bool FleetDrain::begin(std::string_view why) {
  if (draining_.exchange(true)) return false;
  spdlog::info("fleet: draining ({}): {}, for at most {} ms", why,
               gateway_ ? "telling this gateway's clients to reconnect elsewhere"
                        : "no new rooms here; the open ones play on",
               timeout_.count());
  // Gateways and the other game nodes read it from the record: written now.
  if (membership_) membership_->record_changed();
  if (gateway_) {
    // New clients belong on a gateway that stays.
    server_.stop_accepting();
    server_.service_loop().post([this] { tell_clients_in_loop(); });
  }
  return true;
}

void FleetDrain::tell_clients_in_loop() {
  // One frame per target (and one for "nowhere"): each client's share is a
  // reference to it.
  const auto deadline_ms = static_cast<uint32_t>(timeout_.count());
  std::map<std::string, net::SharedBytes> frames;
  for (const fleet::DrainTarget& t : targets_) {
    frames[t.node_id] = encode_reconnect_frame(
        t.address, "this gateway is draining: reconnect to " + t.address + " and resume",
        deadline_ms);
  }
  net::SharedBytes nowhere = encode_reconnect_frame(
      "", "this gateway is draining and knows no other: reconnect later and resume", deadline_ms);
  spdlog::info("fleet: {} other gateway(s) to send clients to", targets_.size());
  server_.for_each_connection(
      [this, targets = targets_, frames = std::move(frames), nowhere](net::Responder& client) {
        const fleet::DrainTarget* t = fleet::pick_drain_target(targets, client.connection_id());
        client.send_shared(t != nullptr ? frames.at(t->node_id) : nowhere);
        told_.fetch_add(1, std::memory_order_relaxed);
        if (t == nullptr) told_nowhere_.fetch_add(1, std::memory_order_relaxed);
      });
}

bool FleetDrain::done() const {
  if (!draining_.load()) return false;
  return gateway_ ? server_.active_connections() == 0 : rooms_open_() == 0;
}

void FleetDrain::write_metrics(ops::admin::MetricsWriter& out) const {
  out.gauge("citadel_fleet_draining",
            "1 while this node drains (SIGTERM or POST /fleet/drain): nothing new is sent to "
            "it; a gateway's clients move, a game node's rooms finish.",
            draining_.load() ? 1.0 : 0.0);
  out.counter("citadel_fleet_clients_told_to_move_total",
              "Clients a draining gateway told to reconnect elsewhere (Reconnect).",
              told_.load(std::memory_order_relaxed));
  out.counter("citadel_fleet_clients_told_to_move_nowhere_total",
              "... of which no other live gateway was known (Reconnect without an address).",
              told_nowhere_.load(std::memory_order_relaxed));
}

}  // namespace citadel::app
