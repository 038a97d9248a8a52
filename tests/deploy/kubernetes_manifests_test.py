#!/usr/bin/python3
"""deploy/kubernetes without a cluster.

Parses every manifest (python3-yaml) and checks what the fleet relies on:
the kinds and the fields read here (a Namespace, the two ConfigMaps, a
Deployment of gateways and a StatefulSet of game nodes with their probes,
grace period, resources, downward-API environment and volumes, the
Services and PodDisruptionBudgets whose selectors must match the pods, the
kustomization's resources and secret generator). Each citadel config
embedded in a ConfigMap goes through the image's own entrypoint
(deploy/kubernetes/citadel-entrypoint, with the pod's environment made up
here) into `citadel --print-config`, which must accept it; the printed
config must then agree with the manifests (ports, role, node id, advertised
address, secret path, drain shorter than the grace period). With kubectl on
the PATH, `kubectl kustomize` must render the directory (with made-up
secret files, in a copy), and so must dev-infra (etcd, Redis and
PostgreSQL for a dev cluster, whose Services must be at the addresses the
configs name); with kubeconform, the rendered objects must validate.
Neither tool is required.

Usage: kubernetes_manifests_test.py PATH_TO_CITADEL SOURCE_DIR
"""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import yaml

CITADEL = None
SOURCE = None
KDIR = None

# The pod's environment as Kubernetes would give it (downward API, Secret).
POD_ENV = {
    "gateway": {"POD_NAME": "citadel-gateway-7c9f8d6b5-x2vqp", "POD_IP": "10.42.0.17",
                "CITADEL_POSTGRES_URL": "postgresql://citadel:s3cret@postgres.example:5432/citadel"},
    "game": {"POD_NAME": "citadel-game-0", "POD_IP": "10.42.1.9"},
}


def load_all():
    """{file name: [documents]} for every manifest in deploy/kubernetes."""
    docs = {}
    for name in sorted(os.listdir(KDIR)):
        if name.endswith((".yaml", ".yml")):
            with open(os.path.join(KDIR, name)) as f:
                docs[name] = [d for d in yaml.safe_load_all(f) if d is not None]
    return docs


def objects():
    out = []
    for name, docs in load_all().items():
        if name == "kustomization.yaml":
            continue
        for d in docs:
            out.append((name, d))
    return out


def by_kind(kind):
    return [d for _, d in objects() if d.get("kind") == kind]


def workloads():
    return by_kind("Deployment") + by_kind("StatefulSet")


def component(obj):
    return obj["metadata"]["labels"]["app.kubernetes.io/component"]


def container(workload):
    containers = workload["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1, workload["metadata"]["name"]
    return containers[0]


def port_number(c, port):
    """A probe's port (a number or a container port's name) as a number."""
    if isinstance(port, int):
        return port
    for p in c.get("ports", []):
        if p.get("name") == port:
            return p["containerPort"]
    raise AssertionError("container {} has no port named {}".format(c["name"], port))


def matches(selector, labels):
    return all(labels.get(k) == v for k, v in selector.items())


def rendered_config(workload):
    """The ConfigMap's template through citadel-entrypoint and --print-config."""
    spec = workload["spec"]["template"]["spec"]
    c = container(workload)
    config_volume = next(v for v in spec["volumes"] if "configMap" in v)
    cm_name = config_volume["configMap"]["name"]
    cms = [cm for cm in by_kind("ConfigMap") if cm["metadata"]["name"] == cm_name]
    assert len(cms) == 1, "ConfigMap {} not in the manifests".format(cm_name)
    template_text = cms[0]["data"]["citadel.yaml"]
    mount = next(m for m in c["volumeMounts"] if m["name"] == config_volume["name"])
    with tempfile.TemporaryDirectory(prefix="citadel-k8s-test-") as d:
        template = os.path.join(d, "citadel.yaml")
        with open(template, "w") as f:
            f.write(template_text)
        env = dict(os.environ, CITADEL_CONFIG_TEMPLATE=template,
                   CITADEL_CONFIG=os.path.join(d, "run", "citadel.yaml"), CITADEL_BIN=CITADEL)
        env.update(POD_ENV[component(workload)])
        r = subprocess.run([os.path.join(KDIR, "citadel-entrypoint"), "--print-config"],
                           env=env, capture_output=True, text=True, timeout=60)
    return r, yaml.safe_load(r.stdout) if r.returncode == 0 else None, mount["mountPath"]


class KubernetesManifestsTest(unittest.TestCase):
    def test_every_manifest_parses_and_names_a_kind(self):
        docs = load_all()
        self.assertIn("kustomization.yaml", docs)
        for name, ds in docs.items():
            self.assertTrue(ds, name + " is empty")
            for d in ds:
                self.assertIn("apiVersion", d, name)
                self.assertIn("kind", d, name)
                if d["kind"] != "Kustomization":
                    self.assertTrue(d.get("metadata", {}).get("name"), name)

    def test_kustomization_lists_every_manifest_and_generates_the_secret(self):
        k = load_all()["kustomization.yaml"][0]
        self.assertEqual(k["kind"], "Kustomization")
        self.assertEqual(k["namespace"], "citadel")
        manifests = sorted(n for n in load_all() if n != "kustomization.yaml")
        self.assertEqual(sorted(k["resources"]), manifests)
        namespaces = by_kind("Namespace")
        self.assertEqual([n["metadata"]["name"] for n in namespaces], ["citadel"])
        gens = {g["name"]: g for g in k["secretGenerator"]}
        files = dict(f.split("=", 1) for f in gens["citadel-secrets"]["files"])
        self.assertEqual(sorted(files), ["postgres-url", "token.secret"])
        for path in files.values():
            self.assertTrue(path.startswith("secrets/"), path)
        # The operator's secret files are never committed.
        with open(os.path.join(KDIR, "secrets", ".gitignore")) as f:
            self.assertIn("*", f.read().split())

    def test_workloads(self):
        kinds = {component(w): w["kind"] for w in workloads()}
        self.assertEqual(kinds, {"gateway": "Deployment", "game": "StatefulSet"})
        for w in workloads():
            name = w["metadata"]["name"]
            spec = w["spec"]["template"]["spec"]
            labels = w["spec"]["template"]["metadata"]["labels"]
            self.assertTrue(matches(w["spec"]["selector"]["matchLabels"], labels), name)
            c = container(w)
            self.assertEqual(c["command"], ["/usr/local/bin/citadel-entrypoint"], name)
            env = {e["name"]: e for e in c["env"]}
            self.assertEqual(env["POD_NAME"]["valueFrom"]["fieldRef"]["fieldPath"],
                             "metadata.name", name)
            self.assertEqual(env["POD_IP"]["valueFrom"]["fieldRef"]["fieldPath"],
                             "status.podIP", name)
            for e in env.values():
                ref = e.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    self.assertEqual(ref["name"], "citadel-secrets", name)
            res = c["resources"]
            for part in ("requests", "limits"):
                self.assertIn("cpu", res[part], name)
                self.assertIn("memory", res[part], name)
            # Probes: ready = /health on the admin port; liveness must not
            # be /health (503 while draining and while etcd is away).
            ready = c["readinessProbe"]["httpGet"]
            self.assertEqual(ready["path"], "/health", name)
            self.assertEqual(ready["port"], "admin", name)
            live = c["livenessProbe"]
            self.assertNotEqual(live.get("httpGet", {}).get("path"), "/health", name)
            self.assertEqual(port_number(c, live.get("httpGet", live.get("tcpSocket"))["port"]),
                             port_number(c, "admin"), name)
            volumes = {v["name"]: v for v in spec["volumes"]}
            for m in c["volumeMounts"]:
                self.assertIn(m["name"], volumes, name)
            secret_volumes = [v for v in spec["volumes"] if "secret" in v]
            self.assertEqual([v["secret"]["secretName"] for v in secret_volumes],
                             ["citadel-secrets"], name)
            self.assertTrue(c["securityContext"]["readOnlyRootFilesystem"], name)
            self.assertTrue(spec["securityContext"]["runAsNonRoot"], name)
            if w["kind"] == "StatefulSet":
                headless = [s for s in by_kind("Service")
                            if s["metadata"]["name"] == w["spec"]["serviceName"]]
                self.assertEqual(len(headless), 1, name)
                self.assertEqual(headless[0]["spec"]["clusterIP"], "None", name)

    def test_embedded_configs_are_accepted_and_agree_with_the_manifests(self):
        for w in workloads():
            name = w["metadata"]["name"]
            role = component(w)
            r, cfg, template_dir = rendered_config(w)
            self.assertEqual(r.returncode, 0, "{}: citadel refused its config:\n{}".format(
                name, r.stderr))
            c = container(w)
            spec = w["spec"]["template"]["spec"]
            self.assertEqual(cfg["fleet"]["role"], role, name)
            self.assertEqual(cfg["fleet"]["node_id"], POD_ENV[role]["POD_NAME"], name)
            self.assertEqual(cfg["fleet"]["advertise_host"], POD_ENV[role]["POD_IP"], name)
            self.assertTrue(cfg["fleet"]["etcd"].startswith("http://"), name)
            self.assertEqual(cfg["server"]["port"], port_number(c, "game"), name)
            self.assertEqual(cfg["admin"]["port"], port_number(c, "admin"), name)
            self.assertEqual(cfg["admin"]["host"], "0.0.0.0", name)  # the kubelet probes the pod IP
            if role == "game":
                self.assertEqual(cfg["fleet"]["link_port"], port_number(c, "link"), name)
            else:
                self.assertEqual(cfg["store"]["backend"], "postgres", name)
                self.assertEqual(cfg["store"]["postgres"]["url"],
                                 POD_ENV[role]["CITADEL_POSTGRES_URL"], name)
            # The token secret is the Secret's file.
            secret_volume = next(v["name"] for v in spec["volumes"] if "secret" in v)
            mount = next(m["mountPath"] for m in c["volumeMounts"] if m["name"] == secret_volume)
            self.assertEqual(os.path.dirname(cfg["auth"]["token_secret_file"]), mount, name)
            # The entrypoint's default template is where the ConfigMap is mounted.
            self.assertEqual(template_dir, "/etc/citadel/template", name)
            # Writable paths are on mounted volumes (the root file system is read-only).
            mounts = [m["mountPath"] for m in c["volumeMounts"] if not m.get("readOnly")]
            for path in (cfg["crash"]["directory"], cfg["recovery"]["path"]):
                self.assertTrue(any(path.startswith(m + "/") for m in mounts), (name, path))
            # The grace period covers both drains (the fleet's, then the
            # connections') and the lease revoke (1.5 s).
            drain_s = (cfg["shutdown"]["drain_timeout_ms"] +
                       cfg["fleet"].get("drain_timeout_ms", 20000)) / 1000
            self.assertGreater(spec["terminationGracePeriodSeconds"], drain_s + 1.5, name)

    def test_the_entrypoint_refuses_an_unset_placeholder(self):
        with tempfile.TemporaryDirectory(prefix="citadel-k8s-test-") as d:
            template = os.path.join(d, "t.yaml")
            with open(template, "w") as f:
                f.write('fleet:\n  node_id: "@CITADEL_TEST_UNSET_NAME@"\n')
            env = {k: v for k, v in os.environ.items() if k != "CITADEL_TEST_UNSET_NAME"}
            env.update(CITADEL_CONFIG_TEMPLATE=template,
                       CITADEL_CONFIG=os.path.join(d, "out.yaml"), CITADEL_BIN=CITADEL)
            r = subprocess.run([os.path.join(KDIR, "citadel-entrypoint"), "--print-config"],
                               env=env, capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 2)
            self.assertIn("CITADEL_TEST_UNSET_NAME", r.stderr)

    def test_services_and_disruption_budgets_select_the_pods(self):
        pods = {component(w): (w["spec"]["template"]["metadata"]["labels"], container(w))
                for w in workloads()}
        services = by_kind("Service")
        types = {s["metadata"]["name"]: s["spec"].get("type", "ClusterIP") for s in services}
        client = [s for s in services if s["spec"].get("type") in ("LoadBalancer", "NodePort")]
        self.assertEqual(len(client), 1, types)
        self.assertIn("ClusterIP", types.values())
        for s in services:
            selected = [role for role, (labels, _) in pods.items()
                        if matches(s["spec"]["selector"], labels)]
            self.assertEqual(len(selected), 1, s["metadata"]["name"])
            c = pods[selected[0]][1]
            for p in s["spec"]["ports"]:
                port_number(c, p.get("targetPort", p["port"]))  # raises when missing
        self.assertEqual(component(client[0]), "gateway")
        pdbs = by_kind("PodDisruptionBudget")
        covered = sorted(role for pdb in pdbs for role, (labels, _) in pods.items()
                         if matches(pdb["spec"]["selector"]["matchLabels"], labels))
        self.assertEqual(covered, ["game", "gateway"])

    def test_dockerfile_installs_what_the_manifests_run(self):
        with open(os.path.join(KDIR, "Dockerfile")) as f:
            text = f.read()
        self.assertIn("FROM debian:12", text)
        self.assertIn("/usr/local/bin/citadel-entrypoint", text)
        self.assertIn("USER 10001", text)
        for w in workloads():
            ctx = w["spec"]["template"]["spec"]["securityContext"]
            self.assertEqual(ctx["runAsUser"], 10001)

    def test_dev_infra_serves_the_addresses_the_configs_name(self):
        """dev-infra's Services are where the base configs look for etcd,
        Redis and (in the documented dev URL) PostgreSQL."""
        infra = os.path.join(KDIR, "dev-infra")
        with open(os.path.join(infra, "kustomization.yaml")) as f:
            k = yaml.safe_load(f)
        namespace = k["namespace"]
        services, pods = {}, []
        for name in k["resources"]:
            with open(os.path.join(infra, name)) as f:
                for d in yaml.safe_load_all(f):
                    if d and d["kind"] == "Service":
                        services[d["metadata"]["name"]] = d
                    elif d and d["kind"] in ("Deployment", "StatefulSet"):
                        pods.append(d)
        wanted = set()
        for w in workloads():
            _, cfg, _ = rendered_config(w)
            wanted.add(cfg["fleet"]["etcd"])
            wanted.add(cfg["redis"]["url"])
        with open(os.path.join(infra, "postgres.yaml")) as f:
            dev_url = next(line.split()[-1] for line in f if "postgresql://" in line)
        wanted.add(dev_url)
        for url in sorted(wanted):
            host_port = url.split("://", 1)[1].split("@")[-1].split("/")[0]
            host, port = host_port.rsplit(":", 1)
            service, ns = host.split(".")[:2]
            self.assertEqual(ns, namespace, url)
            self.assertEqual(host, "{}.{}.svc.cluster.local".format(service, ns), url)
            self.assertIn(service, services, url)
            svc = services[service]
            self.assertIn(int(port), [p["port"] for p in svc["spec"]["ports"]], url)
            self.assertTrue(any(matches(svc["spec"]["selector"],
                                        d["spec"]["template"]["metadata"]["labels"])
                                for d in pods), url)

    @unittest.skipIf(shutil.which("kubectl") is None, "kubectl not installed")
    def test_kubectl_kustomize_renders_dev_infra(self):
        r = subprocess.run(["kubectl", "kustomize", os.path.join(KDIR, "dev-infra")],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        kinds = sorted(o["kind"] for o in yaml.safe_load_all(r.stdout) if o)
        self.assertEqual(kinds, ["Deployment", "Deployment", "Namespace", "Service", "Service",
                                 "Service", "StatefulSet"])

    @unittest.skipIf(shutil.which("kubectl") is None, "kubectl not installed")
    def test_kubectl_kustomize_renders(self):
        with tempfile.TemporaryDirectory(prefix="citadel-k8s-test-") as d:
            copy = os.path.join(d, "kubernetes")
            shutil.copytree(KDIR, copy)
            with open(os.path.join(copy, "secrets", "token.secret"), "wb") as f:
                f.write(os.urandom(32))
            with open(os.path.join(copy, "secrets", "postgres-url"), "w") as f:
                f.write(POD_ENV["gateway"]["CITADEL_POSTGRES_URL"])
            r = subprocess.run(["kubectl", "kustomize", copy], capture_output=True, text=True,
                               timeout=120)
            self.assertEqual(r.returncode, 0, r.stderr)
            rendered = [o for o in yaml.safe_load_all(r.stdout) if o]
            secret = [o for o in rendered if o["kind"] == "Secret"]
            self.assertEqual(len(secret), 1)
            name = secret[0]["metadata"]["name"]
            self.assertTrue(name.startswith("citadel-secrets-"), name)
            for o in rendered:
                if o["kind"] != "Namespace":
                    self.assertEqual(o["metadata"]["namespace"], "citadel", o["metadata"])
            # The generated name reached every reference.
            self.assertNotIn("name: citadel-secrets\n", r.stdout)
            self.assertNotIn("secretName: citadel-secrets\n", r.stdout)
            if shutil.which("kubeconform"):
                out = os.path.join(d, "rendered.yaml")
                with open(out, "w") as f:
                    f.write(r.stdout)
                v = subprocess.run(["kubeconform", "-strict", "-summary", out],
                                   capture_output=True, text=True, timeout=120)
                self.assertEqual(v.returncode, 0, v.stdout + v.stderr)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    CITADEL = os.path.abspath(sys.argv.pop(1))
    SOURCE = os.path.abspath(sys.argv.pop(1))
    KDIR = os.path.join(SOURCE, "deploy", "kubernetes")
    unittest.main(verbosity=2)
