#!/usr/bin/python3
"""The server's sd_notify messages, seen from the service manager's side.

The test plays systemd: it binds a unix datagram socket in a temp dir and
starts the real citadel binary with NOTIFY_SOCKET naming it (and
WATCHDOG_USEC, as a unit with WatchdogSec would). It checks READY=1 comes
once the game port answers, WATCHDOG=1 at about half the watchdog interval,
RELOADING=1 then READY=1 around a SIGHUP reload, STOPPING=1 on SIGTERM, and
exit 0. With WATCHDOG_PID naming another process the server must not ping
(the variable was meant for someone else).

Usage: sd_notify_test.py PATH_TO_CITADEL
"""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

CITADEL = None
WATCHDOG_USEC = 400_000  # pings every 200 ms


class NotifiedServer:
    """citadel on a free loopback port, notifying a socket of the test's."""

    def __init__(self, extra_env=None):
        self.dir = tempfile.TemporaryDirectory(prefix="citadel-notify-")
        self.socket_path = os.path.join(self.dir.name, "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.socket_path)
        self.port_file = os.path.join(self.dir.name, "port")
        env = {k: v for k, v in os.environ.items()
               if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID")}
        env["NOTIFY_SOCKET"] = self.socket_path
        env["WATCHDOG_USEC"] = str(WATCHDOG_USEC)
        env.update(extra_env or {})
        self.log = open(os.path.join(self.dir.name, "server.log"), "w")
        self.proc = subprocess.Popen(
            [CITADEL, "--host", "127.0.0.1", "--port", "0", "--admin-port", "0",
             "--threads", "2", "--port-file", self.port_file, "--log-level", "debug"],
            cwd=self.dir.name, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def next_message(self, deadline):
        """The next datagram as a dict (KEY=VALUE lines), or None at the deadline."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(4096)
        except socket.timeout:
            return None
        return dict(line.split("=", 1) for line in data.decode().splitlines() if "=" in line)

    def wait_for(self, key, seconds=20, seen=None):
        """Reads messages until one has `key`; returns it. Others go to `seen`."""
        deadline = time.monotonic() + seconds
        while True:
            m = self.next_message(deadline)
            if m is None:
                raise AssertionError("no {} within {} s; server log:\n{}".format(
                    key, seconds, self.output()))
            if key in m:
                return m
            if seen is not None:
                seen.append(m)

    def port(self):
        with open(self.port_file) as f:
            return int(f.read())

    def output(self):
        self.log.flush()
        with open(os.path.join(self.dir.name, "server.log")) as f:
            return f.read()

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()  # by PID: only the process we started
            self.proc.wait()
        self.sock.close()
        self.log.close()
        self.dir.cleanup()


def answers(port):
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        return True


class SdNotifyTest(unittest.TestCase):
    def setUp(self):
        self.server = None

    def tearDown(self):
        if self.server:
            self.server.close()

    def test_ready_watchdog_reload_stopping(self):
        s = self.server = NotifiedServer()
        ready = s.wait_for("READY")
        self.assertEqual(ready["READY"], "1")
        # READY is sent after the port file is written and the port listens.
        port = s.port()
        self.assertTrue(answers(port))
        self.assertIn("serving on port {}".format(port), ready.get("STATUS", ""))

        # Several pings, about every WATCHDOG_USEC / 2.
        started = time.monotonic()
        for _ in range(4):
            self.assertEqual(s.wait_for("WATCHDOG", seconds=5)["WATCHDOG"], "1")
        elapsed = time.monotonic() - started
        self.assertGreater(elapsed, 2 * WATCHDOG_USEC / 2 / 1e6,
                           "pings come far faster than half the interval")

        s.proc.send_signal(signal.SIGHUP)
        reloading = s.wait_for("RELOADING")
        self.assertEqual(reloading["RELOADING"], "1")
        seen = []
        again = s.wait_for("READY", seen=seen)
        self.assertIn("serving on port", again.get("STATUS", ""))
        self.assertTrue(answers(port))

        s.proc.send_signal(signal.SIGTERM)
        self.assertEqual(s.wait_for("STOPPING")["STOPPING"], "1")
        self.assertEqual(s.proc.wait(timeout=30), 0, s.output())

    def test_no_pings_when_the_watchdog_is_meant_for_another_process(self):
        # WATCHDOG_PID names PID 1: sd_watchdog_enabled says "not for you".
        s = self.server = NotifiedServer({"WATCHDOG_PID": "1"})
        s.wait_for("READY")
        deadline = time.monotonic() + 4 * WATCHDOG_USEC / 1e6
        while (m := s.next_message(deadline)) is not None:
            self.assertNotIn("WATCHDOG", m)
        s.proc.send_signal(signal.SIGTERM)
        self.assertEqual(s.proc.wait(timeout=30), 0, s.output())


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    CITADEL = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
