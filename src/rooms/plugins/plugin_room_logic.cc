#include "rooms/plugins/plugin_room_logic.h"

namespace citadel::rooms {

namespace {

// room_sdk::Context over the runtime's RoomContext for one callback.
class SdkContext final : public room_sdk::Context {
 public:
  explicit SdkContext(RoomContext& ctx) : ctx_(ctx) {}
  uint64_t room_id() const override { return ctx_.room_id(); }
  uint64_t tick() const override { return ctx_.tick(); }
  std::chrono::nanoseconds tick_interval() const override { return ctx_.tick_interval(); }
  std::span<const Player* const> players() const override { return ctx_.players(); }
  void broadcast(uint16_t cmd, std::span<const uint8_t> payload) override {
    ctx_.broadcast(cmd, payload);
  }
  void send(const Player& to, uint16_t cmd, std::span<const uint8_t> payload) override {
    ctx_.send(to, cmd, payload);
  }
  std::size_t page_bytes() const override { return ctx_.page_bytes(); }
  void close(std::string_view reason) override { ctx_.close(reason); }
  std::string transfer(const Player& player, const room_sdk::TransferTarget& target) override {
    return ctx_.transfer(player, target);
  }
  const room_sdk::Arrival* arrival() const override { return ctx_.arrival(); }

 private:
  RoomContext& ctx_;
};

class PluginRoomLogic final : public RoomLogic {
 public:
  PluginRoomLogic(std::shared_ptr<const PluginLibrary> library,
                  std::unique_ptr<room_sdk::Logic> logic)
      : library_(std::move(library)), logic_(std::move(logic)) {}

  void on_create(RoomContext& ctx) override {
    SdkContext c(ctx);
    logic_->on_create(c);
  }
  std::string on_join(RoomContext& ctx, const Player& p) override {
    SdkContext c(ctx);
    return logic_->on_join(c, p);
  }
  void on_leave(RoomContext& ctx, const Player& p) override {
    SdkContext c(ctx);
    logic_->on_leave(c, p);
  }
  void on_input(RoomContext& ctx, const Player& p, std::span<const uint8_t> payload) override {
    SdkContext c(ctx);
    logic_->on_input(c, p, payload);
  }
  void on_tick(RoomContext& ctx) override {
    SdkContext c(ctx);
    logic_->on_tick(c);
  }
  void on_sync(RoomContext& ctx, const Player& p, uint32_t last_frame) override {
    SdkContext c(ctx);
    logic_->on_sync(c, p, last_frame);
  }
  void on_reconnect(RoomContext& ctx, const Player& p) override {
    SdkContext c(ctx);
    logic_->on_reconnect(c, p);
  }
  void on_dispose(RoomContext& ctx) override {
    SdkContext c(ctx);
    logic_->on_dispose(c);
  }
  bool save_state(std::vector<uint8_t>& out) override { return logic_->save_state(out); }
  bool restore_state(RoomContext& ctx, std::span<const uint8_t> state) override {
    SdkContext c(ctx);
    return logic_->restore_state(c, state);
  }

 private:
  // Declared first, destroyed last: the logic's destructor is library code.
  std::shared_ptr<const PluginLibrary> library_;
  std::unique_ptr<room_sdk::Logic> logic_;
};

}  // namespace

std::shared_ptr<const RoomCode> plugin_code(std::shared_ptr<const PluginLibrary> library) {
  auto code = std::make_shared<RoomCode>();
  code->version = library->info().version;
  code->hands_over_state = library->info().hands_over_state;
  const auto* info = &library->info();
  code->make = [library, info]() -> std::unique_ptr<RoomLogic> {
    return std::make_unique<PluginRoomLogic>(library, info->create());
  };
  // No library reference needed: a check runs only for a room that holds
  // this code, whose make holds the library.
  code->check_input = [check = info->check_input](std::span<const uint8_t> payload) {
    return check(payload);
  };
  return code;
}

}  // namespace citadel::rooms
