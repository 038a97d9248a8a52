// citadel-bench --plot: a short real run against the real server draws a PNG
// (checked by its signature bytes); a missing gnuplot is a clear error.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "child_process.h"
#include "server_process.h"

namespace citadel::client {
namespace {

using namespace std::chrono_literals;
using citadel::test::ServerProcess;
using test::run_program;

const std::string kBench = CITADEL_BENCH_BIN;

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A scratch directory, removed at the end of the test.
class ScratchDir {
 public:
  ScratchDir() {
    std::string tmpl = "/tmp/citadel-plot-XXXXXX";
    if (::mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::vector<std::string> short_run(uint16_t port) {
  return {"echo",
          "--port",
          std::to_string(port),
          "--connections",
          "2",
          "--depth",
          "2",
          "--warmup",
          "0",
          "--duration",
          "2",
          "--quiet"};
}

TEST(BenchPlot, DrawsAPngFromATemporaryCsv) {
  ServerProcess server;
  std::string why;
  ASSERT_TRUE(server.start(&why)) << why;
  ScratchDir dir;
  const std::string png = dir.file("run.png");
  auto args = short_run(server.port());
  args.insert(args.end(), {"--plot", png});
  const auto r = run_program(kBench, args, "", 15s);
  ASSERT_TRUE(r.status.has_value()) << "timed out\n" << r.err;
  ASSERT_TRUE(r.status->exited && r.status->code == 0) << r.status->describe() << "\n" << r.err;
  const std::string bytes = read_all(png);
  ASSERT_GE(bytes.size(), 8u) << r.err;
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_GT(bytes.size(), 2000u);  // a real picture, not an empty canvas
}

TEST(BenchPlot, KeepsTheCsvWhenBothAreAsked) {
  ServerProcess server;
  std::string why;
  ASSERT_TRUE(server.start(&why)) << why;
  ScratchDir dir;
  const std::string png = dir.file("run.png");
  const std::string csv = dir.file("run.csv");
  auto args = short_run(server.port());
  args.insert(args.end(), {"--plot", png, "--csv", csv});
  const auto r = run_program(kBench, args, "", 15s);
  ASSERT_TRUE(r.status.has_value()) << "timed out\n" << r.err;
  ASSERT_TRUE(r.status->exited && r.status->code == 0) << r.status->describe() << "\n" << r.err;
  const std::string rows = read_all(csv);
  EXPECT_EQ(rows.rfind("second,requests,rps,p50_us,p99_us,connected,errors\n", 0), 0u) << rows;
  EXPECT_EQ(read_all(png).substr(0, 4), "\x89PNG");
}

TEST(BenchPlot, WithoutGnuplotItSaysSoBeforeRunning) {
  ScratchDir dir;
  const std::string png = dir.file("run.png");
  // Port 9 is never contacted: the check comes before the run.
  const auto r = run_program(kBench, {"echo", "--port", "9", "--plot", png}, "", 10s,
                             {"PATH=" + dir.file("no-such-dir")});
  ASSERT_TRUE(r.status.has_value());
  EXPECT_TRUE(r.status->exited && r.status->code == 1) << r.status->describe();
  EXPECT_NE(r.err.find("gnuplot not found"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("gnuplot-nox"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(png));
}

}  // namespace
}  // namespace citadel::client
