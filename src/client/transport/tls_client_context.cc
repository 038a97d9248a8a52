#include "client/transport/tls_client_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace citadel::client::transport {

namespace {

std::string openssl_error(std::string_view fallback) {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return std::string(fallback);
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

bool looks_like_ip(const std::string& host) {
  return host.find(':') != std::string::npos ||
         host.find_first_not_of("0123456789.") == std::string::npos;
}

}  // namespace

std::optional<std::string> make_client_context(const TlsClientConfig& config,
                                               net::tls::ContextPtr& out) {
  ERR_clear_error();
  net::tls::ContextPtr ctx(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
  if (!ctx) return "cannot create a TLS context: " + openssl_error("out of memory");
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  if (config.ca_file.empty()) {
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
    out = std::move(ctx);
    return std::nullopt;
  }
  if (SSL_CTX_load_verify_locations(ctx.get(), config.ca_file.c_str(), nullptr) != 1) {
    return "cannot load the CA file '" + config.ca_file + "': " + openssl_error("unreadable");
  }
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  if (!config.verify_host.empty()) {
    X509_VERIFY_PARAM* param = SSL_CTX_get0_param(ctx.get());
    const bool ok = looks_like_ip(config.verify_host)
                        ? X509_VERIFY_PARAM_set1_ip_asc(param, config.verify_host.c_str()) == 1
                        : X509_VERIFY_PARAM_set1_host(param, config.verify_host.c_str(), 0) == 1;
    if (!ok) return "cannot check the server's name against '" + config.verify_host + "'";
  }
  out = std::move(ctx);
  return std::nullopt;
}

}  // namespace citadel::client::transport
