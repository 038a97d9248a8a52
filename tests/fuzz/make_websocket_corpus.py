#!/usr/bin/env python3
"""Writes the seed corpus for websocket_fuzz into tests/fuzz/websocket_corpus/.

Each file is: limit/handshake byte, config/chunk-count byte, chunk sizes, then
the client byte stream (see the layout comment in websocket_fuzz.cc). Re-run
after changing the layout; the files are checked in.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "websocket_corpus")

DEFAULT_LIMIT = 0x7F  # one Citadel frame, 65,544 bytes
HANDSHAKE = 0x80      # byte 0: the stream starts with a handshake
ORIGIN_LIST = 0x10    # byte 1: an Origin allow list is configured
REQUEST_8K = 0xC0     # byte 1: request limit 8 KiB

KEY = b"\x37\xfa\x21\x3d"


def frame(opcode, payload=b"", fin=True, rsv=0, masked=True, key=KEY):
    b0 = (0x80 if fin else 0) | (rsv << 4) | opcode
    n = len(payload)
    mask = 0x80 if masked else 0
    if n < 126:
        head = struct.pack(">BB", b0, mask | n)
    elif n <= 0xFFFF:
        head = struct.pack(">BBH", b0, mask | 126, n)
    else:
        head = struct.pack(">BBQ", b0, mask | 127, n)
    if not masked:
        return head + payload
    body = bytes(c ^ key[i % 4] for i, c in enumerate(payload))
    return head + key + body


def binary(payload, fin=True):
    return frame(0x2, payload, fin)


def close(code=None, reason=b""):
    return frame(0x8, b"" if code is None else struct.pack(">H", code) + reason)


def request(extra=b"", method=b"GET", path=b"/", version=b"13"):
    return (method + b" " + path + b" HTTP/1.1\r\n"
            b"Host: localhost:7777\r\n"
            b"Upgrade: websocket\r\n"
            b"Connection: Upgrade\r\n"
            b"Sec-WebSocket-Version: " + version + b"\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" + extra + b"\r\n")


def without(header, req=None):
    """The minimal request with one header line left out."""
    lines = (req or request()).split(b"\r\n")
    return b"\r\n".join(line for line in lines if not line.startswith(header))


def seed(stream, limit=DEFAULT_LIMIT, handshake=False, config=REQUEST_8K, chunks=()):
    b0 = limit | (HANDSHAKE if handshake else 0)
    return bytes([b0, config | len(chunks)]) + bytes(chunks) + stream


CITADEL_PING = struct.pack(">HHI", 0x4354, 0x0001, 2) + b"hi"

SEEDS = {
    "session": seed(request() + binary(CITADEL_PING) + frame(0x9, b"p") + close(1000, b"bye"),
                    handshake=True),
    "session_split": seed(request() + binary(CITADEL_PING), handshake=True, chunks=(1, 7, 50)),
    "origin_allowed": seed(request(b"Origin: https://game.example.com\r\n") + binary(b"x"),
                           handshake=True, config=REQUEST_8K | ORIGIN_LIST),
    "origin_refused": seed(request(b"Origin: https://evil.example\r\n"), handshake=True,
                           config=REQUEST_8K | ORIGIN_LIST),
    "version_8": seed(request(version=b"8"), handshake=True),
    "post": seed(request(method=b"POST"), handshake=True),
    "too_large": seed(request(b"Cookie: " + b"c" * 300 + b"\r\n"), handshake=True, config=0x00),
    "missing_host": seed(without(b"Host:"), handshake=True),
    "missing_upgrade": seed(without(b"Upgrade:"), handshake=True),
    "missing_connection": seed(without(b"Connection:"), handshake=True),
    "missing_key": seed(without(b"Sec-WebSocket-Key:"), handshake=True),
    "missing_version": seed(without(b"Sec-WebSocket-Version:"), handshake=True),
    "bad_key": seed(request().replace(b"ZQ==", b"Z==="), handshake=True),
    "two_versions": seed(request(b"Sec-WebSocket-Version: 13\r\n"), handshake=True),
    "two_origins": seed(request(b"Origin: http://a.b\r\nOrigin: http://c.d\r\n"), handshake=True),
    "body": seed(request(b"Content-Length: 4\r\n") + b"body", handshake=True),
    "chunked": seed(request(b"Transfer-Encoding: chunked\r\n"), handshake=True),
    "http10": seed(request().replace(b"HTTP/1.1", b"HTTP/1.0"), handshake=True),
    "path_ws": seed(request(path=b"/ws?room=1") + binary(b"x"), handshake=True,
                    config=REQUEST_8K | 0x20),
    "wrong_path": seed(request(path=b"/other"), handshake=True),
    "static_get": seed(b"GET /demo/ HTTP/1.1\r\nHost: localhost\r\n\r\n", handshake=True),
    "static_head": seed(b"HEAD /demo/app.js HTTP/1.0\r\n\r\n", handshake=True),
    "static_etag": seed(b"GET /demo/app.js?v=1 HTTP/1.1\r\nHost: h\r\n"
                        b"If-None-Match: W/\"x\", *\r\n\r\n", handshake=True),
    "static_traversal": seed(b"GET /demo/../%2e%2e/app.js HTTP/1.1\r\nHost: h\r\n\r\n",
                             handshake=True),
    "static_redirect": seed(b"GET /demo?x HTTP/1.1\r\nHost: h\r\n\r\n", handshake=True),
    "bare_lf": seed(request().replace(b"\r\n", b"\n"), handshake=True),
    "folded_header": seed(request(b"X-A: b\r\n c\r\n"), handshake=True),
    "many_headers": seed(request(b"".join(b"X-%d: v\r\n" % i for i in range(20))),
                         handshake=True),
    "list_headers": seed(request(b"Connection: keep-alive\r\nUpgrade: h2c, WebSocket\r\n")
                         .replace(b"Connection: Upgrade", b"connection: Keep-Alive, upgrade"),
                         handshake=True),
    "fragmented_with_ping": seed(binary(b"frag", fin=False) + frame(0x9, b"ping")
                                 + frame(0x0, b"ment")),
    "close_reason_utf8": seed(close(1001, "au revoir, été".encode())),
    "close_empty": seed(close()),
    "close_one_byte": seed(frame(0x8, b"\x03")),
    "close_bad_utf8": seed(close(1000, b"\xed\xa0\x80")),
    "text": seed(frame(0x1, b"hello")),
    "rsv1": seed(frame(0x2, b"x", rsv=4)),
    "reserved_opcode": seed(frame(0x3, b"x")),
    "unmasked": seed(frame(0x2, b"x", masked=False)),
    "ping_126": seed(frame(0x9, b"p" * 126)),
    "continuation_alone": seed(frame(0x0, b"x")),
    "message_at_limit": seed(binary(b"m" * 100), limit=25),
    "message_over_limit": seed(binary(b"m" * 64, fin=False) + frame(0x0, b"m" * 37), limit=25),
    "citadel_max_frame": seed(binary(b"\x00" * 65544), chunks=(200, 255)),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    print(f"wrote {len(SEEDS)} seeds to {OUT}")


if __name__ == "__main__":
    main()
