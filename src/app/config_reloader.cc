#include "app/config_reloader.h"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "ops/admin/metrics_writer.h"
#include "ops/json_escape.h"

namespace citadel::app {
namespace {

std::string json_quoted(std::string_view text) {
  std::string out;
  ops::append_json_quoted(out, text);
  return out;
}

std::string keys_json(const std::vector<ops::ChangedKey>& keys) {
  std::string out = "[";
  for (const ops::ChangedKey& k : keys) {
    if (out.size() > 1) out += ",";
    out += fmt::format(R"({{"key":{},"was":{},"now":{}}})", json_quoted(k.path), json_quoted(k.was),
                       json_quoted(k.now));
  }
  return out + "]";
}

}  // namespace

ConfigReloader::ConfigReloader(ops::Config running, Sources sources)
    : sources_(std::move(sources)), running_(std::move(running)) {}

ConfigReloader::Outcome ConfigReloader::reload(std::string_view trigger) {
  std::lock_guard lock(mutex_);
  Outcome outcome;
  ++reloads_;
  ops::Config next;
  try {
    // The file is read here, not on a loop: disk I/O stays off the game.
    next = sources_.file.empty() ? ops::Config{} : ops::load_config_file(sources_.file);
    if (sources_.apply_overrides) sources_.apply_overrides(next);
    ops::validate(next);
  } catch (const std::exception& e) {
    ++failures_;
    last_error_ = e.what();
    outcome.error = last_error_;
    outcome.version = version_;
    spdlog::error("config reload ({}): {}; keeping the running config (version {})", trigger,
                  last_error_, version_);
    return outcome;
  }
  const auto& table = ops::config_keys();
  for (ops::ChangedKey& k : table.diff(running_, next)) {
    (k.applies == ops::Applies::kLive ? outcome.applied : outcome.restart).push_back(std::move(k));
  }
  for (const ops::ChangedKey& k : outcome.restart) {
    spdlog::warn(
        "config reload ({}): {} changed ({} -> {}): needs restart; keeping the running "
        "value",
        trigger, k.path, k.was, k.now);
  }
  last_error_.clear();
  last_restart_keys_.clear();
  for (const ops::ChangedKey& k : outcome.restart) last_restart_keys_.push_back(k.path);
  if (!outcome.applied.empty()) {
    // Only the live keys move; the rest keeps what the server started with.
    table.copy_live(next, running_);
    if (sources_.apply_live) sources_.apply_live(running_);
    ++version_;
    loaded_at_ = std::chrono::system_clock::now();
    for (const ops::ChangedKey& k : outcome.applied) {
      spdlog::info("config reload ({}): {}: {} -> {}", trigger, k.path, k.was, k.now);
    }
  }
  spdlog::info("config reload ({}): {} applied, {} need a restart; running version {}", trigger,
               outcome.applied.size(), outcome.restart.size(), version_);
  outcome.ok = true;
  outcome.version = version_;
  return outcome;
}

std::string ConfigReloader::outcome_json(const Outcome& o) {
  return fmt::format(R"({{"ok":{},"version":{},"error":{},"applied":{},"needs_restart":{}}})", o.ok,
                     o.version, json_quoted(o.error), keys_json(o.applied), keys_json(o.restart)) +
         "\n";
}

std::string ConfigReloader::status_json() const {
  std::lock_guard lock(mutex_);
  const auto& table = ops::config_keys();
  ops::Config& running = const_cast<ops::Config&>(running_);  // only read
  std::string values = "{";
  for (const auto& k : table.keys()) {
    if (values.size() > 1) values += ",";
    values += json_quoted(k.path) + ":" +
              json_quoted(k.tree_text ? k.tree_text(running) : table.shown(k, k.at(running)));
  }
  values += "}";
  std::string restart = "[";
  for (const std::string& k : last_restart_keys_) {
    if (restart.size() > 1) restart += ",";
    restart += json_quoted(k);
  }
  restart += "]";
  return fmt::format(
             R"({{"version":{},"source":{},"loaded_at":{},"reloads":{},"reload_failures":{},)"
             R"("last_error":{},"needs_restart":{},"values":{}}})",
             version_, json_quoted(sources_.file.empty() ? "defaults" : sources_.file),
             json_quoted(
                 fmt::format("{:%FT%TZ}", std::chrono::floor<std::chrono::seconds>(loaded_at_))),
             reloads_, failures_, json_quoted(last_error_), restart, values) +
         "\n";
}

uint64_t ConfigReloader::version() const {
  std::lock_guard lock(mutex_);
  return version_;
}

void ConfigReloader::write_metrics(ops::admin::MetricsWriter& out) const {
  std::lock_guard lock(mutex_);
  out.counter("citadel_config_reloads_total",
              "Config reloads asked for (SIGHUP or POST /config/reload), failed ones included.",
              reloads_);
  out.counter("citadel_config_reload_failures_total",
              "Config reloads that changed nothing because the file did not read, parse or "
              "validate.",
              failures_);
  out.gauge("citadel_config_version",
            "The running config's version: 1 at start, one more per reload that changed a key.",
            static_cast<double>(version_));
}

}  // namespace citadel::app
