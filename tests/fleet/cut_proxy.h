// A loopback TCP forwarder a test can cut: a node's etcd traffic goes
// through it, and cut() stands for a network partition between that node
// and etcd (every forwarded connection closed at once, new ones closed as
// soon as they are accepted) until heal(). One thread, poll(); for tests
// only (small flows: each read is written out before the next poll).
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace citadel::test {

class CutProxy {
 public:
  // Forwards 127.0.0.1:port() to 127.0.0.1:upstream_port.
  explicit CutProxy(uint16_t upstream_port);
  ~CutProxy();
  CutProxy(const CutProxy&) = delete;
  CutProxy& operator=(const CutProxy&) = delete;

  uint16_t port() const { return port_; }
  void cut();
  void heal();
  // Connections accepted and refused while cut (the node kept trying).
  uint64_t refused() const { return refused_; }

 private:
  void run();
  void wake();

  const uint16_t upstream_port_;
  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};
  uint16_t port_ = 0;
  std::atomic<bool> cut_{false}, stop_{false};
  std::atomic<uint64_t> refused_{0};
  std::thread thread_;
};

}  // namespace citadel::test
