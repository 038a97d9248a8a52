#!/usr/bin/python3
"""deploy/supervisor/citadel.conf under a real supervisord.

The test starts Debian's /usr/bin/supervisord in the foreground, as its own
child, with a config of its own in a temp dir (control socket, pidfile,
log there) that includes the shipped [program:citadel] section with only
the host-specific values replaced: the built binary with a free port and a
port file, a temp working directory, the current user, a log file in the
temp dir. Every other line (autorestart, exitcodes, stopsignal, ...) is the
shipped one. Then it kills the server with SIGKILL and expects supervisord
to start a new one (a new PID, the new port answering), and stops
supervisord, which must stop the server with it.

Usage: supervisor_restart_test.py PATH_TO_CITADEL SOURCE_DIR
"""
import os
import pwd
import re
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

CITADEL = None
PROGRAM = None
SUPERVISORD = "/usr/bin/supervisord"
SUPERVISORCTL = "/usr/bin/supervisorctl"


def wait_until(what, predicate, seconds=30):
    deadline = time.monotonic() + seconds
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.05)


def answers(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead too: supervisord has not reaped it yet.
    try:
        with open("/proc/{}/stat".format(pid)) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        # Reaped between the open and the read: reading then fails with ESRCH.
        return False


def shipped_program():
    with open(PROGRAM) as f:
        return f.read()


def substitute(text, key, value):
    """Replaces `key=...` in the section; fails if the shipped file lacks it."""
    new, n = re.subn(r"^{}=.*$".format(re.escape(key)), "{}={}".format(key, value), text,
                     flags=re.M)
    assert n == 1, "deploy/supervisor/citadel.conf: expected one {}= line".format(key)
    return new


def option(text, key):
    m = re.search(r"^{}=(.*)$".format(re.escape(key)), text, flags=re.M)
    return m.group(1).strip() if m else None


class Supervisord:
    def __init__(self):
        self.dir = tempfile.TemporaryDirectory(prefix="citadel-supervisor-")
        d = self.dir.name
        self.work = os.path.join(d, "work")
        os.mkdir(self.work)
        self.port_file = os.path.join(self.work, "port")
        config = os.path.join(self.work, "citadel.yaml")
        with open(config, "w") as f:
            f.write("shutdown:\n  drain_timeout_ms: 1000\n")
        program = shipped_program()
        command = shlex.split(option(program, "command"))
        i = command.index("--config")
        command[0] = CITADEL
        command[i + 1] = config
        command += ["--host", "127.0.0.1", "--port", "0", "--admin-port", "0",
                    "--threads", "1", "--port-file", self.port_file]
        program = substitute(program, "command", shlex.join(command))
        program = substitute(program, "directory", self.work)
        program = substitute(program, "user", pwd.getpwuid(os.getuid()).pw_name)
        program = substitute(program, "stdout_logfile", os.path.join(d, "citadel.log"))
        with open(os.path.join(d, "citadel.conf"), "w") as f:
            f.write(program)
        self.conf = os.path.join(d, "supervisord.conf")
        with open(self.conf, "w") as f:
            f.write("""[unix_http_server]
file={d}/supervisor.sock
chmod=0700

[supervisord]
nodaemon=true
logfile={d}/supervisord.log
pidfile={d}/supervisord.pid
childlogdir={d}
user={user}

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://{d}/supervisor.sock

[include]
files = {d}/citadel.conf
""".format(d=d, user=pwd.getpwuid(os.getuid()).pw_name))
        self.out = open(os.path.join(d, "supervisord.out"), "w")
        self.proc = subprocess.Popen([SUPERVISORD, "-c", self.conf], cwd=d, stdout=self.out,
                                     stderr=subprocess.STDOUT)

    def citadel_pid(self):
        """The server's PID as supervisord reports it, or 0 (not running)."""
        r = subprocess.run([SUPERVISORCTL, "-c", self.conf, "pid", "citadel"],
                           capture_output=True, text=True, timeout=10)
        text = r.stdout.strip()
        return int(text) if text.isdigit() else 0

    def state(self):
        """supervisord's state of the program: STARTING, RUNNING, BACKOFF, ..."""
        r = subprocess.run([SUPERVISORCTL, "-c", self.conf, "status", "citadel"],
                           capture_output=True, text=True, timeout=10)
        fields = r.stdout.split()
        return fields[1] if len(fields) > 1 else ""

    def port(self):
        try:
            with open(self.port_file) as f:
                return int(f.read())
        except (FileNotFoundError, ValueError):
            return 0

    def logs(self):
        out = []
        for name in ("supervisord.out", "supervisord.log", "citadel.log"):
            path = os.path.join(self.dir.name, name)
            if os.path.exists(path):
                with open(path) as f:
                    out.append("--- {}\n{}".format(name, f.read()))
        return "\n".join(out)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # by PID: the supervisord we started
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def close(self):
        self.stop()
        self.out.close()
        self.dir.cleanup()


class SupervisorRestartTest(unittest.TestCase):
    def test_shipped_section_restarts_and_drains(self):
        program = shipped_program()
        self.assertIn("[program:citadel]", program)
        self.assertEqual(option(program, "stopsignal"), "TERM")
        self.assertIn(option(program, "autorestart"), ("true", "unexpected"))
        # A clean exit 0 is expected; 2 (bad config) must not restart in a loop.
        self.assertIn("2", option(program, "exitcodes").split(","))
        r = subprocess.run([CITADEL, "--print-config"], capture_output=True, text=True,
                           timeout=30)
        drain = int(re.search(r"drain_timeout_ms:\s*(\d+)", r.stdout).group(1)) / 1000
        self.assertGreater(int(option(program, "stopwaitsecs")), drain)

    def test_a_killed_server_is_started_again(self):
        s = Supervisord()
        try:
            first = wait_until("supervisord to start citadel", s.citadel_pid)
            port = wait_until("the port file", s.port)
            self.assertTrue(wait_until("port {} to answer".format(port), lambda: answers(port)))
            # RUNNING: up for startsecs. A death before that is a failed start,
            # retried whatever autorestart says; this kill must test autorestart.
            wait_until("RUNNING", lambda: s.state() == "RUNNING")
            self.assertEqual(s.citadel_pid(), first)

            os.remove(s.port_file)  # the next server writes its own
            os.kill(first, signal.SIGKILL)  # the server supervisord started for us
            wait_until("the killed server to go", lambda: not alive(first))
            second = wait_until("a new citadel",
                                lambda: (p := s.citadel_pid()) and p != first and p)
            new_port = wait_until("the new port file", s.port)
            self.assertTrue(wait_until("port {} to answer".format(new_port),
                                       lambda: answers(new_port)))
            self.assertTrue(alive(second))

            # supervisord stops its programs on SIGTERM (stopsignal TERM:
            # a drain, exit 0) and exits itself.
            self.assertEqual(s.stop(), 0, s.logs())
            self.assertFalse(alive(second), "citadel outlived supervisord")
            self.assertIn("stopped: ", s.logs())  # the server's own last line: drained
        except AssertionError as e:
            raise AssertionError("{}\n{}".format(e, s.logs())) from None
        finally:
            second_pid = s.citadel_pid() if s.proc.poll() is None else 0
            s.close()
            if second_pid and alive(second_pid):
                os.kill(second_pid, signal.SIGKILL)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    CITADEL = os.path.abspath(sys.argv.pop(1))
    PROGRAM = os.path.join(sys.argv.pop(1), "deploy", "supervisor", "citadel.conf")
    for tool in (SUPERVISORD, SUPERVISORCTL):
        if not os.access(tool, os.X_OK):
            sys.exit(tool + " not found: apt-get install supervisor (scripts/install-deps.sh)")
    unittest.main(verbosity=2)
