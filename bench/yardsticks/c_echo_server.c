/* c-echo-server: the near-limit reference for Citadel's frame layer.
 *
 * One thread, one epoll set, level-triggered, non-blocking sockets. Per
 * readiness event a connection gets exactly one read() into a shared 64 KiB
 * buffer; every complete frame in it is answered, all replies go into one
 * output buffer, and that buffer leaves with exactly one write(). Only a short
 * write arms EPOLLOUT, and while output is pending the connection is not read
 * (backpressure: a client that never reads cannot grow our memory).
 *
 * This is the floor a C++ server pays for the same work: no timers, no
 * metrics, no logging, no allocation on the hot path. Protocol: see
 * /work/shared/wire-contract.md (PING -> PONG, ECHO -> ECHO, unknown -> ERROR 3,
 * bad magic -> ERROR 1 + close, length > 64 KiB -> ERROR 2 + close).
 *
 * Usage: c-echo-server --port N   (0 = any free port; prints the bound port)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

enum {
    kHeaderBytes = 8,
    kMaxPayloadBytes = 64 * 1024,
    kReadBytes = 64 * 1024,            /* one read() per readiness event */
    kMaxEvents = 256,
    kMagic = 0x4354,
    kCmdPing = 0x0001,
    kCmdPong = 0x0002,
    kCmdEcho = 0x0003,
    kCmdError = 0x00FF,
    kErrBadMagic = 1,
    kErrTooLarge = 2,
    kErrUnknownCommand = 3,
    /* Largest ERROR frame we send: header + code + longest text. */
    kMaxErrorFrameBytes = kHeaderBytes + 2 + 32,
};

/* Input for one event: a kept partial frame (< one header + max payload)
 * plus one read. */
#define kMaxInputBytes ((size_t)kHeaderBytes + kMaxPayloadBytes + kReadBytes)
/* Replies for one event. A frame of n >= 8 bytes yields at most
 * n + (kMaxErrorFrameBytes - kHeaderBytes) bytes, so 8-byte unknown commands
 * are the worst case: at most (42/8) times the input. */
#define kMaxOutputBytes ((kMaxInputBytes / kHeaderBytes + 1) * kMaxErrorFrameBytes)

typedef struct Conn {
    int fd;
    int close_after_write; /* protocol error: flush the ERROR frame, then close */
    unsigned char *in;     /* partial frame kept between reads; NULL when none */
    size_t in_len, in_cap;
    unsigned char *out;    /* unsent remainder of a short write */
    size_t out_len, out_off, out_cap;
} Conn;

static unsigned char g_read_buf[kReadBytes];
static unsigned char g_out_buf[kMaxOutputBytes];
static int g_epfd;

static void die(const char *what) {
    perror(what);
    exit(1);
}

static uint16_t get_u16(const unsigned char *p) { return (uint16_t)((p[0] << 8) | p[1]); }

static uint32_t get_u32(const unsigned char *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static void put_header(unsigned char *p, uint16_t cmd, uint32_t len) {
    p[0] = kMagic >> 8;
    p[1] = kMagic & 0xFF;
    p[2] = (unsigned char)(cmd >> 8);
    p[3] = (unsigned char)cmd;
    p[4] = (unsigned char)(len >> 24);
    p[5] = (unsigned char)(len >> 16);
    p[6] = (unsigned char)(len >> 8);
    p[7] = (unsigned char)len;
}

/* Appends an ERROR frame at p; returns its size. */
static size_t put_error(unsigned char *p, uint16_t code, const char *text) {
    size_t text_len = strlen(text);
    put_header(p, kCmdError, (uint32_t)(2 + text_len));
    p[8] = (unsigned char)(code >> 8);
    p[9] = (unsigned char)code;
    memcpy(p + 10, text, text_len);
    return kHeaderBytes + 2 + text_len;
}

/* Grows *buf to hold need bytes. */
static void reserve(unsigned char **buf, size_t *cap, size_t need) {
    if (need <= *cap) return;
    size_t cap2 = *cap ? *cap : 4096;
    while (cap2 < need) cap2 *= 2;
    unsigned char *p = realloc(*buf, cap2);
    if (!p) die("realloc");
    *buf = p;
    *cap = cap2;
}

static void conn_close(Conn *c) {
    close(c->fd); /* also removes it from the epoll set */
    free(c->in);
    free(c->out);
    free(c);
}

static void set_events(Conn *c, uint32_t events) {
    struct epoll_event ev = {.events = events, .data.ptr = c};
    if (epoll_ctl(g_epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0) die("epoll_ctl MOD");
}

/* Cuts every complete frame from data[0..len) and appends the replies to out.
 * Returns the bytes consumed; sets close_after_write on a protocol error. */
static size_t handle_frames(Conn *c, const unsigned char *data, size_t len,
                            unsigned char *out, size_t *out_len) {
    size_t off = 0, o = *out_len;
    while (len - off >= kHeaderBytes) {
        const unsigned char *h = data + off;
        if (get_u16(h) != kMagic) {
            o += put_error(out + o, kErrBadMagic, "bad magic");
            c->close_after_write = 1;
            break;
        }
        uint32_t plen = get_u32(h + 4);
        if (plen > kMaxPayloadBytes) {
            o += put_error(out + o, kErrTooLarge, "frame too large");
            c->close_after_write = 1;
            break;
        }
        if (len - off - kHeaderBytes < plen) break; /* partial frame: wait for more */
        uint16_t cmd = get_u16(h + 2);
        size_t frame_len = kHeaderBytes + plen;
        if (cmd == kCmdPing || cmd == kCmdEcho) {
            /* The reply is the request with (for PING) the command changed. */
            memcpy(out + o, h, frame_len);
            if (cmd == kCmdPing) out[o + 3] = kCmdPong;
            o += frame_len;
        } else {
            o += put_error(out + o, kErrUnknownCommand, "unknown command");
        }
        off += frame_len;
    }
    *out_len = o;
    return off;
}

/* Writes out[off..len) once. Returns bytes written, or -1 if the peer is gone. */
static ssize_t write_once(int fd, const unsigned char *buf, size_t len) {
    ssize_t n = write(fd, buf, len);
    if (n < 0) return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -1;
    return n;
}

static void on_readable(Conn *c) {
    ssize_t n = read(c->fd, g_read_buf, sizeof g_read_buf);
    if (n == 0) {
        conn_close(c);
        return;
    }
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) conn_close(c);
        return;
    }

    /* Parse straight from the read buffer unless a partial frame is waiting. */
    const unsigned char *data = g_read_buf;
    size_t len = (size_t)n;
    if (c->in_len > 0) {
        reserve(&c->in, &c->in_cap, c->in_len + len);
        memcpy(c->in + c->in_len, g_read_buf, len);
        c->in_len += len;
        data = c->in;
        len = c->in_len;
    }

    size_t out_len = 0;
    size_t used = handle_frames(c, data, len, g_out_buf, &out_len);

    if (!c->close_after_write) {
        size_t rest = len - used;
        if (rest > 0) {
            reserve(&c->in, &c->in_cap, rest);
            memmove(c->in, data + used, rest);
        }
        c->in_len = rest;
    }

    if (out_len > 0) {
        ssize_t w = write_once(c->fd, g_out_buf, out_len);
        if (w < 0) {
            conn_close(c);
            return;
        }
        if ((size_t)w < out_len) {
            size_t rest = out_len - (size_t)w;
            reserve(&c->out, &c->out_cap, rest);
            memcpy(c->out, g_out_buf + w, rest);
            c->out_len = rest;
            c->out_off = 0;
            set_events(c, EPOLLOUT); /* stop reading until the remainder is out */
            return;
        }
    }
    if (c->close_after_write) conn_close(c);
}

static void on_writable(Conn *c) {
    ssize_t w = write_once(c->fd, c->out + c->out_off, c->out_len - c->out_off);
    if (w < 0) {
        conn_close(c);
        return;
    }
    c->out_off += (size_t)w;
    if (c->out_off < c->out_len) return;
    c->out_len = c->out_off = 0;
    if (c->close_after_write) {
        conn_close(c);
        return;
    }
    set_events(c, EPOLLIN);
}

static void on_acceptable(int lfd) {
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
                errno == ECONNABORTED)
                return;
            if (errno == EMFILE || errno == ENFILE) {
                /* Out of descriptors: pending connections wait in the backlog.
                 * Level-triggered epoll keeps reporting the listener, so this
                 * spins until a descriptor frees; acceptable for a yardstick
                 * whose benchmarks stay under the limit. */
                static int warned;
                if (!warned++) perror("accept4");
                return;
            }
            die("accept4");
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        Conn *c = calloc(1, sizeof *c);
        if (!c) die("calloc");
        c->fd = fd;
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        if (epoll_ctl(g_epfd, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl ADD");
    }
}

static void usage(const char *argv0) {
    fprintf(stderr, "usage: %s --port N\n", argv0);
    exit(2);
}

int main(int argc, char **argv) {
    long port = -1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
            char *end;
            port = strtol(argv[++i], &end, 10);
            if (*end != '\0' || port < 0 || port > 65535) usage(argv[0]);
        } else {
            usage(argv[0]);
        }
    }
    if (port < 0) usage(argv[0]);

    signal(SIGPIPE, SIG_IGN);
    /* Hold tests open thousands of sockets: use the whole hard limit. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }

    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (lfd < 0) die("socket");
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) < 0) die("bind");
    if (listen(lfd, SOMAXCONN) < 0) die("listen");
    socklen_t alen = sizeof addr;
    if (getsockname(lfd, (struct sockaddr *)&addr, &alen) < 0) die("getsockname");
    printf("listening on 127.0.0.1:%u\n", ntohs(addr.sin_port));
    fflush(stdout);

    g_epfd = epoll_create1(EPOLL_CLOEXEC);
    if (g_epfd < 0) die("epoll_create1");
    /* data.ptr NULL marks the listener; connections carry their Conn. */
    struct epoll_event lev = {.events = EPOLLIN, .data.ptr = NULL};
    if (epoll_ctl(g_epfd, EPOLL_CTL_ADD, lfd, &lev) < 0) die("epoll_ctl listener");

    struct epoll_event events[kMaxEvents];
    for (;;) {
        int n = epoll_wait(g_epfd, events, kMaxEvents, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            die("epoll_wait");
        }
        for (int i = 0; i < n; i++) {
            Conn *c = events[i].data.ptr;
            if (!c) {
                on_acceptable(lfd);
            } else if (c->out_len > 0) {
                on_writable(c); /* only EPOLLOUT (or HUP/ERR) is armed then */
            } else {
                on_readable(c);
            }
        }
    }
}
