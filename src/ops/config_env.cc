#include "ops/config_env.h"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <variant>

namespace citadel::ops {

namespace {

constexpr std::string_view kPrefix = "CITADEL_";
constexpr std::string_view kDot = "__";

// CITADEL_CHAT__MESSAGES_PER_SECOND -> chat.messages_per_second
std::string path_of(std::string_view name) {
  std::string path;
  std::string_view rest = name.substr(kPrefix.size());
  for (std::size_t at = 0; at < rest.size();) {
    if (rest.substr(at, kDot.size()) == kDot) {
      path += '.';
      at += kDot.size();
    } else {
      path += static_cast<char>(std::tolower(static_cast<unsigned char>(rest[at])));
      ++at;
    }
  }
  return path;
}

bool is_config_variable(std::string_view name) {
  return name.starts_with(kPrefix) && name.find(kDot, kPrefix.size()) != std::string_view::npos;
}

}  // namespace

std::string config_variable_name(std::string_view path) {
  std::string name(kPrefix);
  for (char c : path) {
    if (c == '.') {
      name += kDot;
    } else {
      name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
  }
  return name;
}

std::vector<ConfigVariable> config_variables(const char* const* environment) {
  std::vector<ConfigVariable> out;
  for (; environment != nullptr && *environment != nullptr; ++environment) {
    const std::string_view entry(*environment);
    const std::size_t eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string_view name = entry.substr(0, eq);
    if (!is_config_variable(name)) continue;
    out.push_back({std::string(name), std::string(entry.substr(eq + 1))});
  }
  return out;
}

void apply_config_variables(const std::vector<ConfigVariable>& variables, Config& config) {
  const auto& table = config_keys();
  for (const ConfigVariable& v : variables) {
    const std::string path = path_of(v.name);
    const ConfigKey<Config>* key = table.find(path);
    if (key == nullptr) {
      throw ConfigError(v.name + ": no config key " + path +
                        " (variables are CITADEL_ and the key's path in upper case, "
                        "'.' written as '__')");
    }
    const std::string label = v.name + " (" + path + ")";
    // Scalars as given, so a string such as a password is never read as
    // YAML; a list or a tree key's value is YAML (flow style).
    const bool yaml =
        key->read_tree || std::holds_alternative<std::vector<std::string>*>(key->at(config));
    YAML::Node node;
    if (yaml) {
      try {
        node = YAML::Load(v.value);
      } catch (const YAML::Exception& e) {
        throw ConfigError(label + ": invalid YAML: " + e.what());
      }
    } else {
      node = YAML::Node(v.value);
    }
    if (key->read_tree) {
      key->read_tree(node, label, config);
    } else {
      config_table::read_value(node, label, key->at(config), key->min, key->max);
    }
  }
}

}  // namespace citadel::ops
