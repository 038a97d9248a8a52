#include "net/loop_stats.h"

namespace citadel::net {

void StatsSnapshot::add(const LoopStats& s) {
  frames_in += s.frames_in.get();
  frames_out += s.frames_out.get();
  bytes_in += s.bytes_in.get();
  bytes_out += s.bytes_out.get();
  read_calls += s.read_calls.get();
  write_calls += s.write_calls.get();
  send_batches += s.send_batches.get();
  coalesced_sleeps += s.coalesced_sleeps.get();
  events_before_timers += s.events_before_timers.get();
  connections_opened += s.connections_opened.get();
  connections_closed += s.connections_closed.get();
  active_connections += s.active_connections.get();
  unknown_commands += s.unknown_commands.get();
  protocol_errors_bad_magic += s.protocol_errors_bad_magic.get();
  protocol_errors_frame_too_large += s.protocol_errors_frame_too_large.get();
  slow_consumer_disconnects += s.slow_consumer_disconnects.get();
  idle_timeouts += s.idle_timeouts.get();
  login_timeouts += s.login_timeouts.get();
  websocket_upgrades += s.websocket_upgrades.get();
  websocket_handshakes_refused += s.websocket_handshakes_refused.get();
  websocket_protocol_errors += s.websocket_protocol_errors.get();
  websocket_ping_floods += s.websocket_ping_floods.get();
  http_static_responses += s.http_static_responses.get();
  tls_handshakes += s.tls_handshakes.get();
  tls_handshake_failures += s.tls_handshake_failures.get();
  tls_handshake_timeouts += s.tls_handshake_timeouts.get();
  tls_handshakes_refused += s.tls_handshakes_refused.get();
  tls_errors += s.tls_errors.get();
  rejected_server_full += s.rejected_server_full.get();
  rejected_per_ip += s.rejected_per_ip.get();
  accept_errors += s.accept_errors.get();
  deliveries_dropped += s.deliveries_dropped.get();
  output_queue_bytes += s.output_queue_bytes.get();
  s.handler_time.add_to(handler_time);
  s.loop_lag.add_to(loop_lag);
}

}  // namespace citadel::net
