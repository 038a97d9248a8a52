// Reloads the config when its file changes (reload.watch_file): inotify on
// the file's directory, so both ways editors and deploy tools save a file
// are seen (written in place: IN_CLOSE_WRITE; written beside it and renamed
// over it: IN_MOVED_TO), and a burst of events (an editor's save, a
// deploy's several writes) makes one reload, 200 ms after the last of them.
//
// Runs on the control thread's io_context, like SIGHUP's reload; a reload
// reads and checks the whole file, and a file caught half-written fails to
// validate and changes nothing, the next event reloading it whole.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <functional>
#include <string>

namespace citadel::app {

class ConfigFileWatch {
 public:
  // Watches `path` (its directory must exist); `reload` runs on `control`'s
  // thread. Throws std::system_error when inotify cannot be set up.
  ConfigFileWatch(boost::asio::io_context& control, const std::string& path,
                  std::function<void()> reload);
  ~ConfigFileWatch();
  ConfigFileWatch(const ConfigFileWatch&) = delete;
  ConfigFileWatch& operator=(const ConfigFileWatch&) = delete;

  void start();

 private:
  void read();
  void on_events(std::size_t bytes);

  std::string file_name_;  // the watched name inside the directory
  boost::asio::posix::stream_descriptor inotify_;
  boost::asio::steady_timer settle_;
  std::function<void()> reload_;
  alignas(8) std::array<char, 4096> buffer_{};
};

}  // namespace citadel::app
