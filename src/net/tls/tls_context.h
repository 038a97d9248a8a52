// The server side of TLS: the certificate, key and protocol settings every
// TLS connection on the game port starts from (an OpenSSL SSL_CTX), and the
// store that swaps them on a certificate reload.
//
// Reload (SIGHUP) builds a whole new context from the files and swaps it in
// only if it loaded: new connections take the new certificate, connections
// already open keep the context they started with (each SSL holds a
// reference), so nobody is dropped. A file that fails to load changes
// nothing and says why.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

struct ssl_ctx_st;  // OpenSSL's SSL_CTX, kept out of every includer

namespace citadel::net::tls {

struct TlsConfig {
  std::string certificate_file;     // PEM: the leaf first, then the chain
  std::string private_key_file;     // PEM
  std::string min_version = "1.2";  // "1.2" or "1.3"
};

using ContextPtr = std::shared_ptr<ssl_ctx_st>;

// Why a config cannot make a context (unreadable file, key not matching the
// certificate, bad version), or nullopt and the context in `out`.
std::optional<std::string> make_server_context(const TlsConfig& config, ContextPtr& out);

// Any thread. Loops read the current context once per new TLS connection
// (not per message), so a mutex is cheap here.
class ContextStore {
 public:
  explicit ContextStore(TlsConfig config) : config_(std::move(config)) {}
  // Loads the files named in the config; nullopt on success.
  std::optional<std::string> load();
  ContextPtr current() const;
  const TlsConfig& config() const { return config_; }
  uint64_t reloads() const;
  uint64_t reload_failures() const;

 private:
  const TlsConfig config_;
  mutable std::mutex mutex_;
  ContextPtr current_;     // guarded by mutex_
  uint64_t loads_ = 0;     // guarded by mutex_
  uint64_t failures_ = 0;  // guarded by mutex_
};

// Whether this kernel offers kernel TLS (the "tls" upper-layer protocol).
bool kernel_tls_available();

}  // namespace citadel::net::tls
