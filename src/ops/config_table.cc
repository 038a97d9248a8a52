#include "ops/config_table.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <limits>
#include <type_traits>

#include "ops/config.h"

namespace citadel::ops::config_table {
namespace {

[[noreturn]] void fail(const std::string& key, const std::string& problem) {
  throw ConfigError(key + ": " + problem);
}

// yaml-cpp would happily wrap "-1" into a huge unsigned value, so the text
// is checked first.
uint64_t read_uint(const YAML::Node& node, const std::string& key, uint64_t lo, uint64_t hi) {
  if (!node.IsScalar()) fail(key, "expected a number");
  const std::string& text = node.Scalar();
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) {
    fail(key, "expected a non-negative integer, got '" + text + "'");
  }
  uint64_t value = 0;
  try {
    value = std::stoull(text);
  } catch (const std::exception&) {
    fail(key, "number out of range: '" + text + "'");
  }
  if (value < lo || value > hi) {
    fail(key,
         "must be between " + std::to_string(lo) + " and " + std::to_string(hi) + ", got " + text);
  }
  return value;
}

bool read_bool(const YAML::Node& node, const std::string& key) {
  if (!node.IsScalar()) fail(key, "expected true or false");
  const std::string& text = node.Scalar();
  if (text == "true") return true;
  if (text == "false") return false;
  fail(key, "expected true or false, got '" + text + "'");
}

std::string read_string(const YAML::Node& node, const std::string& key) {
  if (node.IsNull()) return {};
  if (!node.IsScalar()) fail(key, "expected a string");
  return node.Scalar();
}

std::vector<std::string> read_string_list(const YAML::Node& node, const std::string& key) {
  std::vector<std::string> out;
  if (node.IsNull()) return out;
  if (!node.IsSequence()) fail(key, "expected a list of strings");
  for (std::size_t i = 0; i < node.size(); ++i) {
    if (!node[i].IsScalar()) fail(key + "[" + std::to_string(i) + "]", "expected a string");
    out.push_back(node[i].Scalar());
  }
  return out;
}

void emit(YAML::Emitter& out, ValueRef ref) {
  std::visit(
      [&](auto* v) {
        using T = std::remove_pointer_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          if (v->empty()) {
            out << YAML::DoubleQuoted << "";
          } else {
            out << *v;
          }
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          out << YAML::Flow << *v;
        } else if constexpr (std::is_same_v<T, bool>) {
          out << *v;
        } else {
          out << static_cast<uint64_t>(*v);
        }
      },
      ref);
}

std::vector<std::string_view> split(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t at = 0;
  for (;;) {
    const std::size_t dot = path.find('.', at);
    parts.push_back(path.substr(at, dot == std::string_view::npos ? dot : dot - at));
    if (dot == std::string_view::npos) return parts;
    at = dot + 1;
  }
}

void walk_map(const YAML::Node& node, const std::string& prefix,
              const std::function<bool(std::string_view)>& is_key,
              const std::function<bool(std::string_view)>& is_section,
              const std::function<void(const std::string&, const YAML::Node&)>& leaf) {
  for (const auto& entry : node) {
    const std::string name = entry.first.as<std::string>();
    const std::string path = prefix.empty() ? name : prefix + "." + name;
    if (is_key(path)) {
      leaf(path, entry.second);
    } else if (is_section(path)) {
      if (!entry.second || entry.second.IsNull()) continue;
      if (!entry.second.IsMap()) fail(path, "expected a mapping");
      walk_map(entry.second, path, is_key, is_section, leaf);
    } else {
      fail(path, "unknown key");
    }
  }
}

}  // namespace

void read_value(const YAML::Node& node, const std::string& key, ValueRef ref, uint64_t min,
                uint64_t max) {
  std::visit(
      [&](auto* v) {
        using T = std::remove_pointer_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool>) {
          *v = read_bool(node, key);
        } else if constexpr (std::is_same_v<T, std::string>) {
          *v = read_string(node, key);
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          *v = read_string_list(node, key);
        } else {
          const uint64_t hi = std::min<uint64_t>(max, std::numeric_limits<T>::max());
          *v = static_cast<T>(read_uint(node, key, min, hi));
        }
      },
      ref);
}

std::string show_value(ValueRef ref) {
  YAML::Emitter out;
  emit(out, ref);
  return out.c_str();
}

bool same_value(ValueRef a, ValueRef b) {
  if (a.index() != b.index()) return false;
  return std::visit(
      [&](auto* x) {
        using P = decltype(x);
        return *x == *std::get<P>(b);
      },
      a);
}

std::string emit_yaml(const std::vector<std::string>& paths, const std::vector<ValueRef>& values,
                      const std::vector<std::string>& trees) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  std::vector<std::string_view> open;  // the sections open, outermost first
  for (std::size_t i = 0; i < paths.size(); ++i) {
    const std::vector<std::string_view> parts = split(paths[i]);
    const std::vector<std::string_view> sections(parts.begin(), parts.end() - 1);
    std::size_t common = 0;
    while (common < open.size() && common < sections.size() && open[common] == sections[common]) {
      ++common;
    }
    while (open.size() > common) {
      out << YAML::EndMap;
      open.pop_back();
    }
    for (std::size_t s = common; s < sections.size(); ++s) {
      out << YAML::Key << std::string(sections[s]) << YAML::Value << YAML::BeginMap;
      open.push_back(sections[s]);
    }
    out << YAML::Key << std::string(parts.back()) << YAML::Value;
    if (!trees[i].empty()) {
      out << YAML::Load(trees[i]);
    } else {
      emit(out, values[i]);
    }
  }
  while (!open.empty()) {
    out << YAML::EndMap;
    open.pop_back();
  }
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

void walk(const YAML::Node& root, const std::function<bool(std::string_view path)>& is_key,
          const std::function<bool(std::string_view prefix)>& is_section,
          const std::function<void(const std::string& path, const YAML::Node& node)>& leaf) {
  if (!root || root.IsNull()) return;
  if (!root.IsMap()) throw ConfigError("config: expected a mapping at the top level");
  walk_map(root, "", is_key, is_section, leaf);
}

}  // namespace citadel::ops::config_table
