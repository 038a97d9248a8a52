#include "net/tls/tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <fstream>

namespace citadel::net::tls {

namespace {

// The oldest queued OpenSSL error as text (and the queue cleared), or `fallback`.
std::string openssl_error(std::string_view fallback) {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return std::string(fallback);
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

}  // namespace

std::optional<std::string> make_server_context(const TlsConfig& config, ContextPtr& out) {
  ERR_clear_error();
  ContextPtr ctx(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  if (!ctx) return "cannot create a TLS context: " + openssl_error("out of memory");
  int min_version = 0;
  if (config.min_version == "1.2") {
    min_version = TLS1_2_VERSION;
  } else if (config.min_version == "1.3") {
    min_version = TLS1_3_VERSION;
  } else {
    return "min_version must be \"1.2\" or \"1.3\", not \"" + config.min_version + "\"";
  }
  SSL_CTX_set_min_proto_version(ctx.get(), min_version);
  // Buffers are freed while a connection is idle: thousands of quiet
  // players must not each hold 34 KiB of record buffers.
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_RELEASE_BUFFERS);
  // No renegotiation (a CPU-exhaustion vector, and nothing here needs it),
  // no session tickets state on the server beyond OpenSSL's defaults.
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (config.certificate_file.empty() || config.private_key_file.empty()) {
    return "certificate_file and private_key_file must both be set";
  }
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), config.certificate_file.c_str()) != 1) {
    return "cannot load certificate_file '" + config.certificate_file +
           "': " + openssl_error("unreadable");
  }
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), config.private_key_file.c_str(), SSL_FILETYPE_PEM) !=
      1) {
    if (ERR_GET_REASON(ERR_peek_error()) == X509_R_KEY_VALUES_MISMATCH) {
      ERR_clear_error();
      return "private_key_file '" + config.private_key_file +
             "' does not match certificate_file '" + config.certificate_file + "'";
    }
    return "cannot load private_key_file '" + config.private_key_file +
           "': " + openssl_error("unreadable");
  }
  if (SSL_CTX_check_private_key(ctx.get()) != 1) {
    return "private_key_file does not match certificate_file: " + openssl_error("mismatch");
  }
  out = std::move(ctx);
  return std::nullopt;
}

std::optional<std::string> ContextStore::load() {
  ContextPtr fresh;
  auto problem = make_server_context(config_, fresh);
  std::lock_guard lock(mutex_);
  if (problem) {
    ++failures_;
    return problem;
  }
  current_ = std::move(fresh);
  ++loads_;
  return std::nullopt;
}

ContextPtr ContextStore::current() const {
  std::lock_guard lock(mutex_);
  return current_;
}

uint64_t ContextStore::reloads() const {
  std::lock_guard lock(mutex_);
  return loads_ > 0 ? loads_ - 1 : 0;
}

uint64_t ContextStore::reload_failures() const {
  std::lock_guard lock(mutex_);
  return failures_;
}

bool kernel_tls_available() {
  std::ifstream ulps("/proc/sys/net/ipv4/tcp_available_ulp");
  std::string name;
  while (ulps >> name) {
    if (name == "tls") return true;
  }
  return false;
}

}  // namespace citadel::net::tls
