// A config described by one table of keys: each key's dotted path, type,
// range, whether a running server can take a new value, and where the value
// lives in the config struct. Parsing, --print-config, the key list in
// docs/operations.md and the diff a reload applies all walk this one table,
// so a key added to it is parsed, printed, documented and reloadable (or
// named as needing a restart) without touching anything else.
//
// Knows nothing of any subsystem: ops/config_keys.cc holds Citadel's table.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace YAML {
class Node;
}

namespace citadel::ops {

// When a new value of a key takes effect.
enum class Applies : uint8_t {
  kAtStart,  // read once at start-up: a reload logs "needs restart" and keeps the running value
  kLive,     // a reload applies it to the running server
};

// Where a key's value lives. Integers carry their range in the key.
using ValueRef =
    std::variant<bool*, uint16_t*, uint32_t*, uint64_t*, std::string*, std::vector<std::string>*>;

template <class Config>
struct ConfigKey {
  std::string path;  // "chat.messages_per_second"
  std::function<ValueRef(Config&)> at;
  uint64_t min = 0;  // integers only
  uint64_t max = 0;
  Applies applies = Applies::kAtStart;
  std::string help;     // one line for the docs' key list
  bool secret = false;  // shown as "(set)" over HTTP and in reload logs
  // A key whose value is a YAML tree (a list of mappings, say) rather than
  // one value: read from its node, and held as YAML text (flow style) that
  // --print-config emits again and a reload compares. Both set, or neither
  // (then `at` is used). Such keys apply at start only.
  std::function<void(const YAML::Node&, const std::string& key, Config&)> read_tree;
  std::function<std::string(const Config&)> tree_text;
};

// One key whose value differs between two configs.
struct ChangedKey {
  std::string path;
  std::string was;  // printed values; secrets as "(set)" / ""
  std::string now;
  Applies applies = Applies::kAtStart;
};

namespace config_table {

// Reads one scalar (or list) into `ref`, checking type and range. Throws
// ConfigError("<key>: <problem>").
void read_value(const YAML::Node& node, const std::string& key, ValueRef ref, uint64_t min,
                uint64_t max);
// The value as YAML text would show it (strings unquoted; empty as "").
std::string show_value(ValueRef ref);
bool same_value(ValueRef a, ValueRef b);
// Writes `path: value` lines as nested YAML. `paths[i]`'s value is
// `values[i]`; paths of one section must be adjacent.
// A tree key's value is trees[i] (YAML text) instead, where that is not empty.
std::string emit_yaml(const std::vector<std::string>& paths, const std::vector<ValueRef>& values,
                      const std::vector<std::string>& trees);
// Walks a parsed YAML document: calls `leaf(path, node)` for each key the
// table knows, throws ConfigError for any other (with its dotted path), for
// a section that is not a mapping, and for a top level that is not one.
void walk(const YAML::Node& root, const std::function<bool(std::string_view path)>& is_key,
          const std::function<bool(std::string_view prefix)>& is_section,
          const std::function<void(const std::string& path, const YAML::Node& node)>& leaf);

}  // namespace config_table

// The table for one Config type.
template <class Config>
class ConfigTable {
 public:
  explicit ConfigTable(std::vector<ConfigKey<Config>> keys) : keys_(std::move(keys)) {}
  const std::vector<ConfigKey<Config>>& keys() const { return keys_; }

  const ConfigKey<Config>* find(std::string_view path) const {
    for (const auto& k : keys_) {
      if (k.path == path) return &k;
    }
    return nullptr;
  }

  // Reads every key present in `root` into `config` (absent keys keep what
  // `config` holds). Throws ConfigError naming the key.
  void read(const YAML::Node& root, Config& config) const {
    config_table::walk(
        root, [this](std::string_view p) { return find(p) != nullptr; },
        [this](std::string_view prefix) {
          for (const auto& k : keys_) {
            if (k.path.size() > prefix.size() && k.path.starts_with(prefix) &&
                k.path[prefix.size()] == '.') {
              return true;
            }
          }
          return false;
        },
        [&](const std::string& path, const YAML::Node& node) {
          const ConfigKey<Config>& k = *find(path);
          if (k.read_tree) {
            k.read_tree(node, path, config);
          } else {
            config_table::read_value(node, path, k.at(config), k.min, k.max);
          }
        });
  }

  // Every key, as nested YAML (what --print-config shows).
  std::string to_yaml(const Config& config) const {
    Config& c = const_cast<Config&>(config);  // ValueRef is a non-const view; only read here
    std::vector<std::string> paths;
    std::vector<ValueRef> values;
    std::vector<std::string> trees;
    for (const auto& k : keys_) {
      paths.push_back(k.path);
      values.push_back(k.tree_text ? ValueRef(static_cast<bool*>(nullptr)) : k.at(c));
      trees.push_back(k.tree_text ? k.tree_text(config) : std::string());
    }
    return config_table::emit_yaml(paths, values, trees);
  }

  // The keys whose values differ, in table order.
  std::vector<ChangedKey> diff(const Config& running, const Config& next) const {
    Config& a = const_cast<Config&>(running);  // only read
    Config& b = const_cast<Config&>(next);
    std::vector<ChangedKey> out;
    for (const auto& k : keys_) {
      if (k.tree_text) {
        const std::string was = k.tree_text(running);
        const std::string now = k.tree_text(next);
        if (was != now) out.push_back({k.path, was, now, k.applies});
        continue;
      }
      if (config_table::same_value(k.at(a), k.at(b))) continue;
      out.push_back({k.path, shown(k, k.at(a)), shown(k, k.at(b)), k.applies});
    }
    return out;
  }

  // Copies the value of every live key from `from` into `into`.
  void copy_live(const Config& from, Config& into) const {
    Config& f = const_cast<Config&>(from);  // only read
    for (const auto& k : keys_) {
      if (k.applies != Applies::kLive || k.tree_text) continue;
      std::visit(
          [&](auto* dst) {
            using T = std::remove_pointer_t<decltype(dst)>;
            *dst = *std::get<T*>(k.at(f));
          },
          k.at(into));
    }
  }

  // The key list docs/operations.md carries: a Markdown table of every key
  // with its default (from `defaults`), range, when it applies, and help.
  std::string markdown(const Config& defaults) const {
    Config& d = const_cast<Config&>(defaults);  // only read
    std::string out = "| key | default | range | reload | what |\n|---|---|---|---|---|\n";
    for (const auto& k : keys_) {
      if (k.tree_text) {
        out += "| `" + k.path + "` | `" + k.tree_text(defaults) + "` |  | " +
               (k.applies == Applies::kLive ? "live" : "restart") + " | " + k.help + " |\n";
        continue;
      }
      const ValueRef v = k.at(d);
      const bool integer = !std::holds_alternative<bool*>(v) &&
                           !std::holds_alternative<std::string*>(v) &&
                           !std::holds_alternative<std::vector<std::string>*>(v);
      out += "| `" + k.path + "` | `" + config_table::show_value(v) + "` | " +
             (integer ? std::to_string(k.min) + " .. " + std::to_string(k.max) : "") + " | " +
             (k.applies == Applies::kLive ? "live" : "restart") + " | " + k.help + " |\n";
    }
    return out;
  }

  // The value as shown over HTTP and in logs: secrets hidden.
  static std::string shown(const ConfigKey<Config>& k, ValueRef v) {
    std::string text = config_table::show_value(v);
    if (k.secret && text != "\"\"") return "(set)";
    return text;
  }

 private:
  std::vector<ConfigKey<Config>> keys_;
};

}  // namespace citadel::ops
