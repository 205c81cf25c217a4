"""The deployment files, checked with real parsers since no container engine or cluster runs here:
the compose file against the Compose Specification's JSON schema (vendored from compose-spec), the
Kubernetes manifests against the Kubernetes schemas shipped by kubernetes-validate, and the
Prometheus and Grafana files against what Clarion actually serves."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from prometheus_client import REGISTRY

import core.metrics  # noqa: F401  (registers Clarion's metrics)
from core.observability_settings import ObservabilitySettings
from tests.foundation.test_compose import _setting_exists

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S_VERSION = "1.37.0"
# The Temporal SDK's metrics the dashboard and autoscaler use (tests/observability/test_metrics.py scrapes them).
SDK_METRICS = {"temporal_activity_schedule_to_start_latency", "temporal_workflow_task_schedule_to_start_latency"}


def _compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _manifests() -> list[tuple[str, dict[str, Any]]]:
    return [(path.name, doc) for path in sorted((DEPLOY / "k8s").glob("*.yaml"))
            for doc in yaml.safe_load_all(path.read_text()) if doc]


def test_compose_file_follows_the_compose_specification() -> None:
    schema = json.loads((DEPLOY / "schemas" / "compose-spec.json").read_text())
    validator = jsonschema.Draft7Validator(schema)
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(_compose())]
    assert errors == []
    broken = _compose()
    broken["services"]["prometheus"]["profile"] = ["observability"]  # a typo the schema must catch
    assert list(validator.iter_errors(broken))


def test_compose_references_resolve() -> None:
    compose = _compose()
    services = compose["services"]
    for name, service in services.items():
        for needed in service.get("depends_on") or []:
            assert needed in services, f"{name} depends on unknown {needed}"
            # A service started without the profile must not wait for one that only runs with it.
            assert not services[needed].get("profiles") or service.get("profiles"), (name, needed)
        for volume in service.get("volumes") or []:
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{name} mounts missing {source}"
            else:
                assert source in compose["volumes"] or source.startswith("/"), (name, source)
    observability = {n for n, s in services.items() if "observability" in (s.get("profiles") or [])}
    assert observability == {"prometheus", "grafana", "jaeger"}
    assert services["temporal"]["environment"]["DEFAULT_NAMESPACE_RETENTION"] == "7d"
    assert services["jaeger"]["environment"]["COLLECTOR_OTLP_ENABLED"] == "true"


def test_prometheus_scrapes_the_ports_clarion_serves() -> None:
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    services = _compose()["services"]
    targets: dict[str, set[str]] = {}
    for job in config["scrape_configs"]:
        found = {t for c in job.get("static_configs", []) for t in c["targets"]}
        found |= {f"{n}:{c['port']}" for c in job.get("dns_sd_configs", []) for n in c["names"]}
        targets[job["job_name"]] = found
        for target in found:
            assert target.split(":")[0] in services, (job["job_name"], target)
    defaults = ObservabilitySettings()
    assert targets["clarion-api"] == {"api:3000"}
    assert targets["clarion-worker"] == {f"worker:{defaults.worker_metrics_port}"}
    assert targets["temporal-sdk"] == {f"worker:{defaults.temporal_metrics_port}"}
    assert services["temporal"]["environment"]["PROMETHEUS_ENDPOINT"].endswith(
        targets["temporal-server"].pop().split(":")[1])


def _metric_names() -> set[str]:
    names = set()
    for family in REGISTRY.collect():
        if family.name.startswith("clarion_"):
            names |= {family.name, f"{family.name}_total", f"{family.name}_bucket", f"{family.name}_count"}
    return names


def test_the_dashboard_queries_metrics_that_exist() -> None:
    dashboard = json.loads((DEPLOY / "grafana" / "dashboards" / "clarion.json").read_text())
    sources = yaml.safe_load((DEPLOY / "grafana" / "provisioning" / "datasources" / "datasources.yml").read_text())
    uids = {s["uid"] for s in sources["datasources"]}
    known = _metric_names() | {f"{m}_bucket" for m in SDK_METRICS}
    exprs = []
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] in uids and panel["targets"], panel["title"]
        for target in panel["targets"]:
            exprs.append(target["expr"])
            used = set(re.findall(r"\b(?:clarion|temporal)_\w+", target["expr"]))
            assert used and used <= known, (panel["title"], used - known)
    text = " ".join(exprs)
    # Rates, errors, latencies, queue lag and deliveries by provider, as the issue asks.
    for needle in ("rate(clarion_triggers_total", 'status=~"5..', "clarion_http_request_duration_seconds_bucket",
                   "temporal_activity_schedule_to_start_latency_bucket", "clarion_deliveries_total",
                   "clarion_provider_attempt_duration_seconds_bucket"):
        assert needle in text
    provider = yaml.safe_load((DEPLOY / "grafana" / "provisioning" / "dashboards" / "clarion.yml").read_text())
    mounts = _compose()["services"]["grafana"]["volumes"]
    assert any(m.endswith(":" + provider["providers"][0]["options"]["path"] + ":ro") for m in mounts)


@pytest.mark.parametrize(("name", "doc"), _manifests(), ids=lambda v: v if isinstance(v, str) else v["kind"])
def test_kubernetes_manifest_is_valid(name: str, doc: dict[str, Any]) -> None:
    kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def test_kubernetes_manifests_fit_together() -> None:
    docs = {(d["kind"], d["metadata"]["name"]): d for _, d in _manifests()}
    kinds = {kind for kind, _ in docs}
    assert {"Deployment", "Service", "Job", "HorizontalPodAutoscaler", "ConfigMap", "Secret"} <= kinds
    settings = {**docs[("ConfigMap", "clarion-config")]["data"], **docs[("Secret", "clarion-secrets")]["stringData"]}
    assert [k for k in settings if not _setting_exists(k)] == []
    job = docs[("Job", "clarion-migrate")]["spec"]["template"]["spec"]["containers"][0]
    assert job["command"] == ["clarion", "migrate"]
    worker = docs[("Deployment", "clarion-worker")]["spec"]["template"]["spec"]["containers"][0]
    assert {p["containerPort"] for p in worker["ports"]} == {9464, 9465}
    hpa = docs[("HorizontalPodAutoscaler", "clarion-worker")]["spec"]
    assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "clarion-worker"}
    rules = yaml.safe_load(docs[("ConfigMap", "clarion-prometheus-adapter-rules")]["data"]["config.yaml"])
    assert rules["externalRules"][0]["name"]["as"] == hpa["metrics"][0]["external"]["metric"]["name"]


def test_an_invalid_manifest_is_refused() -> None:
    _, deployment = next(m for m in _manifests() if m[1]["kind"] == "Deployment")
    broken = json.loads(json.dumps(deployment))
    broken["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, K8S_VERSION, strict=True)
