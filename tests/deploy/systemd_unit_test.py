#!/usr/bin/python3
"""deploy/systemd/citadel.service, checked by systemd itself.

`systemd-analyze verify` loads the unit as systemd would. It needs the
ExecStart binary to exist, so a temp copy names the built citadel instead
of /usr/local/bin/citadel. verify exits 0 on an unknown key or a bad value
(it logs "Unknown key ..., ignoring" and carries on, as systemd does at
boot), so the check also fails on any line it prints about the unit; the
test breaks copies on purpose to show the check catches each kind of
mistake. `systemd-analyze security --offline` scores the hardening. The
rest reads the unit's values and holds them to the server's: the flags in
ExecStart parse, TimeoutStopSec outlasts the drain, a SystemCallFilter
keeps io_uring.

Runs without systemd as PID 1 (verify and security --offline read files
only); --man=no because Documentation= pages need not be installed here.

Usage: systemd_unit_test.py PATH_TO_CITADEL SOURCE_DIR
"""
import os
import re
import shlex
import subprocess
import sys
import tempfile
import unittest

CITADEL = None
UNIT = None
INSTALLED_PATH = "/usr/local/bin/citadel"
ANALYZE = "/usr/bin/systemd-analyze"
MAX_EXPOSURE = 25  # systemd-analyze security's --threshold: exposure 2.5 of 10


def unit_text():
    with open(UNIT) as f:
        text = f.read()
    assert INSTALLED_PATH in text, "ExecStart no longer names " + INSTALLED_PATH
    return text.replace(INSTALLED_PATH, CITADEL)


def values(text):
    """[Service] (and other sections') key -> list of values, comments dropped."""
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] in "#;[":
            continue
        key, _, value = line.partition("=")
        out.setdefault(key.strip(), []).append(value.strip())
    return out


def seconds(value):
    m = re.fullmatch(r"(\d+)(ms|s|min)?", value)
    assert m, "unexpected time span " + value
    n = int(m.group(1))
    return {"ms": n / 1000, None: n, "s": n, "min": n * 60}[m.group(2)]


def verify(text):
    """The problems systemd-analyze verify reports for this unit text: []
    when it loads cleanly."""
    with tempfile.TemporaryDirectory(prefix="citadel-unit-") as d:
        path = os.path.join(d, "citadel.service")
        with open(path, "w") as f:
            f.write(text)
        r = subprocess.run([ANALYZE, "verify", "--man=no", path], capture_output=True,
                           text=True, timeout=60)
        lines = [l for l in (r.stdout + r.stderr).splitlines() if "citadel.service" in l]
        if r.returncode != 0 and not lines:
            lines = ["exit {}: {}".format(r.returncode, (r.stdout + r.stderr).strip())]
        return lines


def exposure_ok(text):
    with tempfile.TemporaryDirectory(prefix="citadel-unit-") as d:
        path = os.path.join(d, "citadel.service")
        with open(path, "w") as f:
            f.write(text)
        r = subprocess.run([ANALYZE, "security", "--offline=true", "--man=no",
                            "--threshold={}".format(MAX_EXPOSURE), path],
                           capture_output=True, text=True, timeout=60)
        summary = [l for l in r.stdout.splitlines() if "Overall exposure" in l]
        return r.returncode == 0, summary


class SystemdUnitTest(unittest.TestCase):
    def test_verify_loads_the_unit_cleanly(self):
        self.assertEqual(verify(unit_text()), [])

    def test_verify_catches_an_unknown_key(self):
        broken = unit_text().replace("[Service]\n", "[Service]\nWatchdogSecs=10s\n")
        problems = verify(broken)
        self.assertTrue(any("Unknown key" in p for p in problems), problems)

    def test_verify_catches_a_bad_type(self):
        broken = unit_text().replace("Type=notify\n", "Type=notifyy\n")
        self.assertNotEqual(verify(broken), [])

    def test_verify_catches_a_missing_binary(self):
        broken = unit_text().replace(CITADEL, "/nonexistent/citadel")
        self.assertNotEqual(verify(broken), [])

    def test_hardening_scores_low_exposure(self):
        ok, summary = exposure_ok(unit_text())
        self.assertTrue(ok, summary)
        print("shipped unit:", *summary)

    def test_the_exposure_check_fails_without_the_hardening(self):
        hardening = re.compile(r"^(NoNewPrivileges|Protect\w+|Private\w+|Restrict\w+|"
                               r"LockPersonality|MemoryDenyWriteExecute|CapabilityBoundingSet|"
                               r"SystemCall\w+|DynamicUser|UMask)=")
        bare = "\n".join(l for l in unit_text().splitlines() if not hardening.match(l))
        ok, summary = exposure_ok(bare + "\n")
        self.assertFalse(ok, summary)

    def test_notify_watchdog_and_restart(self):
        v = values(unit_text())
        self.assertEqual(v["Type"], ["notify"])
        self.assertEqual(v["NotifyAccess"], ["main"])
        self.assertGreater(seconds(v["WatchdogSec"][0]), 0)
        self.assertEqual(v["Restart"], ["on-failure"])
        self.assertIn("RestartSec", v)
        # Exit 2 is a bad config: restarting it would only loop.
        self.assertIn("2", v["RestartPreventExitStatus"][0].split())
        self.assertEqual(v["ExecReload"], ["/bin/kill -HUP $MAINPID"])

    def test_exec_start_flags_are_the_servers(self):
        argv = shlex.split(values(unit_text())["ExecStart"][0])
        self.assertEqual(argv[0], CITADEL)
        i = argv.index("--config")
        self.assertEqual(argv[i + 1], "/etc/citadel/citadel.yaml")
        with tempfile.TemporaryDirectory(prefix="citadel-unit-") as d:
            config = os.path.join(d, "citadel.yaml")
            with open(config, "w") as f:
                f.write("server:\n  port: 7777\n")
            argv[i + 1] = config
            r = subprocess.run(argv + ["--print-config"], capture_output=True, text=True,
                               timeout=30)
            self.assertEqual(r.returncode, 0, r.stderr)

    def test_stop_timeout_outlasts_the_drain(self):
        r = subprocess.run([CITADEL, "--print-config"], capture_output=True, text=True,
                           timeout=30)
        m = re.search(r"drain_timeout_ms:\s*(\d+)", r.stdout)
        self.assertIsNotNone(m, r.stdout)
        drain = int(m.group(1)) / 1000
        self.assertGreater(seconds(values(unit_text())["TimeoutStopSec"][0]), drain)

    def test_state_lands_in_the_state_directory(self):
        v = values(unit_text())
        self.assertEqual(v["StateDirectory"], ["citadel"])
        self.assertEqual(v["WorkingDirectory"], ["%S/citadel"])
        self.assertTrue(v.get("DynamicUser") == ["yes"] or "User" in v)

    def test_a_syscall_filter_keeps_io_uring(self):
        # An allow-list (no leading ~) must name the io_uring calls, which
        # @system-service leaves out; a deny-list must not name them.
        for f in values(unit_text()).get("SystemCallFilter", []):
            calls = f.lstrip("~").split()
            for call in ("io_uring_setup", "io_uring_enter", "io_uring_register"):
                if f.startswith("~"):
                    self.assertNotIn(call, calls)
                else:
                    self.assertIn(call, calls, f)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    CITADEL = os.path.abspath(sys.argv.pop(1))
    UNIT = os.path.join(sys.argv.pop(1), "deploy", "systemd", "citadel.service")
    if not os.access(ANALYZE, os.X_OK):
        sys.exit("systemd-analyze not found: apt-get install systemd (scripts/install-deps.sh)")
    unittest.main(verbosity=2)
