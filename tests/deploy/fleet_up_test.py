#!/usr/bin/python3
"""scripts/fleet-up.sh end to end.

Runs `scripts/fleet-up.sh` with a CITADEL_FLEET_DIR of its own (a temp dir),
bounded in time: etcd, Redis, PostgreSQL, 2 game nodes and 2 gateways come
up. Then: a gateway's GET /fleet/nodes lists the 4 nodes with their roles;
`up` again while the fleet runs refuses and says so; `status` shows every
recorded process running; a guest on each gateway (citadel-cli, --json)
queues for an arena match (matchmaking meets in one queue on one game node
whatever the gateway) and both land in one room, each seeing the other as a
member, and leave it. Then `stop`, and every PID the script recorded must
be gone. Whatever fails, `stop` runs (and, if a recorded process outlives
it, the test kills that PID itself), so nothing is left behind.

Usage: fleet_up_test.py BIN_DIR SOURCE_DIR   (BIN_DIR holds citadel, citadel-cli)
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

BIN_DIR = None
SCRIPT = None


def alive(pid, exe):
    """The recorded process still runs (not a zombie) as the recorded binary."""
    try:
        link = os.readlink("/proc/{}/exe".format(pid))
        with open("/proc/{}/stat".format(pid)) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return False
    return state != "Z" and link in (exe, exe + " (deleted)")


def recorded(fleet_dir):
    """{name: (pid, exe)} from the script's pids/ directory."""
    out = {}
    pids = os.path.join(fleet_dir, "pids")
    if not os.path.isdir(pids):
        return out
    for name in os.listdir(pids):
        with open(os.path.join(pids, name)) as f:
            fields = f.read().split()
        if len(fields) == 2 and fields[0].isdigit():
            out[name[:-len(".pid")]] = (int(fields[0]), fields[1])
    return out


def http_json(port, path):
    with urllib.request.urlopen("http://127.0.0.1:{}{}".format(port, path), timeout=5) as r:
        return json.loads(r.read())


class FleetUpTest(unittest.TestCase):
    def setUp(self):
        # PostgreSQL runs as nobody when the test runs as root: the dir must
        # be reachable by it (mkdtemp makes it 0700).
        self.base = tempfile.mkdtemp(prefix="citadel-fleet-up-test-")
        os.chmod(self.base, 0o755)
        self.dir = os.path.join(self.base, "fleet")
        self.env = dict(os.environ, CITADEL_FLEET_DIR=self.dir, CITADEL_BIN_DIR=BIN_DIR,
                        CITADEL_FLEET_THREADS="2", CITADEL_FLEET_TIMEOUT="60")
        self.env.pop("CITADEL_FLEET_PORT_BASE", None)

    def tearDown(self):
        try:
            self.run_script("stop", timeout=90)
        finally:
            for name, (pid, exe) in recorded(self.dir).items():
                if alive(pid, exe):  # stop failed: never leave it behind
                    os.kill(pid, signal.SIGKILL)
            if os.environ.get("CITADEL_TEST_KEEP_TMP") is None:
                shutil.rmtree(self.base, ignore_errors=True)

    def run_script(self, *args, timeout=180):
        return subprocess.run([SCRIPT, *args], env=self.env, capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)

    def logs(self):
        out = []
        logs = os.path.join(self.dir, "logs")
        if os.path.isdir(logs):
            for name in sorted(os.listdir(logs)):
                with open(os.path.join(logs, name), errors="replace") as f:
                    out.append("--- {}\n{}".format(name, "".join(f.readlines()[-30:])))
        return "\n".join(out)

    def nodes(self):
        """[(id, role, game_port, admin_port, log)] as the script wrote them."""
        with open(os.path.join(self.dir, "nodes.tsv")) as f:
            return [tuple(line.rstrip("\n").split("\t")) for line in f if line.strip()]

    def play(self, gateways):
        """A guest on each gateway queues for an arena match; their events."""
        procs = []
        for i, (node, port) in enumerate(gateways):
            script = ("guest fleet-up-test-{i}-{pid}\n"
                      "match arena duel 100\n"
                      "sleep 6000\n"  # the other ticket may be seconds later (a loaded machine)
                      "leave\n"
                      "quit\n").format(i=i, pid=os.getpid())
            p = subprocess.Popen(
                [os.path.join(BIN_DIR, "citadel-cli"), "--connect",
                 "127.0.0.1:{}".format(port), "--json", "--no-reconnect"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            procs.append((node, p, script))
        results = []
        try:
            for node, p, script in procs:
                p.stdin.write(script)
                p.stdin.flush()
            for node, p, _ in procs:
                out, err = p.communicate(timeout=60)
                self.assertEqual(p.returncode, 0, err)
                results.append((node, [json.loads(l) for l in out.splitlines() if l.strip()]))
        finally:
            for _, p, _ in procs:
                if p.poll() is None:
                    p.kill()  # our own child, by its PID
                    p.wait()
        return results

    def test_fleet_up_play_and_stop(self):
        r = self.run_script("up")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr + self.logs())
        self.assertIn("the fleet is up", r.stdout)
        self.assertIn("citadel-cli --connect 127.0.0.1:", r.stdout)

        try:
            nodes = self.nodes()
            self.assertEqual(sorted((n[0], n[1]) for n in nodes),
                             [("game-1", "game"), ("game-2", "game"),
                              ("gw-1", "gateway"), ("gw-2", "gateway")])
            for node in nodes:  # the table names every node's log
                self.assertIn(node[4], r.stdout)
            gateways = [(n[0], int(n[2])) for n in nodes if n[1] == "gateway"]
            gw_admin = next(int(n[3]) for n in nodes if n[1] == "gateway")

            # The fleet as a gateway sees it: 4 live nodes with their roles.
            listed = http_json(gw_admin, "/fleet/nodes")
            self.assertTrue(listed["configured"])
            roles = sorted((n["id"], n["role"]) for n in listed["nodes"])
            self.assertEqual(roles, [("game-1", "game"), ("game-2", "game"),
                                     ("gw-1", "gateway"), ("gw-2", "gateway")])

            # A second `up` while it runs: refused, and says so.
            again = self.run_script("up", timeout=30)
            self.assertNotEqual(again.returncode, 0)
            self.assertIn("already running", again.stderr)

            status = self.run_script("status", timeout=30)
            self.assertEqual(status.returncode, 0, status.stderr)
            for name in ("etcd", "redis", "postgres", "game-1", "game-2", "gw-1", "gw-2"):
                self.assertRegex(status.stdout, r"(?m)^{}\s+\d+\s+running".format(name))

            # A guest on each gateway; both matched into one arena room.
            results = self.play(gateways)
            users, rooms, members = [], [], []
            for node, events in results:
                login = [e for e in events if e.get("event") == "session"
                         and e.get("kind") == "logged_in"]
                self.assertTrue(login, "{}: no login: {}".format(node, events))
                users.append(login[0]["user_id"])
                matched = [e for e in events if e.get("event") == "push"
                           and e.get("name") == "MatchResult"]
                self.assertTrue(matched, "{}: no MatchResult: {}".format(node, events))
                m = matched[0]["json"]
                self.assertEqual(m["message"], "joined", m)
                self.assertEqual(m["room_type"], "arena", m)
                rooms.append(m["room_id"])
                members.append(sorted(p["user_id"] for p in m["members"]))
                left = [e for e in events if e.get("event") == "reply"
                        and e.get("command") == "leave"]
                self.assertTrue(left and left[0]["result"] == "Ok", events)
                self.assertEqual(left[0]["json"]["room_id"], m["room_id"])
            self.assertNotEqual(users[0], users[1])  # one PostgreSQL: distinct accounts
            self.assertEqual(rooms[0], rooms[1])
            self.assertEqual(members[0], sorted(users))
            self.assertEqual(members[1], sorted(users))
        except AssertionError as e:
            raise AssertionError("{}\n{}".format(e, self.logs())) from None

        pids = recorded(self.dir)
        self.assertEqual(sorted(pids), ["etcd", "game-1", "game-2", "gw-1", "gw-2", "postgres",
                                        "redis"])
        started = time.monotonic()
        stop = self.run_script("stop", timeout=90)
        self.assertEqual(stop.returncode, 0, stop.stdout + stop.stderr)
        self.assertNotIn("SIGKILL", stop.stderr, "a process needed SIGKILL:\n" + self.logs())
        self.assertLess(time.monotonic() - started, 30)
        for name, (pid, exe) in pids.items():
            self.assertFalse(alive(pid, exe), "{} (pid {}) outlived stop".format(name, pid))
        # Every node drained and exited on its own: its last line.
        for node in ("game-1", "game-2", "gw-1", "gw-2"):
            with open(os.path.join(self.dir, "logs", node + ".log")) as f:
                self.assertIn("stopped: ", f.read(), node)
        status = self.run_script("status", timeout=30)
        self.assertNotEqual(status.returncode, 0)
        self.assertNotRegex(status.stdout, r"(?m)^\S+\s+\d+\s+running")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    BIN_DIR = os.path.abspath(sys.argv.pop(1))
    SCRIPT = os.path.join(os.path.abspath(sys.argv.pop(1)), "scripts", "fleet-up.sh")
    for tool in ("etcd", "redis-server", "curl", "setpriv"):
        if shutil.which(tool) is None:
            sys.exit(tool + " not found: scripts/install-deps.sh installs it")
    unittest.main(verbosity=2)
