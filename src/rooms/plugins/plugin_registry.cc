#include "rooms/plugins/plugin_registry.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "ops/json_escape.h"
#include "rooms/plugins/plugin_room_logic.h"
#include "rooms/room_service.h"

namespace citadel::rooms {

namespace {

std::string json_string(std::string_view s) {
  std::string out;
  ops::append_json_quoted(out, s);
  return out;
}

double rate(uint64_t events, uint64_t per) {
  return per == 0 ? 0.0 : static_cast<double>(events) / static_cast<double>(per);
}

}  // namespace

PluginRegistry::PluginRegistry(PluginOptions options) : options_(std::move(options)) {}

PluginRegistry::Slot* PluginRegistry::find(std::string_view name) {
  for (auto& s : slots_) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

const PluginRegistry::Slot* PluginRegistry::find(std::string_view name) const {
  return const_cast<PluginRegistry*>(this)->find(name);
}

void PluginRegistry::install(Slot& slot, std::shared_ptr<const PluginLibrary> library,
                             std::shared_ptr<const RoomCode> code) {
  slot.history.push_back(
      {library->info().version, library->path(), library->loaded_as(), library, code->stats, ""});
  slot.library = std::move(library);
  slot.code = std::move(code);
}

RoomType PluginRegistry::load_at_start(const std::filesystem::path& path,
                                       const RoomTypeOptions& base) {
  auto library = PluginLibrary::load(path, options_.scratch_dir);
  const auto& info = library->info();
  std::lock_guard lock(mu_);
  if (find(info.name) != nullptr) {
    throw PluginError(fmt::format("{}: room type '{}' is already loaded from another plugin",
                                  path.string(), info.name));
  }
  RoomType type;
  type.name = info.name;
  type.input_cmd = info.input_cmd;
  type.options = base;
  type.options.tick_hz = info.defaults.tick_hz;
  type.options.max_players = info.defaults.max_players;
  type.options.empty_ttl = std::chrono::milliseconds(info.defaults.empty_ttl_ms);
  // Only `code`: make and check_input would hold this version's library
  // for the type's whole life, and it could never be unloaded.
  type.code = plugin_code(library);
  type.swappable = true;
  Slot& slot = slots_.emplace_back();
  slot.name = info.name;
  slot.input_cmd = info.input_cmd;
  install(slot, std::move(library), type.code);
  spdlog::info("plugin {} {} loaded from {} (input cmd {:#06x})", info.name, info.version,
               path.string(), info.input_cmd);
  return type;
}

PluginRegistry::Outcome PluginRegistry::load(const std::filesystem::path& path) {
  std::shared_ptr<const PluginLibrary> library;
  try {
    library = PluginLibrary::load(path, options_.scratch_dir);
  } catch (const PluginError& e) {
    std::lock_guard lock(mu_);
    ++counters_.load_failures;
    spdlog::error("plugin {} not loaded, nothing changed: {}", path.string(), e.what());
    return {false, fmt::format("{}: {}", path.string(), e.what())};
  }
  const auto& info = library->info();
  std::lock_guard lock(mu_);
  Slot* slot = find(info.name);
  auto refuse = [&](std::string why) {
    ++counters_.load_failures;
    spdlog::error("plugin {} not loaded, nothing changed: {}", path.string(), why);
    return Outcome{false, fmt::format("{}: {}", path.string(), why)};
  };
  if (slot == nullptr) {
    return refuse(
        fmt::format("room type '{}' is not running: a new plugin type needs a restart (add it to "
                    "rooms.plugins)",
                    info.name));
  }
  if (info.input_cmd != slot->input_cmd) {
    return refuse(fmt::format("input cmd {:#06x} differs from the running version's {:#06x}",
                              info.input_cmd, slot->input_cmd));
  }
  if (slot->library->info().version == std::string_view(info.version)) {
    return {true, fmt::format("{} {} is already running", info.name, info.version)};
  }
  if (rooms_ == nullptr) return refuse("the room service is not running");
  const std::string from = slot->library->info().version;
  auto code = plugin_code(library);
  slot->previous_library = std::move(slot->library);
  slot->previous_code = std::move(slot->code);
  for (auto& v : slot->history) {
    if (v.version == from && v.ended.empty()) v.ended = "replaced by " + std::string(info.version);
  }
  install(*slot, library, code);
  slot->swapped_at = Clock::now();
  slot->watching = true;
  rooms_->swap_code(slot->name, std::move(code));
  ++counters_.swaps;
  spdlog::info("plugin {}: swapped {} -> {} ({}); new rooms run {}, open rooms finish on theirs",
               slot->name, from, info.version, path.string(), info.version);
  return {true, fmt::format("{}: {} -> {}", slot->name, from, info.version)};
}

PluginRegistry::Outcome PluginRegistry::rollback(std::string_view type, std::string_view why) {
  std::lock_guard lock(mu_);
  Slot* slot = find(type);
  if (slot == nullptr) return {false, fmt::format("no plugin room type '{}'", type)};
  return rollback_locked(*slot, why);
}

PluginRegistry::Outcome PluginRegistry::rollback_locked(Slot& slot, std::string_view why) {
  if (!slot.previous_library) {
    return {false, fmt::format("{}: no previous version to roll back to", slot.name)};
  }
  if (rooms_ == nullptr) return {false, "the room service is not running"};
  const std::string from = slot.library->info().version;
  const std::string to = slot.previous_library->info().version;
  for (auto& v : slot.history) {
    if (v.version == from && v.ended.empty()) v.ended = fmt::format("rolled back: {}", why);
  }
  // The version rolled back from is dropped: its open rooms keep it loaded
  // until they close; there is no "roll forward".
  slot.library = std::move(slot.previous_library);
  slot.code = std::move(slot.previous_code);
  slot.previous_library.reset();
  slot.previous_code.reset();
  for (auto& v : slot.history) {
    if (v.version == to) v.ended.clear();
  }
  slot.watching = false;
  rooms_->swap_code(slot.name, slot.code);
  ++counters_.rollbacks;
  spdlog::warn("plugin {}: rolled back {} -> {}: {}", slot.name, from, to, why);
  return {true, fmt::format("{}: {} -> {} ({})", slot.name, from, to, why)};
}

std::string PluginRegistry::fault_reason(const Slot& slot) const {
  if (!slot.previous_code) return {};
  const RoomCodeStats& now = *slot.code->stats;
  const RoomCodeStats& before = *slot.previous_code->stats;
  const uint64_t faults = now.faults.load(std::memory_order_relaxed);
  const uint64_t rooms = now.rooms.load(std::memory_order_relaxed);
  if (faults >= options_.min_faults &&
      rate(faults, rooms) > rate(before.faults.load(std::memory_order_relaxed),
                                 before.rooms.load(std::memory_order_relaxed))) {
    return fmt::format("{} of its {} rooms faulted (the previous version: {} of {})", faults, rooms,
                       before.faults.load(), before.rooms.load());
  }
  const uint64_t overruns = now.overruns.load(std::memory_order_relaxed);
  const uint64_t ticks = now.ticks.load(std::memory_order_relaxed);
  if (overruns >= options_.min_overruns &&
      rate(overruns, ticks) > 2 * rate(before.overruns.load(std::memory_order_relaxed),
                                       before.ticks.load(std::memory_order_relaxed))) {
    return fmt::format("{} of its {} ticks overran (the previous version: {} of {})", overruns,
                       ticks, before.overruns.load(), before.ticks.load());
  }
  return {};
}

int PluginRegistry::check_rollbacks(Clock::time_point now) {
  std::lock_guard lock(mu_);
  int rolled = 0;
  for (auto& slot : slots_) {
    if (!slot.watching) continue;
    if (now - slot.swapped_at > options_.rollback_window) {
      slot.watching = false;  // the new version has proved itself
      continue;
    }
    const std::string why = fault_reason(slot);
    if (why.empty()) continue;
    if (rollback_locked(slot, "automatic: " + why).ok) {
      ++counters_.automatic_rollbacks;
      ++rolled;
    }
  }
  return rolled;
}

std::string PluginRegistry::status_json() const {
  std::lock_guard lock(mu_);
  std::string out = "{\"types\":[";
  bool first_slot = true;
  for (const auto& slot : slots_) {
    if (!first_slot) out += ',';
    first_slot = false;
    out += fmt::format("{{\"name\":{},\"input_cmd\":{},\"version\":{},\"path\":{},\"previous\":{}",
                       json_string(slot.name), slot.input_cmd,
                       json_string(slot.library->info().version),
                       json_string(slot.library->path().string()),
                       slot.previous_library ? json_string(slot.previous_library->info().version)
                                             : std::string("null"));
    out += fmt::format(",\"watching\":{},\"versions\":[", slot.watching ? "true" : "false");
    bool first = true;
    for (const auto& v : slot.history) {
      if (!first) out += ',';
      first = false;
      const auto& s = *v.stats;
      out += fmt::format(
          "{{\"version\":{},\"path\":{},\"loaded\":{},\"ended\":{},\"rooms\":{},\"faults\":{},"
          "\"ticks\":{},\"overruns\":{}}}",
          json_string(v.version), json_string(v.path.string()),
          v.library.expired() ? "false" : "true",
          v.ended.empty() ? std::string("null") : json_string(v.ended), s.rooms.load(),
          s.faults.load(), s.ticks.load(), s.overruns.load());
    }
    out += "]}";
  }
  const Counters& c = counters_;
  out += fmt::format(
      "],\"swaps\":{},\"rollbacks\":{},\"automatic_rollbacks\":{},\"load_failures\":{},"
      "\"unloaded\":{}}}",
      c.swaps, c.rollbacks, c.automatic_rollbacks, c.load_failures,
      PluginLibrary::unloaded_total());
  return out;
}

std::vector<std::filesystem::path> PluginRegistry::running_paths() const {
  std::lock_guard lock(mu_);
  std::vector<std::filesystem::path> out;
  for (const auto& slot : slots_) out.push_back(slot.library->path());
  return out;
}

PluginRegistry::Counters PluginRegistry::counters() const {
  std::lock_guard lock(mu_);
  Counters c = counters_;
  c.unloaded = PluginLibrary::unloaded_total();
  return c;
}

}  // namespace citadel::rooms
