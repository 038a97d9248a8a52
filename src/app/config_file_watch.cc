#include "app/config_file_watch.h"

#include <spdlog/spdlog.h>
#include <sys/inotify.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace citadel::app {

namespace {

constexpr auto kSettle = std::chrono::milliseconds(200);

int inotify_watching(const std::filesystem::path& dir) {
  const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "inotify_init1");
  if (::inotify_add_watch(fd, dir.c_str(), IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE) < 0) {
    const int err = errno;
    ::close(fd);
    throw std::system_error(err, std::generic_category(), "inotify_add_watch " + dir.string());
  }
  return fd;
}

}  // namespace

ConfigFileWatch::ConfigFileWatch(boost::asio::io_context& control, const std::string& path,
                                 std::function<void()> reload)
    : file_name_(std::filesystem::path(path).filename().string()),
      inotify_(control, inotify_watching(std::filesystem::absolute(path).parent_path())),
      settle_(control),
      reload_(std::move(reload)) {}

ConfigFileWatch::~ConfigFileWatch() = default;

void ConfigFileWatch::start() {
  read();
}

void ConfigFileWatch::read() {
  inotify_.async_read_some(boost::asio::buffer(buffer_),
                           [this](const boost::system::error_code& ec, std::size_t bytes) {
                             if (ec) {
                               if (ec != boost::asio::error::operation_aborted) {
                                 spdlog::error("config file watch stopped: {}", ec.message());
                               }
                               return;
                             }
                             on_events(bytes);
                             read();
                           });
}

void ConfigFileWatch::on_events(std::size_t bytes) {
  bool ours = false;
  for (std::size_t at = 0; at + sizeof(inotify_event) <= bytes;) {
    inotify_event event;
    std::memcpy(&event, buffer_.data() + at, sizeof event);
    if (event.len > 0) {
      const char* name = buffer_.data() + at + sizeof(inotify_event);
      if (file_name_ == std::string_view(name, ::strnlen(name, event.len))) ours = true;
    }
    at += sizeof(inotify_event) + event.len;
  }
  if (!ours) return;
  // Restarted by every event: one reload after the writes settle.
  settle_.expires_after(kSettle);
  settle_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) reload_();
  });
}

}  // namespace citadel::app
