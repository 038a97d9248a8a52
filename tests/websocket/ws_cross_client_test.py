#!/usr/bin/python3
"""WebSocket on the game port, checked with an independent client.

Debian's python3-websockets (not our code) speaks to a real citadel binary
on loopback: the upgrade, binary messages carrying one Citadel frame each,
the ERROR codes unchanged, WebSocket pings, the close codes for text and
bad framing, refused handshakes, and the raw-TCP protocol on the same port.
Raw sockets play the clients a library will not imitate (unmasked frames,
a handshake that never ends).

Usage: ws_cross_client_test.py PATH_TO_CITADEL
"""
import asyncio
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


def frame(cmd, payload=b""):
    return b"CT" + struct.pack(">HI", cmd, len(payload)) + payload


def error_code(message):
    assert message[:4] == b"CT\x00\xff", message
    return struct.unpack(">H", message[8:10])[0]


UPGRADE = (b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")


def upgrade(s):
    """Sends UPGRADE on socket s, checks the 101, returns the bytes after it."""
    s.sendall(UPGRADE)
    reply = b""
    while b"\r\n\r\n" not in reply:
        chunk = s.recv(4096)
        if not chunk:
            raise AssertionError("closed during the upgrade: %r" % reply)
        reply += chunk
    head, rest = reply.split(b"\r\n\r\n", 1)
    if not head.startswith(b"HTTP/1.1 101"):
        raise AssertionError("no 101: %r" % head)
    return rest


class Server:
    """One citadel process on a free loopback port, in its own temp dir."""

    def __init__(self, config=""):
        self.dir = tempfile.TemporaryDirectory(prefix="citadel-ws-")
        with open(os.path.join(self.dir.name, "citadel.yaml"), "w") as f:
            f.write(config)
        port_file = os.path.join(self.dir.name, "port")
        self.log = open(os.path.join(self.dir.name, "server.log"), "w")
        self.proc = subprocess.Popen(
            [CITADEL, "--config", "citadel.yaml", "--host", "127.0.0.1", "--port", "0",
             "--admin-port", "0", "--port-file", port_file, "--log-level", "debug"],
            cwd=self.dir.name, stdout=self.log, stderr=subprocess.STDOUT)
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


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, timeout=20))


class WebSocketCrossClient(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server("websocket:\n  handshake_timeout_ms: 500\n")
        cls.url = f"ws://127.0.0.1:{cls.server.port}/"

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_binary_messages_carry_frames_and_errors_unchanged(self):
        async def go():
            async with websockets.connect(self.url) as ws:
                await ws.send(frame(0x0001, b"hi"))
                self.assertEqual(await ws.recv(), frame(0x0002, b"hi"))
                big = bytes(range(256)) * 200  # 51,200 bytes: the 64-bit length form
                await ws.send(frame(0x0003, big))
                self.assertEqual(await ws.recv(), frame(0x0003, big))
                await ws.send(frame(0x7F00))
                self.assertEqual(error_code(await ws.recv()), 3)  # unknown command
                await ws.send(frame(0x0200, b"x"))
                self.assertEqual(error_code(await ws.recv()), 9)  # not logged in
                pong = await ws.ping(b"are you there")
                await pong
                await ws.send(frame(0x0001, b"still"))
                self.assertEqual(await ws.recv(), frame(0x0002, b"still"))
        run(go())

    def test_a_guest_login_reply_shared_by_the_services_arrives_whole(self):
        # The GuestLogin of docs/protocol.md's worked example, byte for byte.
        # Its AuthReply is a frame the services encode once and share
        # (send_shared): the WebSocket header goes ahead of the shared bytes.
        login = bytes.fromhex("0c000000" "08000c0004000800" "08000000" "01000000" "04000000"
                              "09000000" "6465766963652d3432000000")
        async def go():
            async with websockets.connect(self.url) as ws:
                await ws.send(frame(0x0100, login))
                reply = await ws.recv()
                self.assertEqual(reply[:4], b"CT\x01\x04")  # AuthReply
                self.assertEqual(len(reply), 8 + struct.unpack(">I", reply[4:8])[0])
                self.assertIn(b"guest-", reply)
                await ws.send(frame(0x0001, b"after login"))
                self.assertEqual(await ws.recv(), frame(0x0002, b"after login"))
        run(go())

    def test_a_fragmented_message_is_one_frame(self):
        async def go():
            async with websockets.connect(self.url) as ws:
                whole = frame(0x0003, b"in three pieces")
                await ws.send([whole[:5], whole[5:11], whole[11:]])
                self.assertEqual(await ws.recv(), whole)
        run(go())

    def test_text_gets_close_1003(self):
        async def go():
            async with websockets.connect(self.url) as ws:
                await ws.send("a text message")
                with self.assertRaises(websockets.ConnectionClosed) as closed:
                    await ws.recv()
                self.assertEqual(closed.exception.rcvd.code, 1003)
        run(go())

    def test_bad_magic_inside_a_message_gets_error_1_then_close_1002(self):
        async def go():
            async with websockets.connect(self.url) as ws:
                await ws.send(b"GET / HTTP/1.1\r\n")
                self.assertEqual(error_code(await ws.recv()), 1)
                with self.assertRaises(websockets.ConnectionClosed) as closed:
                    await ws.recv()
                self.assertEqual(closed.exception.rcvd.code, 1002)
        run(go())

    def test_a_message_that_is_not_exactly_one_frame_is_refused(self):
        async def go():
            async with websockets.connect(self.url) as ws:
                await ws.send(frame(0x0001, b"a") + frame(0x0001, b"b"))
                self.assertEqual(error_code(await ws.recv()), 8)
                with self.assertRaises(websockets.ConnectionClosed) as closed:
                    await ws.recv()
                self.assertEqual(closed.exception.rcvd.code, 1002)
        run(go())

    def test_a_client_close_is_echoed(self):
        async def go():
            ws = await websockets.connect(self.url)
            await ws.close(code=4000, reason="bye")
            self.assertEqual(ws.close_rcvd.code, 4000)
        run(go())

    def test_a_wrong_path_is_refused_404(self):
        async def go():
            with self.assertRaises(websockets.InvalidStatusCode) as refused:
                await websockets.connect(self.url + "elsewhere")
            self.assertEqual(refused.exception.status_code, 404)
        run(go())

    def test_an_unmasked_client_frame_gets_close_1002(self):
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=5) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                      b"Sec-WebSocket-Version: 13\r\n\r\n")
            reply = b""
            while b"\r\n\r\n" not in reply:
                reply += s.recv(4096)
            head, rest = reply.split(b"\r\n\r\n", 1)
            self.assertTrue(head.startswith(b"HTTP/1.1 101"), head)
            self.assertIn(b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", head)
            ping = frame(0x0001, b"x")
            s.sendall(bytes([0x82, len(ping)]) + ping)  # no mask bit
            data = rest
            while len(data) < 4:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            self.assertEqual(data[0], 0x88)  # a close frame
            self.assertEqual(struct.unpack(">H", data[2:4])[0], 1002)

    def test_a_ping_flood_gets_close_1008_after_its_budget(self):
        # websocket.max_pings_per_second (10 by default): the pings within it
        # are answered, the first one past it closes the connection with 1008,
        # and the server serves the others.
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=5) as s:
            rest = upgrade(s)
            ping = bytes([0x89, 0x80 | 4, 1, 2, 3, 4]) + bytes([0x70, 0x6A, 0x6D, 0x6F])  # "qhnk"
            s.sendall(ping * 30)
            data = rest
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            pongs = 0
            while data and data[0] == 0x8A:  # an unmasked pong, 4 bytes of payload
                self.assertEqual(data[:6], bytes([0x8A, 4]) + b"qhnk")
                pongs += 1
                data = data[6:]
            self.assertEqual(pongs, 10)
            self.assertEqual(data[0], 0x88)  # then a close frame
            self.assertEqual(struct.unpack(">H", data[2:4])[0], 1008)
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=5) as other:
            other.sendall(frame(0x0001, b"others"))
            data = b""
            while len(data) < 14:
                data += other.recv(4096)
            self.assertEqual(data, frame(0x0002, b"others"))

    def test_a_handshake_that_never_finishes_is_cut(self):
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=5) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")  # and nothing more
            start = time.monotonic()
            self.assertEqual(s.recv(4096), b"")  # FIN, no response
            self.assertLess(time.monotonic() - start, 4.5)

    def test_raw_frames_still_work_on_the_same_port(self):
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=5) as s:
            s.sendall(frame(0x0001, b"tcp"))
            data = b""
            while len(data) < 11:
                data += s.recv(4096)
            self.assertEqual(data, frame(0x0002, b"tcp"))


class PingsWithoutReading(unittest.TestCase):
    def test_a_ping_flood_that_never_reads_is_cut_as_a_slow_consumer(self):
        # With a ping budget too large to stop it first, pongs still count
        # against limits.output_queue_bytes (1 MiB) like replies: 125-byte
        # pings sent without reading a byte must end in a cut (a reset) long
        # before the bound below (~25 MB; the kernel's buffers hold a few MB
        # of them), and the server serves the others.
        server = Server("websocket:\n  max_pings_per_second: 1000000\n")
        try:
            with socket.socket() as s:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                s.settimeout(5)
                s.connect(("127.0.0.1", server.port))
                s.sendall(UPGRADE)
                ping = bytes([0x89, 0x80 | 125, 1, 2, 3, 4]) + bytes(125)  # masked, 125 bytes
                burst = ping * 256
                cut = False
                for _ in range(800):
                    try:
                        s.sendall(burst)
                    except OSError:  # ECONNRESET / EPIPE: the server cut us
                        cut = True
                        break
                self.assertTrue(cut, "200k pings unread and still connected: pongs are not capped")
            with socket.create_connection(("127.0.0.1", server.port), timeout=5) as other:
                other.sendall(frame(0x0001, b"others"))
                data = b""
                while len(data) < 14:
                    data += other.recv(4096)
                self.assertEqual(data, frame(0x0002, b"others"))
        finally:
            server.stop()


class OriginAllowList(unittest.TestCase):
    def test_only_listed_origins_may_upgrade(self):
        server = Server('websocket:\n  allowed_origins: ["https://game.example"]\n')
        try:
            url = f"ws://127.0.0.1:{server.port}/"

            async def go():
                async with websockets.connect(url, origin="https://game.example") as ws:
                    await ws.send(frame(0x0001, b"ok"))
                    self.assertEqual(await ws.recv(), frame(0x0002, b"ok"))
                with self.assertRaises(websockets.InvalidStatusCode) as refused:
                    await websockets.connect(url, origin="https://evil.example")
                self.assertEqual(refused.exception.status_code, 403)
            run(go())
        finally:
            server.stop()


if __name__ == "__main__":
    CITADEL = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
