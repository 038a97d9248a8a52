#include "ops/admin/core_metrics.h"

#include <chrono>

namespace citadel::ops::admin {

void write_process_metrics(MetricsWriter& out, const AdminSources& sources, const ProcessStats& p) {
  // The names and meanings of the Prometheus client libraries' process
  // collector, so existing dashboards work unchanged.
  out.family("process_cpu_seconds_total", MetricType::kCounter,
             "User and system CPU time spent, all threads, in seconds.");
  out.sample(p.cpu_seconds);
  out.gauge("process_resident_memory_bytes", "Resident memory size in bytes.",
            static_cast<double>(p.resident_memory_bytes));
  out.gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.",
            static_cast<double>(p.virtual_memory_bytes));
  out.gauge("process_open_fds", "Open file descriptors.", static_cast<double>(p.open_fds));
  out.gauge("process_max_fds", "Open-file limit (RLIMIT_NOFILE, soft).",
            static_cast<double>(p.max_fds));
  out.gauge("process_threads", "Threads in the process.", static_cast<double>(p.threads));
  const auto start = std::chrono::duration<double>(sources.started_wall.time_since_epoch());
  out.gauge("process_start_time_seconds",
            "Start time of the process since the Unix epoch, in seconds.", start.count());
}

void write_core_metrics(MetricsWriter& out, const AdminSources& sources,
                        const net::StatsSnapshot& s, bool draining) {
  out.family("citadel_build_info", MetricType::kGauge, "Always 1; the labels describe the build.");
  out.sample(uint64_t{1}, {{"version", sources.version}});
  out.gauge("citadel_draining", "1 while a graceful shutdown drains connections, else 0.",
            draining ? 1.0 : 0.0);
  out.gauge("citadel_event_loops", "I/O event loops (threads) serving the game port.",
            sources.event_loops);

  out.gauge("citadel_connections_active", "Open client connections.",
            static_cast<double>(s.active_connections));
  out.gauge("citadel_connections_max", "Cap on open client connections (limits.max_connections).",
            sources.max_connections);
  out.counter("citadel_connections_accepted_total", "Client connections accepted and served.",
              s.connections_opened);
  out.counter("citadel_connections_closed_total", "Client connections closed, for any reason.",
              s.connections_closed);
  out.family("citadel_connections_rejected_total", MetricType::kCounter,
             "Connections refused at accept, by reason: server_full (limits.max_connections) or "
             "per_ip_limit (limits.max_connections_per_ip).");
  out.sample(s.rejected_server_full, {{"reason", "server_full"}});
  out.sample(s.rejected_per_ip, {{"reason", "per_ip_limit"}});
  out.counter("citadel_accept_errors_total",
              "accept() failures other than a full server (e.g. out of file descriptors).",
              s.accept_errors);
  out.counter("citadel_idle_timeouts_total",
              "Connections closed because they sent no frame for limits.idle_timeout_ms.",
              s.idle_timeouts);
  out.counter("citadel_login_timeouts_total",
              "Connections closed because they did not log in within limits.login_timeout_ms.",
              s.login_timeouts);
  out.counter("citadel_websocket_upgrades_total",
              "WebSocket handshakes accepted (101) on the game port.", s.websocket_upgrades);
  out.counter("citadel_websocket_handshakes_refused_total",
              "WebSocket upgrade requests refused (4xx) or not finished in time.",
              s.websocket_handshakes_refused);
  out.counter("citadel_websocket_protocol_errors_total",
              "WebSocket connections closed for breaking the framing rules (close 1002, 1003, "
              "1007, 1009).",
              s.websocket_protocol_errors);
  out.counter("citadel_websocket_ping_floods_total",
              "WebSocket connections closed (1008) for sending more pings than "
              "websocket.max_pings_per_second.",
              s.websocket_ping_floods);
  out.counter("citadel_http_static_responses_total",
              "Plain HTTP requests for static files (web.path) answered on the game port, any "
              "status.",
              s.http_static_responses);
  out.counter("citadel_tls_handshakes_total", "TLS handshakes completed on the game port.",
              s.tls_handshakes);
  out.family("citadel_tls_handshakes_failed_total", MetricType::kCounter,
             "TLS handshakes that did not complete, by reason: failed (refused by the TLS "
             "library: not TLS, no common version or cipher), timeout "
             "(tls.handshake_timeout_ms), over_cap (tls.max_concurrent_handshakes).");
  out.sample(s.tls_handshake_failures, {{"reason", "failed"}});
  out.sample(s.tls_handshake_timeouts, {{"reason", "timeout"}});
  out.sample(s.tls_handshakes_refused, {{"reason", "over_cap"}});
  out.counter("citadel_tls_errors_total",
              "TLS connections closed for a bad record after the handshake.", s.tls_errors);
  out.counter("citadel_deliveries_dropped_total",
              "Messages addressed to a connection that had already closed.", s.deliveries_dropped);
  out.counter("citadel_slow_consumer_disconnects_total",
              "Connections dropped because their queued output passed limits.output_queue_bytes.",
              s.slow_consumer_disconnects);

  out.counter("citadel_frames_received_total", "Complete frames received from clients.",
              s.frames_in);
  out.counter("citadel_frames_sent_total", "Frames queued to clients.", s.frames_out);
  out.counter("citadel_received_bytes_total", "Bytes read from client sockets.", s.bytes_in);
  out.counter("citadel_sent_bytes_total", "Bytes written to client sockets.", s.bytes_out);
  out.counter("citadel_read_syscalls_total", "recv() calls on client sockets.", s.read_calls);
  out.counter("citadel_write_syscalls_total",
              "Sends on client sockets: sendmsg() calls plus sends inside io_uring batches.",
              s.write_calls);
  out.counter("citadel_send_batches_total",
              "io_uring submissions, each carrying the sends of many connections.", s.send_batches);
  out.counter("citadel_loop_coalesced_sleeps_total",
              "Sleeps of server.wake_coalesce_us a busy loop took before waiting for I/O again.",
              s.coalesced_sleeps);
  out.counter("citadel_loop_events_before_timers_total",
              "I/O events a loop turn handled in its extra polls just before running its due "
              "timers (room ticks): input that arrived during the turn and still made its tick.",
              s.events_before_timers);
  out.family("citadel_protocol_errors_total", MetricType::kCounter,
             "Frames that broke the wire protocol, by kind; each closes its connection.");
  out.sample(s.protocol_errors_bad_magic, {{"kind", "bad_magic"}});
  out.sample(s.protocol_errors_frame_too_large, {{"kind", "frame_too_large"}});
  out.counter("citadel_unknown_commands_total",
              "Frames with a command no handler serves (answered with ERROR 3; the connection "
              "stays open).",
              s.unknown_commands);
  out.gauge("citadel_output_queue_bytes", "Bytes queued for clients and not yet written.",
            static_cast<double>(s.output_queue_bytes));

  out.family("citadel_handler_batch_duration_seconds", MetricType::kHistogram,
             "Time to dispatch one read batch (every frame of one recv) to the handlers.");
  out.histogram_seconds(s.handler_time);
  out.family("citadel_event_loop_lag_seconds", MetricType::kHistogram,
             "How late each loop's 100 ms probe timer fires: how long a ready event can wait.");
  out.histogram_seconds(s.loop_lag);
}

}  // namespace citadel::ops::admin
