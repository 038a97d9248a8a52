// The client side of TLS for the tools: an OpenSSL SSL_CTX that
// net::tls::TlsSession (memory BIOs, no I/O) runs client sessions from.
//
// Verification is off unless a CA file is given: the tools are aimed at a
// development or benchmark server with a self-signed certificate, and say
// so (docs/client.md, bench/README.md). With `ca_file` the server's chain
// must verify against it and its certificate must name `verify_host` (a DNS
// name, or an IP address checked against the IP SANs).
#pragma once

#include <optional>
#include <string>

#include "net/tls/tls_context.h"

namespace citadel::client::transport {

struct TlsClientConfig {
  std::string ca_file;      // PEM; empty: do not verify the server
  std::string verify_host;  // the name or address to check, with ca_file
};

// nullopt and the context in `out`, or why it could not be made (e.g. an
// unreadable CA file).
std::optional<std::string> make_client_context(const TlsClientConfig& config,
                                               net::tls::ContextPtr& out);

}  // namespace citadel::client::transport
