/* c-fanout: the kernel's floor for sending one small message to each of N
 * loopback TCP sockets (issue 8's fan-out yardstick).
 *
 * A writer and a reader, each pinned to its own CPU, joined by N loopback TCP
 * connections. Per round the writer takes t0 and makes exactly one write() of
 * `--size` bytes to each of its N sockets, in order; the reader, on one epoll
 * set over its N sockets, reads them as they arrive and notes when the last
 * of the N has its message. Round latency = that moment - t0. This is what a
 * server's chat broadcast costs at the least: one write per member, no
 * encoding, no queues, no bookkeeping. Both clocks are CLOCK_MONOTONIC.
 *
 * Why two processes, not two threads: N sockets cost two descriptors per
 * connection (both ends), and the open-file limit here is 20,000 per process,
 * so N = 10,000 does not fit in one process. Split as the real benchmark is
 * (the server holds one end, citadel-bench the other), each process holds N.
 * The writer is the parent (it listens and accepts); the reader is a forked
 * child that connects. A pipe carries each round's result back to the writer,
 * which waits for it (plus --gap-ms) before starting the next round, so rounds
 * never overlap.
 *
 * The writer's CPU time is read with getrusage(RUSAGE_THREAD) around each
 * round's write loop, so "CPU per write" is the cost of one write() alone.
 * The reader reports its own CPU time with each round, so the summary also
 * says what receiving one message costs (which side is the busier one).
 *
 * Usage: c-fanout [--connections N] [--rounds R] [--warmup W] [--size B]
 *                 [--gap-ms G] [--writer-cpu C] [--reader-cpu C] [--timeout-ms T]
 * Prints a summary on stderr and one JSON line on stdout. Exit 0 on success,
 * 1 on bad arguments, 2 if setup failed, 3 if a round timed out.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum {
  kHeaderBytes = 16, /* u32 magic, u32 round, u64 t0_ns; the rest is filler */
  kMinSize = kHeaderBytes,
  kMaxSize = 4096,
  kMaxEvents = 512,
  kReadBytes = 64 * 1024,
  kMaxRounds = 100000,
  kMagic = 0x46414e4f, /* "FANO" */
};

typedef struct Options {
  long connections;
  long rounds;
  long warmup;
  long size;
  long gap_ms;
  long writer_cpu;
  long reader_cpu;
  long timeout_ms;
} Options;

/* What the reader tells the writer after each round (over the pipe). */
typedef struct RoundResult {
  uint32_t round;
  uint32_t ok; /* 1: every socket had its message; 0: timed out */
  int64_t last_ns;
  int64_t first_ns;
  int64_t reader_cpu_ns; /* the reader's CPU time so far, to show which side is busier */
} RoundResult;

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t thread_cpu_ns(void) {
  struct rusage ru;
  getrusage(RUSAGE_THREAD, &ru);
  return ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000 +
         ((int64_t)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000;
}

static void pin(long cpu) {
  if (cpu < 0) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET((int)cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) perror("c-fanout: sched_setaffinity");
}

static void put_u32(unsigned char* p, uint32_t v) {
  memcpy(p, &v, 4);
}
static void put_i64(unsigned char* p, int64_t v) {
  memcpy(p, &v, 8);
}
static uint32_t get_u32(const unsigned char* p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}
static int64_t get_i64(const unsigned char* p) {
  int64_t v;
  memcpy(&v, p, 8);
  return v;
}

/* Full read/write on the control pipe (tiny records, but be exact). */
static int write_all(int fd, const void* buf, size_t len) {
  const char* p = buf;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

/* Reads exactly len bytes or fails; waits at most timeout_ms in all. */
static int read_all(int fd, void* buf, size_t len, long timeout_ms) {
  char* p = buf;
  const int64_t deadline = now_ns() + (int64_t)timeout_ms * 1000000;
  while (len > 0) {
    const int64_t left_ms = (deadline - now_ns()) / 1000000;
    if (left_ms <= 0) return -1;
    struct pollfd pfd = {fd, POLLIN, 0};
    int r = poll(&pfd, 1, (int)left_ms);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    ssize_t n = read(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

/* ---- reader (child process, --reader-cpu) ---- */

typedef struct ReaderConn {
  int fd;
  uint32_t have;       /* bytes of the current message read so far */
  uint32_t last_round; /* last round counted on this socket, +1 (0 = none) */
  unsigned char* part; /* the current message's bytes (size bytes) */
} ReaderConn;

static int run_reader(const Options* o, uint16_t port, int ready_fd, int result_fd) {
  const long n = o->connections;
  const size_t size = (size_t)o->size;
  ReaderConn* conns = calloc((size_t)n, sizeof *conns);
  unsigned char* parts = calloc((size_t)n, size);
  static unsigned char buf[kReadBytes];
  if (conns == NULL || parts == NULL) return 2;

  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) return 2;
  struct sockaddr_in addr = {0};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  for (long i = 0; i < n; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr*)&addr, sizeof addr) != 0) {
      fprintf(stderr, "c-fanout: reader connect %ld/%ld: %s\n", i + 1, n, strerror(errno));
      return 2;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    conns[i].fd = fd;
    conns[i].part = parts + (size_t)i * size;
    struct epoll_event ev = {0};
    ev.events = EPOLLIN;
    ev.data.u32 = (uint32_t)i;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) return 2;
  }
  const char ready = 'R';
  if (write_all(ready_fd, &ready, 1) != 0) return 2;

  const long total_rounds = o->warmup + o->rounds;
  struct epoll_event events[kMaxEvents];
  long round = 0, got = 0;
  int64_t first_ns = 0;
  int64_t round_deadline = 0; /* set at the first message of a round */
  while (round < total_rounds) {
    int timeout = -1;
    if (got > 0) {
      const int64_t left = (round_deadline - now_ns()) / 1000000;
      timeout = left > 0 ? (int)left : 0;
    }
    int k = epoll_wait(ep, events, kMaxEvents, timeout);
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) return 2;
    if (k == 0 && got > 0) {
      RoundResult r = {(uint32_t)round, 0, 0, first_ns, thread_cpu_ns()};
      write_all(result_fd, &r, sizeof r);
      return 3;
    }
    for (int e = 0; e < k; ++e) {
      ReaderConn* c = &conns[events[e].data.u32];
      /* One read per readiness event, as a server's loop would. */
      ssize_t got_bytes = read(c->fd, buf, sizeof buf);
      if (got_bytes == 0 || (got_bytes < 0 && errno != EAGAIN && errno != EINTR)) {
        fprintf(stderr, "c-fanout: reader socket closed unexpectedly\n");
        return 2;
      }
      if (got_bytes < 0) continue;
      const int64_t t = now_ns();
      /* Fixed-size messages; a message split across reads is stitched. */
      for (size_t at = 0; at < (size_t)got_bytes;) {
        size_t take = size - c->have;
        if (take > (size_t)got_bytes - at) take = (size_t)got_bytes - at;
        memcpy(c->part + c->have, buf + at, take);
        c->have += (uint32_t)take;
        at += take;
        if (c->have < size) break;
        c->have = 0;
        if (get_u32(c->part) != kMagic) {
          fprintf(stderr, "c-fanout: reader got a garbled message\n");
          return 2;
        }
        const uint32_t msg_round = get_u32(c->part + 4);
        if ((long)msg_round != round || c->last_round == msg_round + 1) {
          fprintf(stderr, "c-fanout: reader got round %u during round %ld\n", msg_round, round);
          return 2;
        }
        c->last_round = msg_round + 1;
        const int64_t t0 = get_i64(c->part + 8);
        if (got == 0) {
          first_ns = t - t0;
          round_deadline = t + (int64_t)o->timeout_ms * 1000000;
        }
        if (++got == n) {
          RoundResult r = {(uint32_t)round, 1, t - t0, first_ns, thread_cpu_ns()};
          if (write_all(result_fd, &r, sizeof r) != 0) return 2;
          ++round;
          got = 0;
        }
      }
    }
  }
  return 0;
}

/* ---- writer (parent process, --writer-cpu) ---- */

static int cmp_i64(const void* a, const void* b) {
  const int64_t x = *(const int64_t*)a, y = *(const int64_t*)b;
  return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted values. */
static int64_t pct(const int64_t* sorted, long n, double p) {
  if (n <= 0) return 0;
  long rank = (long)(p / 100.0 * (double)n + 0.999999999);
  if (rank < 1) rank = 1;
  if (rank > n) rank = n;
  return sorted[rank - 1];
}

static double mean(const int64_t* v, long n) {
  double s = 0;
  for (long i = 0; i < n; ++i) s += (double)v[i];
  return n > 0 ? s / (double)n : 0;
}

static int parse_long(const char* s, long lo, long hi, long* out) {
  char* end = NULL;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) return -1;
  *out = v;
  return 0;
}

static void usage(void) {
  fprintf(stderr,
          "usage: c-fanout [--connections N (10000)] [--rounds R (100)] [--warmup W (5)]\n"
          "                [--size BYTES (%d..%d, 96)] [--gap-ms G (10)] [--writer-cpu C (0)]\n"
          "                [--reader-cpu C (1)] [--timeout-ms T (10000)]   (CPU -1: no pinning)\n",
          kMinSize, kMaxSize);
}

static int parse_args(int argc, char** argv, Options* o) {
  *o = (Options){10000, 100, 5, 96, 10, 0, 1, 10000};
  for (int i = 1; i < argc; ++i) {
    const char* a = argv[i];
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage();
      exit(0);
    }
    if (i + 1 >= argc) return -1;
    const char* v = argv[++i];
    int bad;
    if (strcmp(a, "--connections") == 0) {
      bad = parse_long(v, 1, 1000000, &o->connections);
    } else if (strcmp(a, "--rounds") == 0) {
      bad = parse_long(v, 1, kMaxRounds, &o->rounds);
    } else if (strcmp(a, "--warmup") == 0) {
      bad = parse_long(v, 0, kMaxRounds, &o->warmup);
    } else if (strcmp(a, "--size") == 0) {
      bad = parse_long(v, kMinSize, kMaxSize, &o->size);
    } else if (strcmp(a, "--gap-ms") == 0) {
      bad = parse_long(v, 0, 60000, &o->gap_ms);
    } else if (strcmp(a, "--writer-cpu") == 0) {
      bad = parse_long(v, -1, CPU_SETSIZE - 1, &o->writer_cpu);
    } else if (strcmp(a, "--reader-cpu") == 0) {
      bad = parse_long(v, -1, CPU_SETSIZE - 1, &o->reader_cpu);
    } else if (strcmp(a, "--timeout-ms") == 0) {
      bad = parse_long(v, 1, 600000, &o->timeout_ms);
    } else {
      bad = -1;
    }
    if (bad != 0) {
      fprintf(stderr, "c-fanout: bad option %s %s\n", a, v);
      return -1;
    }
  }
  return 0;
}

/* The descriptors one process needs: N sockets plus a few. */
static int check_fd_budget(long n) {
  struct rlimit lim;
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return 0;
  if (lim.rlim_cur < lim.rlim_max) {
    struct rlimit raised = lim;
    raised.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) lim = raised;
  }
  if (lim.rlim_cur != RLIM_INFINITY && (rlim_t)n + 16 > lim.rlim_cur) {
    fprintf(stderr, "c-fanout: --connections %ld needs %ld descriptors per process; limit is %lu\n",
            n, n + 16, (unsigned long)lim.rlim_cur);
    return -1;
  }
  return 0;
}

int main(int argc, char** argv) {
  Options o;
  if (parse_args(argc, argv, &o) != 0) {
    usage();
    return 1;
  }
  if (check_fd_budget(o.connections) != 0) return 1;
  signal(SIGPIPE, SIG_IGN);

  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in addr = {0};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t alen = sizeof addr;
  if (lfd < 0 || bind(lfd, (struct sockaddr*)&addr, sizeof addr) != 0 ||
      listen(lfd, SOMAXCONN) != 0 || getsockname(lfd, (struct sockaddr*)&addr, &alen) != 0) {
    perror("c-fanout: listen");
    return 2;
  }
  int ready_pipe[2], result_pipe[2];
  if (pipe2(ready_pipe, O_CLOEXEC) != 0 || pipe2(result_pipe, O_CLOEXEC) != 0) {
    perror("c-fanout: pipe");
    return 2;
  }

  const pid_t parent = getpid();
  const pid_t child = fork();
  if (child < 0) {
    perror("c-fanout: fork");
    return 2;
  }
  if (child == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the writer */
    if (getppid() != parent) _exit(2);
    close(lfd);
    close(ready_pipe[0]);
    close(result_pipe[0]);
    pin(o.reader_cpu);
    _exit(run_reader(&o, ntohs(addr.sin_port), ready_pipe[1], result_pipe[1]));
  }
  close(ready_pipe[1]);
  close(result_pipe[1]);
  pin(o.writer_cpu);

  int status = 0;
  int* fds = calloc((size_t)o.connections, sizeof *fds);
  const long total = o.warmup + o.rounds;
  int64_t* lat = calloc((size_t)total, sizeof *lat);
  int64_t* first = calloc((size_t)total, sizeof *first);
  int64_t* loop_ns = calloc((size_t)total, sizeof *loop_ns);
  int64_t* cpu_ns = calloc((size_t)total, sizeof *cpu_ns);
  unsigned char* msg = calloc(1, (size_t)o.size);
  if (!fds || !lat || !first || !loop_ns || !cpu_ns || !msg) return 2;
  for (long i = 0; i < o.connections; ++i) {
    int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0) {
      perror("c-fanout: accept");
      kill(child, SIGKILL);
      return 2;
    }
    /* As a server sets it: a small write goes out now, not behind an ACK. */
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fds[i] = fd;
  }
  char ready = 0;
  if (read_all(ready_pipe[0], &ready, 1, 60000) != 0) {
    fprintf(stderr, "c-fanout: reader did not get ready\n");
    kill(child, SIGKILL);
    return 2;
  }
  for (long i = 0; i < o.size; ++i) msg[i] = (unsigned char)('a' + i % 26);
  put_u32(msg, kMagic);

  long done = 0;
  int64_t reader_cpu_start = 0, reader_cpu_end = 0;
  for (long r = 0; r < total; ++r) {
    put_u32(msg + 4, (uint32_t)r);
    const int64_t cpu0 = thread_cpu_ns();
    const int64_t t0 = now_ns();
    put_i64(msg + 8, t0);
    for (long i = 0; i < o.connections; ++i) {
      /* Blocking sockets, one small message each: never short in practice. */
      if (write(fds[i], msg, (size_t)o.size) != o.size) {
        perror("c-fanout: write");
        status = 2;
        break;
      }
    }
    loop_ns[r] = now_ns() - t0;
    cpu_ns[r] = thread_cpu_ns() - cpu0;
    if (status != 0) break;
    RoundResult res;
    if (read_all(result_pipe[0], &res, sizeof res, o.timeout_ms + 5000) != 0 || res.ok != 1 ||
        res.round != (uint32_t)r) {
      fprintf(stderr, "c-fanout: round %ld did not complete within %ld ms\n", r, o.timeout_ms);
      status = 3;
      break;
    }
    lat[r] = res.last_ns;
    first[r] = res.first_ns;
    /* The reader's CPU over the measured rounds: from the end of the last
       warm-up round (without warm-up: from the reader's start) to the end. */
    if (r + 1 == o.warmup) reader_cpu_start = res.reader_cpu_ns;
    reader_cpu_end = res.reader_cpu_ns;
    ++done;
    if (o.gap_ms > 0) {
      struct timespec gap = {o.gap_ms / 1000, (o.gap_ms % 1000) * 1000000};
      nanosleep(&gap, NULL);
    }
  }
  kill(child, status == 0 ? SIGTERM : SIGKILL);
  int child_status = 0;
  waitpid(child, &child_status, 0);

  const long measured = done > o.warmup ? done - o.warmup : 0;
  int64_t* m = lat + o.warmup;
  int64_t* mf = first + o.warmup;
  double cpu_sum = 0, loop_sum = 0;
  for (long i = 0; i < measured; ++i) {
    cpu_sum += (double)cpu_ns[o.warmup + i];
    loop_sum += (double)loop_ns[o.warmup + i];
  }
  const double writes = (double)measured * (double)o.connections;
  const double cpu_per_write_us = writes > 0 ? cpu_sum / writes / 1000.0 : 0;
  const double wall_per_write_us = writes > 0 ? loop_sum / writes / 1000.0 : 0;
  const double reader_cpu_per_read_us =
      writes > 0 ? (double)(reader_cpu_end - reader_cpu_start) / writes / 1000.0 : 0;
  const double mean_us = mean(m, measured) / 1000.0;
  qsort(m, (size_t)measured, sizeof *m, cmp_i64);
  qsort(mf, (size_t)measured, sizeof *mf, cmp_i64);
  int64_t* ml = loop_ns + o.warmup;
  qsort(ml, (size_t)measured, sizeof *ml, cmp_i64);
  const double p50 = (double)pct(m, measured, 50) / 1000.0;
  const double p99 = (double)pct(m, measured, 99) / 1000.0;
  const double max = measured > 0 ? (double)m[measured - 1] / 1000.0 : 0;
  const double min = measured > 0 ? (double)m[0] / 1000.0 : 0;

  fprintf(stderr, "c-fanout  %ld connections, %ld-byte message, %ld rounds (+%ld warm-up)\n",
          o.connections, o.size, measured, o.warmup);
  fprintf(stderr, "  last receipt (us)  p50 %.1f  p99 %.1f  max %.1f  min %.1f  mean %.1f\n", p50,
          p99, max, min, mean_us);
  fprintf(stderr, "  first receipt (us) p50 %.1f\n", (double)pct(mf, measured, 50) / 1000.0);
  fprintf(stderr, "  write loop (us)    p50 %.1f  (%.2f us wall per write)\n",
          (double)pct(ml, measured, 50) / 1000.0, wall_per_write_us);
  fprintf(stderr, "  writer CPU         %.2f us per write\n", cpu_per_write_us);
  fprintf(stderr, "  reader CPU         %.2f us per message received\n", reader_cpu_per_read_us);
  printf(
      "{\"yardstick\":\"c-fanout\",\"connections\":%ld,\"size\":%ld,\"rounds\":%ld,"
      "\"warmup\":%ld,\"p50_us\":%.1f,\"p99_us\":%.1f,\"max_us\":%.1f,\"min_us\":%.1f,"
      "\"mean_us\":%.1f,\"first_p50_us\":%.1f,\"write_loop_p50_us\":%.1f,"
      "\"wall_us_per_write\":%.3f,\"cpu_us_per_write\":%.3f,\"reader_cpu_us_per_message\":%.3f,"
      "\"gap_ms\":%ld,\"ok\":%s}\n",
      o.connections, o.size, measured, o.warmup, p50, p99, max, min, mean_us,
      (double)pct(mf, measured, 50) / 1000.0, (double)pct(ml, measured, 50) / 1000.0,
      wall_per_write_us, cpu_per_write_us, reader_cpu_per_read_us, o.gap_ms,
      status == 0 ? "true" : "false");
  fflush(stdout);
  return status;
}
