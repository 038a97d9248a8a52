// Crash reports (src/ops/crash_report): a forked child installs the
// reporter, marks a room on its thread and dies of a fatal signal; the
// parent reads the report the handler wrote.
#include "ops/crash_report.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace citadel::ops {
namespace {

namespace fs = std::filesystem;

class CrashReport : public testing::Test {
 protected:
  void SetUp() override {
#if defined(__SANITIZE_THREAD__)
    // TSan runs signal handlers its own way (deferred, and it flags libc
    // calls in them); the handler is single-threaded code, checked by the
    // other builds.
    GTEST_SKIP() << "not under ThreadSanitizer";
#endif
    dir_ =
        fs::temp_directory_path() / ("citadel-crash-test-" + std::to_string(::getpid()) + "-" +
                                     testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override {
    fs::remove_all(dir_);
  }

  // Runs `die` in a child with the reporter installed; returns the signal
  // the child died of (0 if it exited).
  template <class F>
  int crash_child(F&& die) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      install_crash_reporter(dir_.string(), "9.9.9-test");
      die();
      ::_exit(0);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  }
  std::string only_report() {
    const CrashReportFound found = find_crash_reports(dir_.string());
    EXPECT_EQ(found.count, 1u);
    std::ifstream in(found.newest);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

  fs::path dir_;
};

TEST_F(CrashReport, AFatalSignalWritesAReportThenKillsWithTheSameSignal) {
  const int sig = crash_child([] {
    const CrashContextScope room("arena", 42, "2.1.0");
    ::raise(SIGSEGV);
  });
  EXPECT_EQ(sig, SIGSEGV);  // the default action still runs: a core where allowed
  const std::string report = only_report();
  EXPECT_NE(report.find("version: 9.9.9-test"), std::string::npos) << report;
  EXPECT_NE(report.find("signal: 11 (SIGSEGV)"), std::string::npos) << report;
  EXPECT_NE(report.find("room: arena 42"), std::string::npos) << report;
  EXPECT_NE(report.find("room: arena 42\ncode: 2.1.0"), std::string::npos) << report;
  EXPECT_NE(report.find("backtrace"), std::string::npos) << report;
  EXPECT_NE(report.find("thread: "), std::string::npos) << report;
}

TEST_F(CrashReport, AnAbortOutsideAnyRoomSaysSo) {
  const int sig = crash_child([] {
    { const CrashContextScope room("lockstep", 7); }  // left before the crash
    std::abort();
  });
  EXPECT_EQ(sig, SIGABRT);
  const std::string report = only_report();
  EXPECT_NE(report.find("signal: 6 (SIGABRT)"), std::string::npos) << report;
  EXPECT_NE(report.find("room: none"), std::string::npos) << report;
}

TEST_F(CrashReport, NoReportsInAnEmptyOrMissingDirectory) {
  EXPECT_EQ(find_crash_reports(dir_.string()).count, 0u);
  fs::create_directories(dir_);
  std::ofstream(dir_ / "notes.txt") << "not a report";
  EXPECT_EQ(find_crash_reports(dir_.string()).count, 0u);
}

}  // namespace
}  // namespace citadel::ops
