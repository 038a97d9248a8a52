// Command line and config file: --print-config, --version, and bad configs
// stopping start-up with exit code 2 and the offending key named on stderr.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "fixture.h"

namespace citadel::test {
namespace {

std::string both(const RunResult& r) {
  return r.stdout_text + r.stderr_text;
}

testing::AssertionResult ExitedWith(const RunResult& r, int code) {
  if (!r.status) return testing::AssertionFailure() << "did not exit within the timeout (killed)";
  if (!r.status->exited || r.status->code != code) {
    return testing::AssertionFailure()
           << "expected exit code " << code << ", got " << r.status->describe() << "\nstdout:\n"
           << r.stdout_text << "\nstderr:\n"
           << r.stderr_text;
  }
  return testing::AssertionSuccess();
}

TEST(ConfigCli, PrintConfigShowsTheDefaults) {
  const RunResult r = run_server_to_completion({"--print-config"});
  ASSERT_TRUE(ExitedWith(r, 0));
  for (const char* line :
       {"idle_timeout_ms: 30000", "max_payload_bytes: 65536", "port: 7777",
        "max_connections_per_ip: 1000", "output_queue_bytes: 1048576", "drain_timeout_ms: 5000",
        "protocol_errors_per_second: 20", "file_max_files: 3", "level: info"}) {
    EXPECT_NE(r.stdout_text.find(line), std::string::npos) << "missing '" << line << "' in:\n"
                                                           << r.stdout_text;
  }
}

TEST(ConfigCli, PrintConfigShowsValuesFromTheConfigFile) {
  TempFile config(
      "limits:\n"
      "  idle_timeout_ms: 1234\n"
      "  max_connections: 77\n"
      "shutdown:\n"
      "  drain_timeout_ms: 250\n");
  const RunResult r = run_server_to_completion({"--config", config.path(), "--print-config"});
  ASSERT_TRUE(ExitedWith(r, 0));
  EXPECT_NE(r.stdout_text.find("idle_timeout_ms: 1234"), std::string::npos) << r.stdout_text;
  EXPECT_NE(r.stdout_text.find("max_connections: 77"), std::string::npos) << r.stdout_text;
  EXPECT_NE(r.stdout_text.find("drain_timeout_ms: 250"), std::string::npos) << r.stdout_text;
  // Keys not in the file keep their defaults.
  EXPECT_NE(r.stdout_text.find("max_payload_bytes: 65536"), std::string::npos) << r.stdout_text;
}

TEST(ConfigCli, PrintConfigAppliesCommandLineOverFile) {
  TempFile config("server:\n  port: 1111\n  threads: 1\n");
  const RunResult r =
      run_server_to_completion({"--config", config.path(), "--port", "9999", "--threads", "3",
                                "--log-level", "warn", "--print-config"});
  ASSERT_TRUE(ExitedWith(r, 0));
  EXPECT_NE(r.stdout_text.find("port: 9999"), std::string::npos) << r.stdout_text;
  EXPECT_NE(r.stdout_text.find("threads: 3"), std::string::npos) << r.stdout_text;
  EXPECT_NE(r.stdout_text.find("level: warn"), std::string::npos) << r.stdout_text;
}

TEST(ConfigCli, EnvironmentVariablesOverrideTheFileAndFlagsOverrideBoth) {
  TempFile config("server:\n  port: 1111\nlimits:\n  idle_timeout_ms: 1234\n");
  ScopedVariable port("CITADEL_SERVER__PORT", "2222");
  ScopedVariable idle("CITADEL_LIMITS__IDLE_TIMEOUT_MS", "4321");
  ScopedVariable script("CITADEL_SKIP_SOMETHING", "1");  // no "__": not config, ignored
  const RunResult from_env =
      run_server_to_completion({"--config", config.path(), "--print-config"});
  ASSERT_TRUE(ExitedWith(from_env, 0));
  EXPECT_NE(from_env.stdout_text.find("port: 2222"), std::string::npos) << from_env.stdout_text;
  EXPECT_NE(from_env.stdout_text.find("idle_timeout_ms: 4321"), std::string::npos)
      << from_env.stdout_text;
  const RunResult from_flag =
      run_server_to_completion({"--config", config.path(), "--port", "9999", "--print-config"});
  ASSERT_TRUE(ExitedWith(from_flag, 0));
  EXPECT_NE(from_flag.stdout_text.find("port: 9999"), std::string::npos) << from_flag.stdout_text;
  EXPECT_NE(from_flag.stdout_text.find("idle_timeout_ms: 4321"), std::string::npos)
      << from_flag.stdout_text;
}

TEST(ConfigCli, ABadOrUnknownEnvironmentVariableStopsStartUpNamingIt) {
  {
    ScopedVariable bad("CITADEL_SERVER__PORT", "70000");
    const RunResult r = run_server_to_completion({"--print-config"});
    ASSERT_TRUE(ExitedWith(r, 2));
    EXPECT_NE(r.stderr_text.find("CITADEL_SERVER__PORT (server.port)"), std::string::npos)
        << r.stderr_text;
  }
  ScopedVariable typo("CITADEL_SERVER__PROT", "7000");
  const RunResult r = run_server_to_completion({"--print-config"});
  ASSERT_TRUE(ExitedWith(r, 2));
  EXPECT_NE(r.stderr_text.find("CITADEL_SERVER__PROT: no config key server.prot"),
            std::string::npos)
      << r.stderr_text;
}

TEST(ConfigCli, PrintConfigOutputIsItselfAValidConfig) {
  TempFile config("limits:\n  idle_timeout_ms: 4321\n");
  const RunResult first = run_server_to_completion({"--config", config.path(), "--print-config"});
  ASSERT_TRUE(ExitedWith(first, 0));
  TempFile round_trip(first.stdout_text);
  const RunResult second =
      run_server_to_completion({"--config", round_trip.path(), "--print-config"});
  ASSERT_TRUE(ExitedWith(second, 0));
  EXPECT_EQ(second.stdout_text, first.stdout_text);
}

TEST(ConfigCli, EmptyConfigFileMeansAllDefaults) {
  TempFile empty("");
  const RunResult from_empty =
      run_server_to_completion({"--config", empty.path(), "--print-config"});
  ASSERT_TRUE(ExitedWith(from_empty, 0));
  const RunResult defaults = run_server_to_completion({"--print-config"});
  ASSERT_TRUE(ExitedWith(defaults, 0));
  EXPECT_EQ(from_empty.stdout_text, defaults.stdout_text);
}

TEST(ConfigCli, BoundaryValuesAreAccepted) {
  TempFile config(
      "server:\n"
      "  port: 65535\n"
      "  threads: 256\n"
      "limits:\n"
      "  max_payload_bytes: 16777216\n"   // 16 MiB, the ceiling
      "  output_queue_bytes: 33554432\n"  // must hold one maximum-size reply
      "  idle_timeout_ms: 0\n"
      "  max_connections: 0\n"
      "  max_connections_per_ip: 0\n"
      "log:\n"
      "  level: off\n");
  const RunResult r = run_server_to_completion({"--config", config.path(), "--print-config"});
  ASSERT_TRUE(ExitedWith(r, 0));
  EXPECT_NE(r.stdout_text.find("port: 65535"), std::string::npos) << r.stdout_text;
  EXPECT_NE(r.stdout_text.find("threads: 256"), std::string::npos) << r.stdout_text;
  EXPECT_NE(r.stdout_text.find("max_payload_bytes: 16777216"), std::string::npos) << r.stdout_text;
}

// docs/operations.md carries the key list --config-keys prints, between two
// markers: a key added to the table without the docs fails here.
TEST(ConfigCli, TheOperationsGuideListsEveryKeyAsTheServerDoes) {
  const RunResult r = run_server_to_completion({"--config-keys"});
  ASSERT_TRUE(ExitedWith(r, 0));
  std::ifstream in(std::filesystem::path(CITADEL_SOURCE_DIR) / "docs" / "operations.md");
  ASSERT_TRUE(in.good());
  const std::string docs((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string begin = "<!-- config-keys:begin (generated by citadel --config-keys) -->\n";
  const auto from = docs.find(begin);
  const auto to = docs.find("<!-- config-keys:end -->");
  ASSERT_NE(from, std::string::npos);
  ASSERT_NE(to, std::string::npos);
  EXPECT_EQ(docs.substr(from + begin.size(), to - from - begin.size()), r.stdout_text)
      << "regenerate the table: citadel --config-keys";
  EXPECT_NE(r.stdout_text.find("| `chat.messages_per_second` | `5` | 1 .. 1000000 | live |"),
            std::string::npos);
  EXPECT_NE(r.stdout_text.find("| `server.threads` | `0` | 0 .. 256 | restart |"),
            std::string::npos);
}

TEST(ConfigCli, VersionExitsZeroAndPrintsSomething) {
  const RunResult r = run_server_to_completion({"--version"});
  ASSERT_TRUE(ExitedWith(r, 0));
  EXPECT_FALSE(both(r).empty());
}

TEST(ConfigCli, MissingConfigFileFailsNamingThePath) {
  const std::string path = "/tmp/citadel-it-does-not-exist.yaml";
  const RunResult r =
      run_server_to_completion({"--config", path, "--host", "127.0.0.1", "--port", "0"}, 5s);
  ASSERT_TRUE(r.status.has_value()) << "server started without its config file";
  EXPECT_FALSE(r.status->exited && r.status->code == 0) << r.status->describe();
  EXPECT_NE(r.stderr_text.find(path), std::string::npos) << r.stderr_text;
}

// --- one case per rule: exit code 2 and the key path on stderr ----------------

struct BadConfig {
  const char* name;  // test name suffix
  const char* yaml;
  const char* key;  // must appear on stderr
};

void PrintTo(const BadConfig& c, std::ostream* os) {
  *os << c.name;
}

class ConfigErrors : public testing::TestWithParam<BadConfig> {};

TEST_P(ConfigErrors, Exits2NamingTheKey) {
  const BadConfig& c = GetParam();
  TempFile config(c.yaml);
  // Started for real (not --print-config): start-up itself must refuse. If the
  // server wrongly accepts the file it runs until the timeout and is killed.
  const RunResult r = run_server_to_completion(
      {"--config", config.path(), "--host", "127.0.0.1", "--port", "0"}, 5s);
  ASSERT_TRUE(ExitedWith(r, 2)) << "config:\n" << c.yaml;
  EXPECT_NE(r.stderr_text.find(c.key), std::string::npos)
      << "stderr does not name '" << c.key << "':\n"
      << r.stderr_text;
}

INSTANTIATE_TEST_SUITE_P(
    ConfigCli, ConfigErrors,
    testing::Values(BadConfig{"UnknownKeyInSection", "limits:\n  max_conections: 5\n",
                              "limits.max_conections"},
                    BadConfig{"UnknownSection", "limitz:\n  max_connections: 5\n", "limitz"},
                    BadConfig{"PortAbove65535", "server:\n  port: 65536\n", "server.port"},
                    BadConfig{"PortNotANumber", "server:\n  port: seven\n", "server.port"},
                    BadConfig{"ThreadsNegative", "server:\n  threads: -1\n", "server.threads"},
                    BadConfig{"ThreadsAbove256", "server:\n  threads: 257\n", "server.threads"},
                    BadConfig{"MaxPayloadZero", "limits:\n  max_payload_bytes: 0\n",
                              "limits.max_payload_bytes"},
                    BadConfig{"MaxPayloadAbove16MiB", "limits:\n  max_payload_bytes: 16777217\n",
                              "limits.max_payload_bytes"},
                    BadConfig{"IdleTimeoutNegative", "limits:\n  idle_timeout_ms: -5\n",
                              "limits.idle_timeout_ms"},
                    BadConfig{"IdleTimeoutWrongType", "limits:\n  idle_timeout_ms: soon\n",
                              "limits.idle_timeout_ms"},
                    BadConfig{"IdleTimeoutIsAList", "limits:\n  idle_timeout_ms: [1, 2]\n",
                              "limits.idle_timeout_ms"},
                    BadConfig{"MaxConnectionsNegative", "limits:\n  max_connections: -1\n",
                              "limits.max_connections"},
                    BadConfig{"DrainTimeoutNegative", "shutdown:\n  drain_timeout_ms: -100\n",
                              "shutdown.drain_timeout_ms"},
                    BadConfig{"UnknownLogLevel", "log:\n  level: loud\n", "log.level"},
                    BadConfig{"RatePerSecondNegative", "log:\n  protocol_errors_per_second: -1\n",
                              "log.protocol_errors_per_second"}),
    [](const testing::TestParamInfo<BadConfig>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace citadel::test
