#!/usr/bin/python3
"""TLS on the game port, checked with independent clients.

Python's ssl module and Debian's python3-websockets (not our code) against a
real citadel binary on loopback, with a certificate made by the openssl
command and verified by the clients (hostname included): raw frames over
TLS, wss://, plain TCP and ws:// on the same port, and a ClientHello for a
version the server refuses.

Usage: tls_cross_client_test.py PATH_TO_CITADEL
"""
import asyncio
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "websocket"))
import ws_cross_client_test as ws  # noqa: E402  (its Server, frame helpers)

import websockets  # noqa: E402

PING, PONG, ECHO = 0x0001, 0x0002, 0x0003


def read_frame(sock):
    header = b""
    while len(header) < 8:
        chunk = sock.recv(8 - len(header))
        if not chunk:
            raise EOFError("closed inside a header")
        header += chunk
    assert header[:2] == b"CT", header
    length = int.from_bytes(header[4:8], "big")
    payload = b""
    while len(payload) < length:
        chunk = sock.recv(length - len(payload))
        if not chunk:
            raise EOFError("closed inside a payload")
        payload += chunk
    return int.from_bytes(header[2:4], "big"), payload


class TlsCrossClient(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.certs = tempfile.TemporaryDirectory(prefix="citadel-tls-certs-")
        cls.cert = os.path.join(cls.certs.name, "server.crt")
        cls.key = os.path.join(cls.certs.name, "server.key")
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-nodes", "-days", "1", "-subj", "/CN=localhost",
             "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
             "-keyout", cls.key, "-out", cls.cert],
            check=True, capture_output=True, timeout=30)
        cls.server = ws.Server(
            "tls:\n  enabled: true\n  certificate_file: %s\n  private_key_file: %s\n"
            % (cls.cert, cls.key))

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.certs.cleanup()

    def client_context(self):
        ctx = ssl.create_default_context(cafile=self.cert)
        ctx.check_hostname = True
        return ctx

    def tls_socket(self, ctx=None):
        raw = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
        return (ctx or self.client_context()).wrap_socket(raw, server_hostname="localhost")

    def test_raw_frames_over_tls_with_a_verified_certificate(self):
        with self.tls_socket() as s:
            self.assertIn(s.version(), ("TLSv1.3", "TLSv1.2"))
            s.sendall(ws.frame(PING, b"secure") + ws.frame(ECHO, b"x" * 40000))
            self.assertEqual(read_frame(s), (PONG, b"secure"))
            self.assertEqual(read_frame(s), (ECHO, b"x" * 40000))

    def test_tls12_is_accepted_by_default(self):
        ctx = self.client_context()
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        with self.tls_socket(ctx) as s:
            self.assertEqual(s.version(), "TLSv1.2")
            s.sendall(ws.frame(PING, b"old but fine"))
            self.assertEqual(read_frame(s), (PONG, b"old but fine"))

    def test_wss_carries_frames(self):
        async def go():
            async with websockets.connect(
                    "wss://localhost:%d/" % self.server.port, ssl=self.client_context(),
                    host="127.0.0.1", port=self.server.port) as conn:
                await conn.send(ws.frame(PING, b"from a browser, securely"))
                reply = await conn.recv()
                self.assertEqual(reply, ws.frame(PONG, b"from a browser, securely"))
        ws.run(go())

    def test_plain_tcp_and_ws_share_the_port(self):
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as s:
            s.sendall(ws.frame(PING, b"plain"))
            self.assertEqual(read_frame(s), (PONG, b"plain"))

        async def go():
            async with websockets.connect("ws://127.0.0.1:%d/" % self.server.port) as conn:
                await conn.send(ws.frame(PING, b"ws"))
                self.assertEqual(await conn.recv(), ws.frame(PONG, b"ws"))
        ws.run(go())


if __name__ == "__main__":
    ws.CITADEL = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
