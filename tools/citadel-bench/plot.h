// --plot FILE.png: draws a run's per-second CSV (second,requests,rps,p50_us,
// p99_us,connected,errors) with gnuplot, in two panels that share the time
// axis: requests per second on top, p50 and p99 latency below.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace citadel::bench {

// The gnuplot executable found on PATH, or nullopt.
std::optional<std::string> find_gnuplot();

// Runs gnuplot to turn csv_path into png_path (bounded by `timeout`).
// Returns "" on success, else what went wrong (with gnuplot's own message).
std::string plot_csv(const std::string& gnuplot, const std::string& csv_path,
                     const std::string& png_path, std::string_view title,
                     std::chrono::seconds timeout = std::chrono::seconds(30));

// A temp file for the CSV when --plot is given without --csv; removed again
// on destruction.
class TempCsv {
 public:
  TempCsv();  // throws std::runtime_error if no temp file can be made
  ~TempCsv();
  TempCsv(const TempCsv&) = delete;
  TempCsv& operator=(const TempCsv&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace citadel::bench
