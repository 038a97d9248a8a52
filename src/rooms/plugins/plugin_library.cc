#include "rooms/plugins/plugin_library.h"

#include <dlfcn.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cctype>
#include <string_view>
#include <system_error>

namespace citadel::rooms {

namespace {

std::atomic<uint64_t> unloaded{0};
std::atomic<uint64_t> copies{0};

// Names and versions appear in logs, JSON and metrics labels.
bool printable(const char* s, std::size_t max) {
  if (s == nullptr || *s == '\0') return false;
  const std::string_view v(s);
  if (v.size() > max) return false;
  for (const char c : v) {
    if (!std::isprint(static_cast<unsigned char>(c)) || c == '"' || c == '\\') return false;
  }
  return true;
}

void check_info(const room_sdk::PluginInfo& info) {
  if (info.sdk_version < room_sdk::kMinSdkVersion || info.sdk_version > room_sdk::kSdkVersion) {
    throw PluginError(fmt::format("built against room SDK version {}, this server loads {} to {}",
                                  info.sdk_version, room_sdk::kMinSdkVersion,
                                  room_sdk::kSdkVersion));
  }
  if (!printable(info.name, 64)) throw PluginError("its name is empty, too long or not printable");
  for (const char c : std::string_view(info.name)) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') {
      throw PluginError(fmt::format("name '{}': letters, digits, '_' and '-' only", info.name));
    }
  }
  if (!printable(info.version, 64)) {
    throw PluginError("its version is empty, too long or not printable");
  }
  if (info.input_cmd < 0x1000) {
    throw PluginError(
        fmt::format("input cmd {:#06x} is below 0x1000 (Citadel's own commands)", info.input_cmd));
  }
  if (info.defaults.tick_hz < 1 || info.defaults.tick_hz > 120) {
    throw PluginError(fmt::format("tick_hz {} is not 1 to 120", info.defaults.tick_hz));
  }
  if (info.defaults.max_players < 1) throw PluginError("max_players must be at least 1");
  if (info.create == nullptr || info.check_input == nullptr) {
    throw PluginError("its info has no create or no check_input function");
  }
}

}  // namespace

std::shared_ptr<PluginLibrary> PluginLibrary::load(const std::filesystem::path& path,
                                                   const std::filesystem::path& scratch_dir) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw PluginError(fmt::format("{}: no such file", path.string()));
  }
  std::filesystem::create_directories(scratch_dir, ec);
  if (ec) {
    throw PluginError(fmt::format("cannot make the scratch directory {}: {}", scratch_dir.string(),
                                  ec.message()));
  }
  const auto copy = scratch_dir / fmt::format("{}-{}-{}.so", path.stem().string(), ::getpid(),
                                              copies.fetch_add(1) + 1);
  std::filesystem::copy_file(path, copy, std::filesystem::copy_options::overwrite_existing, ec);
  if (ec) {
    throw PluginError(
        fmt::format("cannot copy {} to {}: {}", path.string(), copy.string(), ec.message()));
  }
  // RTLD_NOW: a missing symbol fails here, not in the middle of a tick.
  // RTLD_LOCAL: two versions of one plugin never see each other's symbols.
  void* handle = ::dlopen(copy.c_str(), RTLD_NOW | RTLD_LOCAL);
  std::filesystem::remove(copy, ec);  // mapped now (or refused): the file is not needed
  if (handle == nullptr) {
    const char* why = ::dlerror();
    throw PluginError(fmt::format("dlopen: {}", why != nullptr ? why : "unknown error"));
  }
  // From here the handle is owned: any refusal below unloads it.
  auto lib = std::make_shared<PluginLibrary>(Key{}, path, copy, handle);
  auto* entry = reinterpret_cast<citadel_room_plugin_fn>(::dlsym(handle, "citadel_room_plugin"));
  if (entry == nullptr) throw PluginError("no citadel_room_plugin symbol (CITADEL_ROOM_PLUGIN)");
  lib->info_ = entry();
  if (lib->info_ == nullptr) throw PluginError("citadel_room_plugin returned null");
  check_info(*lib->info_);
  // The factory runs once here, so a plugin whose factory throws is refused
  // before any room depends on it.
  try {
    auto probe = lib->info_->create();
    if (!probe) throw PluginError("its create function returned null");
  } catch (const PluginError&) {
    throw;
  } catch (const std::exception& e) {
    throw PluginError(fmt::format("its create function threw: {}", e.what()));
  } catch (...) {
    throw PluginError("its create function threw");
  }
  return lib;
}

PluginLibrary::PluginLibrary(Key, std::filesystem::path path, std::filesystem::path loaded_as,
                             void* handle)
    : path_(std::move(path)), loaded_as_(std::move(loaded_as)), handle_(handle) {}

PluginLibrary::~PluginLibrary() {
  const std::string name = info_ != nullptr ? info_->name : path_.string();
  const std::string version = info_ != nullptr ? info_->version : "";
  if (::dlclose(handle_) != 0) {
    const char* why = ::dlerror();
    spdlog::warn("plugin {} {}: dlclose: {}", name, version, why != nullptr ? why : "?");
    return;
  }
  unloaded.fetch_add(1, std::memory_order_relaxed);
  spdlog::info("plugin {} {} unloaded ({})", name, version, path_.string());
}

uint64_t PluginLibrary::unloaded_total() {
  return unloaded.load(std::memory_order_relaxed);
}

}  // namespace citadel::rooms
