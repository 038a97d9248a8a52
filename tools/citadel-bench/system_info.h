// What the bench needs from the operating system besides sockets: the file
// descriptor budget, the server's address, and the server's memory use.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace citadel::bench {

// File descriptors kept aside for stdio, epoll sets, the CSV file and libraries.
inline constexpr uint64_t kReservedFds = 50;

// Raises the soft RLIMIT_NOFILE to the hard limit and returns the soft limit
// now in force: how many descriptors this process may hold.
uint64_t raise_fd_limit();

// `host` as an IPv4 address (a literal or a name), or nothing.
std::optional<sockaddr_in> resolve_ipv4(const std::string& host, uint16_t port);

// VmRSS of process `pid` in KiB, from /proc/PID/status, or nothing.
std::optional<uint64_t> read_vm_rss_kb(int pid);

// CPU time (user + system, all threads) of process `pid` in seconds, from
// /proc/PID/stat (resolution: one clock tick, usually 10 ms), or nothing.
std::optional<double> read_cpu_seconds(int pid);

// CPU time (user + system, all threads) of this process, in seconds.
double own_cpu_seconds();

// read_cpu_seconds of each process, in order.
std::vector<std::optional<double>> read_cpu_seconds(const std::vector<int>& pids);

// Per process, after - before (nothing where either is missing).
std::vector<std::optional<double>> cpu_seconds_between(
    const std::vector<std::optional<double>>& before,
    const std::vector<std::optional<double>>& after);

// A JSON array of seconds with 3 decimals, null where missing: [1.250,null].
std::string cpu_seconds_json(const std::vector<std::optional<double>>& seconds);

}  // namespace citadel::bench
