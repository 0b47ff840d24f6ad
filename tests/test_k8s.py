"""deploy/k8s/: the manifests are valid for the pinned Kubernetes version (the Makefile's
K8S_VERSION, the schemas shipped by kubernetes-validate) and say what the portal relies on:
probes on /healthz and /readyz, one beat, resource requests everywhere, a Deployment for every
Celery queue the settings route tasks to, shared documents, nobody running as root."""

from __future__ import annotations

import re
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from django.conf import settings

BASE_DIR = Path(__file__).resolve().parent.parent
K8S_DIR = BASE_DIR / "deploy" / "k8s"
IMAGE_USER = 10001  # the Dockerfile's `USER`


def k8s_version() -> str:
    match = re.search(r"^K8S_VERSION := (\S+)$", (BASE_DIR / "Makefile").read_text(), re.M)
    assert match, "the Makefile pins K8S_VERSION"
    return match.group(1)


def manifest_files() -> list[Path]:
    return sorted(K8S_DIR.rglob("*.yaml"))


def resources() -> list[dict]:
    return [
        doc
        for path in manifest_files()
        for doc in yaml.safe_load_all(path.read_text())
        if doc is not None
    ]


def of_kind(kind: str) -> dict[str, dict]:
    return {r["metadata"]["name"]: r for r in resources() if r["kind"] == kind}


def pod_specs() -> dict[str, dict]:
    """Every pod template: the Deployments', the Job's and the CronJob's."""
    pods = {
        name: r["spec"]["template"]["spec"]
        for kind in ("Deployment", "Job")
        for name, r in of_kind(kind).items()
    }
    for name, r in of_kind("CronJob").items():
        pods[name] = r["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return pods


def containers(pod: dict) -> list[dict]:
    return [*pod.get("initContainers", []), *pod["containers"]]


def settings_queues() -> set[str]:
    """Every queue a task can land on: the default one and those of the task routes."""
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    return {settings.CELERY_TASK_DEFAULT_QUEUE, *routed}


def queues_served(container: dict) -> set[str]:
    argv = [*container.get("command", []), *container.get("args", [])]
    if "worker" not in argv:
        return set()
    for arg in argv:
        if arg.startswith(("--queues=", "-Q=")):
            return set(arg.split("=", 1)[1].split(","))
    return {settings.CELERY_TASK_DEFAULT_QUEUE}  # `celery worker` without -Q


@pytest.mark.parametrize("path", manifest_files(), ids=lambda p: str(p.relative_to(K8S_DIR)))
def test_each_manifest_is_valid_for_the_pinned_kubernetes_version(path):
    version = k8s_version()
    for doc in yaml.safe_load_all(path.read_text()):
        # Raises ValidationError (naming the field) when the document is invalid.
        kubernetes_validate.validate(doc, version, strict=True)


def test_an_invalid_manifest_is_refused():
    """The check can fail: a Deployment with a misspelt field is rejected offline."""
    deployment = of_kind("Deployment")["portal-web"]
    broken = {**deployment, "spec": {**deployment["spec"], "replica": 2}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, k8s_version(), strict=True)


def test_the_stack_is_complete_and_names_no_namespace():
    kinds = {(r["kind"], r["metadata"]["name"]) for r in resources()}
    assert {
        ("ConfigMap", "portal-config"),
        ("Secret", "portal-secrets"),
        ("PersistentVolumeClaim", "portal-documents"),
        ("Job", "portal-init"),
        ("Deployment", "portal-web"),
        ("Deployment", "portal-beat"),
        ("Service", "portal-web"),
        ("Ingress", "portal-web"),
    } <= kinds
    assert all("namespace" not in r["metadata"] for r in resources())


def test_web_is_probed_on_healthz_and_readyz_through_its_service_and_ingress():
    web = of_kind("Deployment")["portal-web"]["spec"]["template"]["spec"]["containers"][0]
    assert web["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert web["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert web["command"][0] == "gunicorn"
    port = web["ports"][0]
    service = of_kind("Service")["portal-web"]
    labels = of_kind("Deployment")["portal-web"]["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()
    assert service["spec"]["ports"][0]["targetPort"] == port["name"]
    backend = of_kind("Ingress")["portal-web"]["spec"]["rules"][0]["http"]["paths"][0]
    assert backend["backend"]["service"]["name"] == "portal-web"


def test_exactly_one_beat_replaced_by_recreate():
    beats = {
        name: d
        for name, d in of_kind("Deployment").items()
        if any("beat" in c["command"] for c in d["spec"]["template"]["spec"]["containers"])
    }
    assert list(beats) == ["portal-beat"]
    assert beats["portal-beat"]["spec"]["replicas"] == 1
    assert beats["portal-beat"]["spec"]["strategy"] == {"type": "Recreate"}


def test_every_queue_of_the_task_routes_has_a_worker_deployment():
    served = {}
    for name, deployment in of_kind("Deployment").items():
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            for queue in queues_served(container):
                served.setdefault(queue, []).append(name)
    assert settings_queues() == {"celery", "webhooks"}  # guard: the routes were read
    assert set(served) == settings_queues(), served


def test_every_container_requests_cpu_and_memory_and_runs_as_non_root():
    for name, pod in pod_specs().items():
        security = pod["securityContext"]
        assert security["runAsNonRoot"] is True, name
        assert security["runAsUser"] == IMAGE_USER, name
        for container in containers(pod):
            where = f"{name}/{container['name']}"
            requests = container["resources"]["requests"]
            assert {"cpu", "memory"} <= requests.keys(), where
            assert "memory" in container["resources"]["limits"], where
            assert container["securityContext"]["allowPrivilegeEscalation"] is False, where


def test_web_and_workers_share_the_documents_volume_which_every_node_can_mount():
    claim = of_kind("PersistentVolumeClaim")["portal-documents"]
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    media_root = of_kind("ConfigMap")["portal-config"]["data"]["DJANGO_MEDIA_ROOT"]
    for name, deployment in of_kind("Deployment").items():
        pod = deployment["spec"]["template"]["spec"]
        runs = pod["containers"][0]["command"]
        if "beat" in runs:
            continue  # beat stores no file
        claims = {
            v["name"]: v["persistentVolumeClaim"]["claimName"]
            for v in pod["volumes"]
            if "persistentVolumeClaim" in v
        }
        mounts = {m["mountPath"]: m["name"] for m in pod["containers"][0]["volumeMounts"]}
        assert claims.get(mounts.get(media_root)) == "portal-documents", name


def test_the_init_job_migrates_and_loads_the_reference_data():
    job = of_kind("Job")["portal-init"]["spec"]["template"]["spec"]["containers"][0]
    script = " ".join(job["command"])
    assert "migrate --noinput" in script and "seed_reference" in script


def test_the_example_secret_holds_placeholders_only():
    secret = of_kind("Secret")["portal-secrets"]
    assert (K8S_DIR / "examples" / "secret.yaml").exists()
    for key, value in secret["stringData"].items():
        assert value == "" or "CHANGE-ME" in value, key
    # Every Secret key is a variable the settings read (documented in .env.example).
    documented = (BASE_DIR / ".env.example").read_text()
    for key in secret["stringData"]:
        assert re.search(rf"^#?\s*{key}=", documented, re.M), key


def test_the_daily_backup_runs_once_at_a_time_and_keeps_the_documented_retention():
    cron = of_kind("CronJob")["portal-backup"]["spec"]
    assert (cron["schedule"], cron["timeZone"]) == ("0 2 * * *", "Asia/Shanghai")
    assert cron["concurrencyPolicy"] == "Forbid"
    pod = pod_specs()["portal-backup"]
    command = pod["containers"][0]["command"]
    assert command[:3] == ["python", "manage.py", "backup"]
    assert command[command.index("--keep-days") + 1] == "14"
    mounts = {m["mountPath"]: m for m in pod["containers"][0]["volumeMounts"]}
    media_root = of_kind("ConfigMap")["portal-config"]["data"]["DJANGO_MEDIA_ROOT"]
    assert mounts[media_root]["readOnly"] is True  # a backup never writes a document
    assert "/backups" in mounts
