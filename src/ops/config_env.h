// Config keys from the environment: CITADEL_<PATH>, where PATH is the key's
// dotted path in upper case with each '.' written "__" (server.port ->
// CITADEL_SERVER__PORT, chat.messages_per_second ->
// CITADEL_CHAT__MESSAGES_PER_SECOND). For containers and service managers
// that pass settings (and secrets) as variables rather than files.
//
// The order of sources: the config file, then these variables, then the
// command line's flags; a reload applies them again in that order, so a
// variable keeps winning over the file. A variable of that shape naming no
// key is an error (a typo must not be ignored); CITADEL_ variables without
// "__" (the scripts' own switches) are not config and are left alone.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ops/config.h"

namespace citadel::ops {

struct ConfigVariable {
  std::string name;   // CITADEL_SERVER__PORT
  std::string value;  // as given: a number, true/false, a string; a list or
                      // a tree key's value as YAML ("[a, b]")
};

// The variable that sets `path`.
std::string config_variable_name(std::string_view path);

// The config variables among `environment` (NAME=value strings, as environ
// holds them), in the order given.
std::vector<ConfigVariable> config_variables(const char* const* environment);

// Reads each variable into `config` with the key's own type and range
// checks. Throws ConfigError naming the variable and its key.
void apply_config_variables(const std::vector<ConfigVariable>& variables, Config& config);

}  // namespace citadel::ops
