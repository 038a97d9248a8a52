// One loaded plugin library (room_sdk/room_plugin.h): dlopen'ed, its entry
// point found and its PluginInfo checked. Unloaded (dlclose) when the last
// shared_ptr goes: the registry holds the current and previous version of
// each type, and every room holds the library its logic came from.
//
// The file is copied to a private scratch file before dlopen: the dynamic
// loader hands back the already-loaded copy for a path (or inode) it knows,
// so loading version 2 from the path version 1 came from would silently
// give version 1 again, and an operator overwriting the file in place would
// corrupt the running code. The copy is removed once mapped.
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "room_sdk/room_plugin.h"

namespace citadel::rooms {

// Why a plugin was refused: the file, the loader, the entry point, the SDK
// version, the info, or the factory. Nothing was changed.
class PluginError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class PluginLibrary {
 public:
  // Loads `path` through a private copy in `scratch_dir` (created if
  // missing). Throws PluginError saying why it cannot.
  static std::shared_ptr<PluginLibrary> load(const std::filesystem::path& path,
                                             const std::filesystem::path& scratch_dir);
  ~PluginLibrary();
  PluginLibrary(const PluginLibrary&) = delete;
  PluginLibrary& operator=(const PluginLibrary&) = delete;

  const room_sdk::PluginInfo& info() const { return *info_; }
  const std::filesystem::path& path() const { return path_; }
  // The private copy's path: /proc/self/maps names it "(deleted)" while the
  // library is mapped.
  const std::filesystem::path& loaded_as() const { return loaded_as_; }

  // Libraries unloaded so far in this process (tests and /plugins).
  static uint64_t unloaded_total();

 private:
  struct Key {
    explicit Key() = default;
  };

 public:
  // For load() only (the Key is private).
  PluginLibrary(Key, std::filesystem::path path, std::filesystem::path loaded_as, void* handle);

 private:
  std::filesystem::path path_;
  std::filesystem::path loaded_as_;
  void* handle_ = nullptr;  // dlopen's; dlclose'd in the destructor
  const room_sdk::PluginInfo* info_ = nullptr;
};

}  // namespace citadel::rooms
