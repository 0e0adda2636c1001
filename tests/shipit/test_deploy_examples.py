"""The deployment examples (``examples/docker-compose``, ``examples/kubernetes``), without an engine
or a cluster.

Each file is parsed (every YAML document) and held to what a user relies on: the port the image
listens on is the one published, probed and targeted; the data dir is a persistent volume at
``MOCKSERVER_DATA_DIR``; selectors select the pods; the probes ask ``/_mock/health``; the routing
in front of the shards sends each namespace to exactly one shard, the same one by path and by
header. The examples' own config is then run: a server started with the example's environment
answers its healthcheck, and ``/_mock/`` answers the Host names the example reaches it by (the
admin guard refuses any other). ``docker compose config -q`` runs when Docker Compose is installed.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from .conftest import ROOT, child_env, free_port, mockserver_cmd, start_serve
from .test_docker import exec_form, final_stage, image_env

EXAMPLES = ROOT / "examples"
COMPOSE = EXAMPLES / "docker-compose" / "docker-compose.yml"
SINGLE = EXAMPLES / "kubernetes" / "single"
SHARDED = EXAMPLES / "kubernetes" / "sharded"
HEALTH = "/_mock/health"
NS_PATH = re.compile(r"^/ns/([a-z0-9][a-z0-9-]*)$")
DATA_DIR_VAR = "MOCKSERVER_DATA_DIR"  # serve's --data-dir


# -- helpers -------------------------------------------------------------------------------------
def documents(folder: Path) -> list[dict[str, Any]]:
    docs = []
    for path in sorted(folder.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            assert isinstance(doc, dict), f"{path.name}: every document is a mapping"
            docs.append(doc)
    return docs


def by_kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind]


def named(docs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    (found,) = [d for d in by_kind(docs, kind) if d["metadata"]["name"] == name]
    return found


def image_port() -> int:
    (exposed,) = [i.args for i in final_stage() if i.name == "EXPOSE"]
    assert image_env()["MOCKSERVER_PORT"] == exposed, "the image listens on the port it exposes"
    return int(exposed)


def image_uid() -> int:
    (user,) = [i.args for i in final_stage() if i.name == "USER"]
    return int(user.split(":")[0])


def known_variables() -> set[str]:
    from mockserver.cli import SERVE_OPTIONS

    known = {opt.env for opt in SERVE_OPTIONS}
    assert DATA_DIR_VAR in known, "serve reads the data dir from the environment"
    return known


def bytes_of(quantity: str) -> int:
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "K": 10**3, "M": 10**6, "G": 10**9}
    found = re.fullmatch(r"(\d+)([KMG]i?)?", quantity)
    assert found, f"{quantity}: a Kubernetes quantity like 512Mi"
    number, unit = found.groups()
    return int(number) * units.get(unit or "", 1)


def allowed_hosts(config_text: str) -> list[str]:
    return yaml.safe_load(config_text)["admin"]["allowed_hosts"]


def host_allowed(host: str, allowed: list[str]) -> bool:
    """The admin guard's rule for a listed name (mockserver.inspection.guard.AdminGuard._listed)."""
    from mockserver.inspection.guard import AdminGuard

    return AdminGuard(allowed_hosts=tuple(allowed))._listed(host)


def real_dns_hosts() -> set[str]:
    """Every vendor's real host that is a DNS name (not an address), as ``mockserver vendors`` lists."""
    out = subprocess.run(
        mockserver_cmd("vendors", "--json"), env=child_env(), capture_output=True, text=True, timeout=60, check=True
    ).stdout
    hosts = {h for row in json.loads(out) for h in row["real_hosts"]}
    return {h for h in hosts if not re.fullmatch(r"[\d.]+(:\d+)?", h)}


# -- the pod spec both Kubernetes examples share ----------------------------------------------------
def container_of(workload: dict[str, Any]) -> dict[str, Any]:
    (container,) = workload["spec"]["template"]["spec"]["containers"]
    return container


def env_of(container: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e["value"] for e in container["env"]}


def container_port(container: dict[str, Any], port: int | str) -> int:
    """A port by number or by name, resolved to the container's port number."""
    numbers = {p["containerPort"] for p in container["ports"]}
    names = {p["name"]: p["containerPort"] for p in container["ports"] if "name" in p}
    resolved = names[port] if isinstance(port, str) else port
    assert resolved in numbers, f"port {port} is not a port of the container"
    return resolved


def check_workload(workload: dict[str, Any]) -> dict[str, Any]:
    """What the Deployment and the StatefulSet share; returns the container."""
    spec, template = workload["spec"], workload["spec"]["template"]
    labels = template["metadata"]["labels"]
    assert spec["selector"]["matchLabels"].items() <= labels.items(), "the selector selects the template's pods"
    container = container_of(workload)
    assert container["image"], "an image"
    assert "command" not in container and "args" not in container, "the image's CMD (mockserver serve) runs"
    assert container_port(container, "http") == image_port(), "the container port is the one the image listens on"
    env = env_of(container)
    assert set(env) <= known_variables(), set(env) - known_variables()
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    assert env[DATA_DIR_VAR] in mounts, "a volume is mounted at the data dir"
    assert "readinessProbe" in container and "livenessProbe" in container
    for kind in ("startupProbe", "readinessProbe", "livenessProbe"):
        if kind not in container:
            continue
        probe = container[kind]["httpGet"]
        assert probe["path"] == HEALTH, kind
        assert container_port(container, probe["port"]) == image_port(), kind
    resources = container["resources"]
    assert {"cpu", "memory"} <= set(resources["requests"]) and {"cpu", "memory"} <= set(resources["limits"])
    pod = template["spec"]["securityContext"]
    assert pod["runAsNonRoot"] and pod["runAsUser"] == image_uid(), "the image's non-root user"
    assert pod["fsGroup"] == image_uid(), "fsGroup makes the data volume writable for that user"
    return container


def config_mount(workload: dict[str, Any], docs: list[dict[str, Any]]) -> str:
    """The config file the workload's MOCKSERVER_CONFIG names, from its ConfigMap."""
    container = container_of(workload)
    path = Path(env_of(container)["MOCKSERVER_CONFIG"])
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in workload["spec"]["template"]["spec"]["volumes"]}
    config_map = named(docs, "ConfigMap", volumes[mounts[str(path.parent)]]["configMap"]["name"])
    return config_map["data"][path.name]


def check_service(service: dict[str, Any], workload: dict[str, Any]) -> None:
    labels = workload["spec"]["template"]["metadata"]["labels"]
    container = container_of(workload)
    common = {k: v for k, v in service["spec"]["selector"].items() if k != "statefulset.kubernetes.io/pod-name"}
    assert common.items() <= labels.items(), f"{service['metadata']['name']} selects the mock's pods"
    for port in service["spec"]["ports"]:
        assert container_port(container, port["targetPort"]) == image_port(), service["metadata"]["name"]


# -- both ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("folder", [SINGLE, SHARDED], ids=["single", "sharded"])
def test_every_manifest_has_the_required_fields(folder: Path) -> None:
    docs = documents(folder)
    assert docs
    for doc in docs:
        assert doc["apiVersion"] and doc["kind"] and doc["metadata"]["name"], doc
        assert ("data" if doc["kind"] == "ConfigMap" else "spec") in doc, doc["metadata"]["name"]


@pytest.mark.parametrize("folder", [SINGLE, SHARDED], ids=["single", "sharded"])
def test_memory_limit_holds_one_full_namespace_as_measured(folder: Path) -> None:
    """The limit is not below the process with one namespace at its caps (benchmarks/world.json)."""
    measured = json.loads((ROOT / "benchmarks" / "world.json").read_text())
    full = max(step["rss_mb"] for step in measured["steps"]) * 2**20
    (workload,) = by_kind(documents(folder), "Deployment") + by_kind(documents(folder), "StatefulSet")
    limits = container_of(workload)["resources"]["limits"]
    assert bytes_of(limits["memory"]) > full


# -- one replica -----------------------------------------------------------------------------------
def test_single_replica_deployment_pvc_and_service() -> None:
    docs = documents(SINGLE)
    assert sorted(d["kind"] for d in docs) == ["ConfigMap", "Deployment", "PersistentVolumeClaim", "Service"]
    (deployment,) = by_kind(docs, "Deployment")
    assert deployment["spec"]["replicas"] == 1, "one process per data dir"
    assert deployment["spec"]["strategy"]["type"] == "Recreate", "never two pods on the data dir at once"
    container = check_workload(deployment)
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    claim = volumes[mounts[env_of(container)[DATA_DIR_VAR]]]["persistentVolumeClaim"]["claimName"]
    (pvc,) = by_kind(docs, "PersistentVolumeClaim")
    assert claim == pvc["metadata"]["name"], "the data dir is the PersistentVolumeClaim"
    assert pvc["spec"]["accessModes"] == ["ReadWriteOnce"] and pvc["spec"]["resources"]["requests"]["storage"]
    (service,) = by_kind(docs, "Service")
    check_service(service, deployment)
    assert host_allowed(service["metadata"]["name"], allowed_hosts(config_mount(deployment, docs)))
    assert host_allowed(
        f"{service['metadata']['name']}.default.svc.cluster.local", allowed_hosts(config_mount(deployment, docs))
    )


# -- shards ----------------------------------------------------------------------------------------
def ingress_table(ingress: dict[str, Any]) -> tuple[dict[str, str], str]:
    """({namespace: Service}, the Service of "/") from the Ingress."""
    (rule,) = ingress["spec"]["rules"]
    table: dict[str, str] = {}
    default = None
    for entry in rule["http"]["paths"]:
        assert entry["pathType"] == "Prefix", entry["path"]
        service = entry["backend"]["service"]["name"]
        if entry["path"] == "/":
            default = service
            continue
        name = NS_PATH.fullmatch(entry["path"])
        assert name, f"{entry['path']}: a path is /ns/<name> (or /)"
        assert name[1] not in table, f"namespace {name[1]} is routed twice"
        table[name[1]] = service
    assert default, "a catch-all / for the default world and unlisted namespaces"
    return table, default


def test_sharded_statefulset_gives_each_replica_its_own_data_dir() -> None:
    docs = documents(SHARDED)
    (sts,) = by_kind(docs, "StatefulSet")
    container = check_workload(sts)
    name, replicas = sts["metadata"]["name"], sts["spec"]["replicas"]
    assert replicas >= 2
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    (template,) = [t for t in sts["spec"]["volumeClaimTemplates"] if t["metadata"]["name"] == mounts["/data"]]
    assert env_of(container)[DATA_DIR_VAR] == "/data"
    assert template["spec"]["accessModes"] == ["ReadWriteOnce"], "a volume per pod, one pod per volume"
    pod_volumes = {v["name"] for v in sts["spec"]["template"]["spec"].get("volumes", [])}
    assert mounts["/data"] not in pod_volumes, "the data dir comes from the claim template, not a shared volume"
    headless = named(docs, "Service", sts["spec"]["serviceName"])
    assert headless["spec"]["clusterIP"] == "None"
    check_service(headless, sts)
    for index in range(replicas):
        pod = named(docs, "Service", f"{name}-{index}")
        assert pod["spec"]["selector"]["statefulset.kubernetes.io/pod-name"] == f"{name}-{index}"
        check_service(pod, sts)


def test_sharded_ingress_puts_each_namespace_in_exactly_one_shard() -> None:
    docs = documents(SHARDED)
    (sts,) = by_kind(docs, "StatefulSet")
    shards = {f"{sts['metadata']['name']}-{i}" for i in range(sts["spec"]["replicas"])}
    (ingress,) = by_kind(docs, "Ingress")
    assert ingress["spec"]["ingressClassName"] == "nginx"
    table, default = ingress_table(ingress)
    assert table and set(table.values()) | {default} <= shards, "every backend is one shard's Service"
    assert set(table.values()) == shards, "every shard holds a namespace"
    (rule,) = ingress["spec"]["rules"]
    for entry in rule["http"]["paths"]:
        service = named(docs, "Service", entry["backend"]["service"]["name"])
        assert entry["backend"]["service"]["port"]["name"] in {p["name"] for p in service["spec"]["ports"]}
    assert host_allowed(rule["host"], allowed_hosts(config_mount(sts, docs))), "/_mock/ through the Ingress"


def test_sharded_header_route_matches_the_path_table_and_every_real_host() -> None:
    docs = documents(SHARDED)
    (ingress,) = by_kind(docs, "Ingress")
    table, default = ingress_table(ingress)
    (route,) = by_kind(docs, "HTTPRoute")
    by_header: dict[str, str] = {}
    fallback = None
    for rule in route["spec"]["rules"]:
        (backend,) = rule["backendRefs"]
        service = named(docs, "Service", backend["name"])
        assert backend["port"] in {p["port"] for p in service["spec"]["ports"]}
        if "matches" not in rule:
            fallback = backend["name"]
            continue
        (match,) = rule["matches"]
        (header,) = match["headers"]
        assert header["name"] == "X-Mock-Namespace"
        by_header[header["value"]] = backend["name"]
    assert by_header == table, "a namespace lives in the same shard by path and by header"
    assert fallback == default
    assert set(route["spec"]["hostnames"]) == real_dns_hosts(), "every vendor's real host name reaches a shard"


# -- docker compose --------------------------------------------------------------------------------
def compose_service() -> dict[str, Any]:
    compose = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    (service,) = compose["services"].values()
    return compose | {"service": service}


def test_compose_service_persists_the_data_dir_and_checks_health() -> None:
    compose = compose_service()
    service = compose["service"]
    build = service["build"]
    assert (COMPOSE.parent / build["context"] / build["dockerfile"]).resolve() == (ROOT / "Dockerfile")
    port = image_port()
    assert f"{port}:{port}" in service["ports"], "the published port is the one the image listens on"
    env = service["environment"]
    assert set(env) <= known_variables(), set(env) - known_variables()
    volumes = dict(v.split(":", 1)[::-1] for v in service["volumes"])  # target(:ro) -> source
    source = volumes[env[DATA_DIR_VAR]]
    assert source in compose["volumes"], "the data dir is a named volume (it outlives the container)"
    assert service["healthcheck"]["test"] == ["CMD", *exec_form("HEALTHCHECK")]
    config = volumes[env["MOCKSERVER_CONFIG"] + ":ro"]
    assert (COMPOSE.parent / config).is_file()


def test_image_creates_the_data_dir_for_its_user() -> None:
    """A new named volume takes the ownership of the image's directory: without it, root's."""
    data_dir = compose_service()["service"]["environment"][DATA_DIR_VAR]
    (run,) = [i.args for i in final_stage() if i.name == "RUN" and "useradd" in i.args]
    assert re.search(rf"mkdir -p [^&]*{re.escape(data_dir)}\b", run)
    assert re.search(rf"chown [^&]*{re.escape(data_dir)}\b", run)
    assert f"--uid {image_uid()}" in run


def test_docker_compose_config_accepts_the_file() -> None:
    docker = shutil.which("docker")
    if docker is None or subprocess.run([docker, "compose", "version"], capture_output=True).returncode != 0:
        pytest.skip("Docker Compose is not installed")
    result = subprocess.run(
        [docker, "compose", "-f", str(COMPOSE), "config", "-q"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


# -- the examples' config, run ---------------------------------------------------------------------
def outward_address() -> str | None:
    """This machine's address on its default route (a pod's IP, as the kubelet's probes use it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(("10.255.255.255", 1))
            address = sock.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


@pytest.mark.parametrize(
    ("example", "hosts"),
    [
        ("compose", ["sms-mock"]),
        ("single", ["sms-mock", "sms-mock.team.svc.cluster.local"]),
        ("sharded", ["sms-mock.example.test", "sms-mock-shard-0.team.svc.cluster.local"]),
    ],
)
def test_examples_config_serves_health_to_the_hosts_it_is_reached_by(
    example: str, hosts: list[str], tmp_path: Path
) -> None:
    if example == "compose":
        service = compose_service()["service"]
        env = dict(service["environment"])
        config_text = (COMPOSE.parent / "config.yaml").read_text(encoding="utf-8")
    else:
        docs = documents(SINGLE if example == "single" else SHARDED)
        (workload,) = by_kind(docs, "Deployment") + by_kind(docs, "StatefulSet")
        env = env_of(container_of(workload))
        config_text = config_mount(workload, docs)
    config = tmp_path / "config.yaml"
    config.write_text(config_text, encoding="utf-8")
    check = subprocess.run(
        mockserver_cmd("validate", str(config)), env=child_env(), capture_output=True, text=True, timeout=60
    )
    assert check.returncode == 0, check.stdout + check.stderr
    port = free_port()
    env = {
        **image_env(),
        **env,
        "MOCKSERVER_CONFIG": str(config),
        DATA_DIR_VAR: str(tmp_path / "data"),
        "MOCKSERVER_PORT": str(port),
        "MOCKSERVER_SCENARIOS_DIR": str(tmp_path),
    }
    served = start_serve(mockserver_cmd("serve"), env=child_env(**env))
    try:
        healthcheck = subprocess.run(
            mockserver_cmd(*exec_form("HEALTHCHECK")[1:]), env=child_env(**env), capture_output=True, text=True
        )
        assert healthcheck.returncode == 0, healthcheck.stderr
        for host in hosts:
            answer = requests.get(f"{served.local_url}{HEALTH}", headers={"Host": f"{host}:{port}"}, timeout=10)
            assert answer.status_code == 200, (host, answer.text)
        stranger = requests.get(f"{served.local_url}{HEALTH}", headers={"Host": "elsewhere.example"}, timeout=10)
        assert stranger.status_code == 403, "the guard is on: the hosts above pass by the example's config"
        pod_ip = outward_address()
        if pod_ip is not None:  # the kubelet probes http://<pod IP>:<port>/_mock/health
            probe = requests.get(f"http://{pod_ip}:{port}{HEALTH}", timeout=10)
            assert probe.status_code == 200, probe.text
    finally:
        served.stop()
