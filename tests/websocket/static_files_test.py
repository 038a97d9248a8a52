#!/usr/bin/python3
"""Static files on the game port (web.*), over real sockets.

A real citadel binary on a free loopback port serves a directory at /demo/.
Python's http.client (not our code) and raw sockets check GET, HEAD, 304,
the redirect, 404, path traversal attempts, oversized and malformed
requests, a file larger than the output queue cap, SIGHUP reload, a root
that cannot load, web.enabled: false; and that WebSocket (python3-websockets)
and raw frames still work on the same port.

Usage: static_files_test.py PATH_TO_CITADEL
"""
import asyncio
import http.client
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import unittest

import websockets

CITADEL = None
INDEX = b"<!doctype html><title>demo</title><script src=app.js></script>\n"
APP = b"console.log('citadel');\n"
BIG = bytes(range(256)) * (12 * 1024)  # 3 MiB: above limits.output_queue_bytes (1 MiB)
HUGE = bytes(range(251)) * (8 * 4177)  # just under the 8 MiB cap on one file


class Server:
    """One citadel process on a free loopback port, in its own temp dir."""

    def __init__(self, config="", files=None, expect_start=True):
        self.dir = tempfile.TemporaryDirectory(prefix="citadel-web-")
        self.root = os.path.join(self.dir.name, "site")
        for name, data in (files or {}).items():
            path = os.path.join(self.root, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
        # A file beside the root that traversal would reach.
        with open(os.path.join(self.dir.name, "secret.txt"), "w") as f:
            f.write("TOP-SECRET\n")
        with open(os.path.join(self.dir.name, "citadel.yaml"), "w") as f:
            f.write(config.replace("{root}", self.root))
        port_file = os.path.join(self.dir.name, "port")
        self.log = open(os.path.join(self.dir.name, "server.log"), "w")
        self.proc = subprocess.Popen(
            [CITADEL, "--config", "citadel.yaml", "--host", "127.0.0.1", "--port", "0",
             "--admin-port", "0", "--port-file", port_file, "--log-level", "debug"],
            cwd=self.dir.name, stdout=self.log, stderr=subprocess.STDOUT)
        if not expect_start:
            return
        deadline = time.monotonic() + 20
        while not os.path.exists(port_file):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("citadel did not start: " + self.output())
            time.sleep(0.02)
        with open(port_file) as f:
            self.port = int(f.read())

    def output(self):
        self.log.flush()
        with open(os.path.join(self.dir.name, "server.log")) as f:
            return f.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # by PID: only the process we started
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        self.dir.cleanup()


def raw_exchange(port, request, timeout=5):
    """Sends request bytes, returns everything until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(request)
        out = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return out
            out += chunk


def status_of(response):
    return int(response.split(b" ", 2)[1])


def headers_of(response):
    head = response.split(b"\r\n\r\n", 1)[0].decode()
    out = {}
    for line in head.split("\r\n")[1:]:
        k, v = line.split(": ", 1)
        out[k.lower()] = v
    return out


def body_of(response):
    return response.split(b"\r\n\r\n", 1)[1]


def frame(cmd, payload=b""):
    return b"CT" + struct.pack(">HI", cmd, len(payload)) + payload


class StaticFiles(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server("web:\n  root: {root}\n",
                            {"index.html": INDEX, "app.js": APP, "img/big.bin": BIG,
                             "huge.bin": HUGE})

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def get(self, path, method="GET", headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=5)
        conn.request(method, path, headers=headers or {})
        r = conn.getresponse()
        body = r.read()
        conn.close()
        return r, body

    def test_get_index_by_the_prefix_with_its_headers_then_close(self):
        raw = raw_exchange(self.server.port, b"GET /demo/ HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(status_of(raw), 200, raw)
        h = headers_of(raw)
        self.assertEqual(h["content-type"], "text/html; charset=utf-8")
        self.assertEqual(h["content-length"], str(len(INDEX)))
        self.assertEqual(h["cache-control"], "no-cache")
        self.assertEqual(h["x-content-type-options"], "nosniff")
        self.assertEqual(h["connection"], "close")
        self.assertIn("connect-src 'self'", h["content-security-policy"])
        self.assertIn("etag", h)
        self.assertIn("GMT", h["date"])
        # Exactly the file, then the server closed (raw_exchange returned).
        self.assertEqual(body_of(raw), INDEX)

    def test_http_client_gets_every_file(self):
        r, body = self.get("/demo/index.html")
        self.assertEqual((r.status, body), (200, INDEX))
        r, body = self.get("/demo/app.js?cache=bust")
        self.assertEqual((r.status, body), (200, APP))
        self.assertEqual(r.getheader("Content-Type"), "text/javascript; charset=utf-8")

    def test_a_file_larger_than_the_output_queue_cap_arrives_whole(self):
        r, body = self.get("/demo/img/big.bin")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.getheader("Content-Type"), "application/octet-stream")
        self.assertEqual(len(body), len(BIG))
        self.assertEqual(body, BIG)

    def test_a_slow_reader_gets_all_of_a_large_file(self):
        # The response is queued, then the connection closes after it: the
        # close must wait while the bytes keep moving, not a fixed linger
        # (2 s) from the request. A small receive window and a paced reader
        # (about 1.6 MB/s, so about 5 s for 8 MB) keep most of the file
        # queued in the server well past 2 s.
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
            s.settimeout(10)
            s.connect(("127.0.0.1", self.server.port))
            s.sendall(b"GET /demo/huge.bin HTTP/1.1\r\nHost: x\r\n\r\n")
            got = b""
            started = time.monotonic()
            while True:
                chunk = s.recv(32768)
                if not chunk:
                    break
                got += chunk
                time.sleep(0.02)  # pacing a slow client, not waiting for an event
            elapsed = time.monotonic() - started
        self.assertEqual(status_of(got), 200)
        self.assertEqual(len(body_of(got)), len(HUGE), f"after {elapsed:.1f} s")
        self.assertEqual(body_of(got), HUGE)
        self.assertGreater(elapsed, 2.5, "the reader was not slow enough to test the linger")

    def test_head_has_the_headers_of_get_and_no_body(self):
        raw = raw_exchange(self.server.port, b"HEAD /demo/app.js HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(status_of(raw), 200)
        self.assertEqual(headers_of(raw)["content-length"], str(len(APP)))
        self.assertEqual(body_of(raw), b"")

    def test_etag_revalidation_gets_304(self):
        r, _ = self.get("/demo/app.js")
        etag = r.getheader("ETag")
        r, body = self.get("/demo/app.js", headers={"If-None-Match": etag})
        self.assertEqual((r.status, body), (304, b""))

    def test_the_prefix_without_its_slash_redirects(self):
        r, _ = self.get("/demo")
        self.assertEqual(r.status, 301)
        self.assertEqual(r.getheader("Location"), "/demo/")

    def test_unknown_files_are_404(self):
        r, body = self.get("/demo/nope.js")
        self.assertEqual(r.status, 404)
        self.assertEqual(r.getheader("Content-Type"), "text/plain; charset=utf-8")

    def test_other_methods_are_not_http_on_the_game_port(self):
        # Only "GET" and "HEAD " open HTTP on server.port (docs/protocol.md):
        # a POST is bytes that are not a frame, ERROR 1 as ever; so is HELLO.
        for request in [b"POST /demo/ HTTP/1.1\r\nHost: x\r\n\r\n", b"HELLO\r\n"]:
            raw = raw_exchange(self.server.port, request)
            self.assertEqual(raw[:4], b"CT\x00\xff", raw)
            self.assertEqual(struct.unpack(">H", raw[8:10])[0], 1)

    def test_path_traversal_reaches_nothing_outside_the_table(self):
        for target in [b"/demo/../secret.txt", b"/demo/..%2fsecret.txt", b"/demo/%2e%2e/secret.txt",
                       b"/demo/%2E%2E%2Fsecret.txt", b"/demo/img/../../secret.txt",
                       b"/demo//etc/passwd", b"/demo/./index.html", b"/demo/..\\secret.txt",
                       b"/demo/index.html%00.js", b"/demo/img/", b"/demo/../citadel.yaml"]:
            raw = raw_exchange(self.server.port, b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertEqual(status_of(raw), 404, (target, raw))
            self.assertNotIn(b"TOP-SECRET", raw)
            self.assertNotIn(b"root:", raw)
        # An absolute-form target is not a path: refused before any lookup.
        raw = raw_exchange(self.server.port,
                           b"GET http://x/demo/../secret.txt HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(status_of(raw), 400)

    def test_oversized_and_malformed_requests_keep_their_errors(self):
        big = b"GET /demo/ HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 9000 + b"\r\n\r\n"
        self.assertEqual(status_of(raw_exchange(self.server.port, big)), 431)
        self.assertEqual(status_of(raw_exchange(self.server.port, b"GET /demo/ HTTP/1.1\r\n\r\n")),
                         400)  # no Host
        body = b"GET /demo/ HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi"
        self.assertEqual(status_of(raw_exchange(self.server.port, body)), 400)
        # A plain GET of the WebSocket path is a bad upgrade, as before.
        self.assertEqual(status_of(raw_exchange(self.server.port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")),
                         400)
        self.assertEqual(status_of(raw_exchange(self.server.port,
                                                b"GET /elsewhere HTTP/1.1\r\nHost: x\r\n\r\n")), 404)

    def test_websocket_and_raw_frames_still_work_on_the_same_port(self):
        async def go():
            async with websockets.connect(f"ws://127.0.0.1:{self.server.port}/") as ws:
                await ws.send(frame(0x0001, b"hi"))
                self.assertEqual(await ws.recv(), frame(0x0002, b"hi"))
        asyncio.run(asyncio.wait_for(go(), timeout=20))
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=5) as s:
            s.sendall(frame(0x0001, b"raw"))
            got = b""
            while len(got) < 11:
                got += s.recv(64)
            self.assertEqual(got, frame(0x0002, b"raw"))

    def test_sighup_reloads_the_files(self):
        with open(os.path.join(self.server.root, "reload.txt"), "wb") as f:
            f.write(b"v2\n")
        self.assertEqual(self.get("/demo/reload.txt")[0].status, 404)
        self.server.proc.send_signal(signal.SIGHUP)  # by PID: the server we started
        deadline = time.monotonic() + 10
        while True:  # the reload happens on the server's control thread: poll for it
            r, body = self.get("/demo/reload.txt")
            if r.status == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.assertEqual((r.status, body), (200, b"v2\n"), self.server.output()[-2000:])


class Configuration(unittest.TestCase):
    def test_a_named_root_that_cannot_load_stops_start_up(self):
        s = Server("web:\n  root: /nonexistent/citadel-web\n", expect_start=False)
        try:
            self.assertNotEqual(s.proc.wait(timeout=20), 0)
            self.assertIn("web.root", s.output())
        finally:
            s.stop()

    def test_a_bad_path_is_a_config_error(self):
        s = Server("web:\n  path: /demo\n", expect_start=False)
        try:
            self.assertNotEqual(s.proc.wait(timeout=20), 0)
            self.assertIn("web.path", s.output())
        finally:
            s.stop()

    def test_web_disabled_leaves_the_upgrade_errors(self):
        s = Server("web:\n  enabled: false\n  root: {root}\n", {"index.html": INDEX})
        try:
            raw = raw_exchange(s.port, b"GET /demo/ HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertEqual(status_of(raw), 404)
            self.assertNotIn(INDEX, raw)
        finally:
            s.stop()

    def test_another_prefix(self):
        s = Server("web:\n  path: /play/\n  root: {root}\n", {"index.html": INDEX})
        try:
            raw = raw_exchange(s.port, b"GET /play/ HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertEqual((status_of(raw), body_of(raw)), (200, INDEX))
            raw = raw_exchange(s.port, b"GET /demo/ HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertEqual(status_of(raw), 404)
        finally:
            s.stop()


if __name__ == "__main__":
    CITADEL = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
