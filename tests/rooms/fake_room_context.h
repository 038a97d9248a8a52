// A room as room code sees it, without a runtime, for tests and fuzz
// targets of room logic: players, a tick count, and what the code sent.
#pragma once

#include <cstdlib>
#include <map>
#include <memory>
#include <vector>

#include "protocol/wire.h"
#include "rooms/room_logic.h"
#include "server/outbox.h"

namespace citadel::rooms::fakes {

// Every player is connected (its connection id is its user id); what the
// code sends is kept per player.
class FakeContext final : public RoomContext {
 public:
  explicit FakeContext(std::vector<uint64_t> user_ids) {
    for (uint64_t id : user_ids) {
      auto p = std::make_unique<Player>();
      p->user_id = id;
      p->connection_id = id;  // connected
      view_.push_back(p.get());
      players_.push_back(std::move(p));
    }
  }
  uint64_t room_id() const override { return 1; }
  uint64_t tick() const override { return tick_; }
  std::chrono::nanoseconds tick_interval() const override { return std::chrono::milliseconds(50); }
  std::span<const Player* const> players() const override { return view_; }
  void broadcast(uint16_t cmd, std::span<const uint8_t> payload) override {
    broadcast_frame(server::make_shared_frame(cmd, payload));
  }
  void broadcast_frame(const net::SharedBytes& frame) override {
    for (const Player* p : view_) sent[p->user_id].push_back(frame);
  }
  void send(const Player& to, uint16_t cmd, std::span<const uint8_t> payload) override {
    send_frame(to, server::make_shared_frame(cmd, payload));
  }
  void send_frame(const Player& to, const net::SharedBytes& frame) override {
    sent[to.user_id].push_back(frame);
  }
  void send_frame(std::span<const Player* const> to, const net::SharedBytes& frame) override {
    for (const Player* p : to) sent[p->user_id].push_back(frame);
  }
  std::size_t page_bytes() const override { return 256 * 1024; }
  void close(std::string_view) override { closed = true; }
  std::string transfer(const Player& p, const TransferTarget& target) override {
    transfers.emplace_back(p.user_id, target);
    return {};
  }
  const Arrival* arrival() const override { return arriving; }
  RoomStorage& storage() override { std::abort(); }

  const Player& player(std::size_t i) const { return *view_[i]; }
  template <class T>
  const T* last(uint64_t user_id) const {
    const auto& frames = sent.at(user_id);
    const auto& f = *frames.back();
    return flatbuffers::GetRoot<T>(f.data() + protocol::kHeaderBytes);
  }

  uint64_t tick_ = 0;
  bool closed = false;
  std::vector<std::pair<uint64_t, TransferTarget>> transfers;  // asked for
  const Arrival* arriving = nullptr;                           // set by the test
  std::map<uint64_t, std::vector<net::SharedBytes>> sent;

 private:
  std::vector<std::unique_ptr<Player>> players_;
  std::vector<const Player*> view_;
};

}  // namespace citadel::rooms::fakes
