"""Importers: Sloth, Pyrra, OpenSLO and burn-rate rule files become scenario fragments
whose tier tables are the tools' published ones, and which load as scenarios."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from actors.pipeline import build
from bus.messages import AlertFired
from scenarios.imports import import_files, slug
from scenarios.loader import ScenarioError, load_scenario, parse_scenario
from tests.conftest import ROOT

REAL = ROOT.parent / "shared" / "real_configs" / "slo"

KUBE_RULES = """\
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: kube-apiserver-slos}
spec:
  groups:
  - name: kube-apiserver-burnrate.rules
    rules:
    - record: apiserver_request:burnrate1h
      expr: sum(rate(apiserver_request_total{code=~"5.."}[1h])) / sum(rate(apiserver_request_total[1h]))
    - alert: KubeAPIErrorBudgetBurn
      expr: |
        sum by(cluster) (apiserver_request:burnrate1h) > (14.40 * 0.01000)
        and on(cluster)
        sum by(cluster) (apiserver_request:burnrate5m) > (14.40 * 0.01000)
      for: 2m
      labels: {long: 1h, severity: critical, short: 5m}
    - alert: KubeAPIErrorBudgetBurn
      expr: |
        sum by(cluster) (apiserver_request:burnrate6h) > (6.00 * 0.01000)
        and on(cluster)
        sum by(cluster) (apiserver_request:burnrate30m) > (6.00 * 0.01000)
      for: 15m
      labels: {long: 6h, severity: critical, short: 30m}
    - alert: KubeAPIErrorBudgetBurn
      expr: |
        sum by(cluster) (apiserver_request:burnrate1d) > (3.00 * 0.01000)
        and on(cluster)
        sum by(cluster) (apiserver_request:burnrate2h) > (3.00 * 0.01000)
      for: 1h
      labels: {long: 1d, severity: warning, short: 2h}
    - alert: KubeAPIErrorBudgetBurn
      expr: |
        sum by(cluster) (apiserver_request:burnrate3d) > (1.00 * 0.01000)
        and on(cluster)
        sum by(cluster) (apiserver_request:burnrate6h) > (1.00 * 0.01000)
      for: 3h
      labels: {long: 3d, severity: warning, short: 6h}
    - alert: KubePodCrashLooping
      expr: max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff"}[5m]) >= 1
      for: 15m
"""

SLOTH = """\
version: "prometheus/v1"
service: "my service"
labels: {owner: myteam}
slos:
  - name: "requests-availability"
    objective: 99.9
    sli: {events: {error_query: x, total_query: y}}
    alerting:
      name: MyServiceHighErrorRate
      labels: {category: availability}
      page_alert: {labels: {severity: pageteam}}
      ticket_alert: {labels: {severity: slack}}
"""

SLOTH_WINDOWS = """\
apiVersion: sloth.slok.dev/v1
kind: AlertWindows
spec:
  sloPeriod: 30d
  page:
    quick: {errorBudgetPercent: 1, shortWindow: 2m, longWindow: 30m}
    slow: {errorBudgetPercent: 2, shortWindow: 15m, longWindow: 3h}
  ticket:
    quick: {errorBudgetPercent: 5, shortWindow: 1h, longWindow: 12h}
    slow: {errorBudgetPercent: 5, shortWindow: 3h, longWindow: 36h}
"""

SLOTH_RULES = """\
groups:
- name: sloth-slo-alerts-myservice-requests-availability
  rules:
  - alert: MyServiceHighErrorRate
    expr: |
      (
          max(slo:sli_error:ratio_rate5m{sloth_service="myservice", sloth_slo="requests-availability"} > (14.4 * 0.0009999999999999432)) without (sloth_window)
          and
          max(slo:sli_error:ratio_rate1h{sloth_service="myservice", sloth_slo="requests-availability"} > (14.4 * 0.0009999999999999432)) without (sloth_window)
      )
      or
      (
          max(slo:sli_error:ratio_rate30m{sloth_service="myservice", sloth_slo="requests-availability"} > (6 * 0.0009999999999999432)) without (sloth_window)
          and
          max(slo:sli_error:ratio_rate6h{sloth_service="myservice", sloth_slo="requests-availability"} > (6 * 0.0009999999999999432)) without (sloth_window)
      )
    labels: {severity: critical, sloth_severity: page}
"""

PYRRA = """\
apiVersion: pyrra.dev/v1alpha1
kind: ServiceLevelObjective
metadata: {name: api-errors, labels: {pyrra.dev/team: core}}
spec:
  target: "99.5"
  window: 28d
  indicator:
    ratio:
      errors:
        metric: http_requests_total{code=~"5.."}
      total:
        metric: http_requests_total
"""

OPENSLO = """\
apiVersion: openslo/v1
kind: AlertPolicy
metadata: {name: fast-burn}
spec:
  conditions:
    - kind: AlertCondition
      metadata: {name: fast}
      spec:
        severity: critical
        condition: {kind: burnrate, op: gt, threshold: 10, lookbackWindow: 1h, alertAfter: 5m}
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: checkout-avail, displayName: Checkout availability}
spec:
  service: checkout
  budgetingMethod: Occurrences
  timeWindow: [{duration: 28d, isRolling: true}]
  objectives: [{target: 0.995}]
  alertPolicies: [fast-burn]
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: calendar-slo}
spec:
  service: checkout
  timeWindow: [{duration: 1M, isRolling: false, calendar: {startTime: "2022-01-01 00:00:00", timeZone: UTC}}]
  objectives: [{target: 0.99}]
"""


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def table(fragment: Any, slo: int = 0) -> list[tuple[float, str, str | None, str | None]]:
    return [(t["factor"], t["long"], t.get("short"), t.get("for")) for t in fragment.slos[slo]["tiers"]]


def test_kube_prometheus_rules_give_the_published_table(tmp_path: Path) -> None:
    """14.4 (1h/5m, for 2m), 6 (6h/30m, for 15m), 3 (1d/2h, for 1h), 1 (3d/6h, for 3h) on
    a 99% objective; the recording rule and the crash-loop alert are skipped, the latter
    with a warning."""
    fragment = import_files([write(tmp_path, "kube.yaml", KUBE_RULES)], "rules")
    assert table(fragment) == [
        (14.4, "1h", "5m", "2m"),
        (6.0, "6h", "30m", "15m"),
        (3.0, "1d", "2h", "1h"),
        (1.0, "3d", "6h", "3h"),
    ]
    slo = fragment.slos[0]
    assert (slo["service"], slo["objective"]) == ("apiserver_request", 0.99)
    assert [t["severity"] for t in slo["tiers"]] == ["critical", "critical", "warning", "warning"]
    assert "KubePodCrashLooping" in fragment.warnings[0] and len(fragment.warnings) == 1
    assert slo["tiers"][0]["expr"].startswith("sum by(cluster) (apiserver_request:burnrate1h) > (14.40 * 0.01000)")


def test_sloth_spec_gives_its_page_and_ticket_groups(tmp_path: Path) -> None:
    """Sloth's defaults at 30d: page = 2% over 1h/5m (14.4) OR 5% over 6h/30m (6); ticket =
    10% over 1d/2h (3) OR 10% over 3d/6h (1). The team's severity words map to page
    (sev1) and ticket (sev3); the service name becomes an identifier."""
    fragment = import_files([write(tmp_path, "sloth.yaml", SLOTH)], "sloth")
    assert table(fragment) == [
        (14.4, "1h", "5m", None),
        (6.0, "6h", "30m", None),
        (3.0, "1d", "2h", None),
        (1.0, "3d", "6h", None),
    ]
    assert [t["group"] for t in fragment.slos[0]["tiers"]] == ["page", "page", "ticket", "ticket"]
    assert fragment.severities == {"pageteam": "sev1", "slack": "sev3"}
    assert fragment.services == {"my-service": {"name": "my-service", "display_name": "my service"}}
    assert fragment.slos[0]["labels"] == {"owner": "myteam"}


def test_sloth_alert_windows_replace_the_defaults(tmp_path: Path) -> None:
    """factor = errorBudgetPercent / 100 x 30d / long: 1% over 30m -> 14.4, 2% over 3h ->
    4.8, 5% over 12h -> 3, 5% over 36h -> 1."""
    files = [write(tmp_path, "w.yaml", SLOTH_WINDOWS), write(tmp_path, "s.yaml", SLOTH)]
    assert table(import_files(files)) == [
        (14.4, "30m", "2m", None),
        (4.8, "3h", "15m", None),
        (3.0, "12h", "1h", None),
        (1.0, "1d12h", "3h", None),
    ]


def test_sloth_generated_rules_give_the_same_page_alert(tmp_path: Path) -> None:
    fragment = import_files([write(tmp_path, "gen.yaml", SLOTH_RULES)], "rules")
    slo = fragment.slos[0]
    assert (slo["service"], slo["name"], slo["objective"]) == ("myservice", "requests-availability", 0.999)
    assert table(fragment) == [(14.4, "1h", "5m", None), (6.0, "6h", "30m", None)]
    assert {t["group"] for t in slo["tiers"]} == {"MyServiceHighErrorRate-page"}


def test_pyrra_gets_its_own_tiers_for_its_window(tmp_path: Path) -> None:
    fragment = import_files([write(tmp_path, "p.yaml", PYRRA)], "pyrra")
    assert table(fragment) == [
        (14.0, "1h", "5m", "2m"),
        (7.0, "6h", "30m", "15m"),
        (2.0, "1d", "2h", "1h"),
        (1.0, "4d", "6h", "3h"),
    ]
    assert fragment.slos[0]["objective"] == 0.995 and fragment.slos[0]["period"] == "28d"


def test_openslo_burn_rate_conditions_become_single_window_tiers(tmp_path: Path) -> None:
    """lookbackWindow 1h, threshold 10, alertAfter 5m: a single-window tier with for: 5m.
    The calendar-window SLO is skipped with a warning naming it."""
    fragment = import_files([write(tmp_path, "o.yaml", OPENSLO)], "openslo")
    assert [s["name"] for s in fragment.slos] == ["checkout-avail"]
    assert table(fragment) == [(10.0, "1h", None, "5m")]
    assert fragment.slos[0]["display_name"] == "Checkout availability"
    assert len(fragment.warnings) == 1 and "calendar-slo" in fragment.warnings[0] and "calendar" in fragment.warnings[0]


@pytest.mark.parametrize(
    ("kind", "name", "text"),
    [
        ("rules", "kube.yaml", KUBE_RULES),
        ("sloth", "sloth.yaml", SLOTH),
        ("pyrra", "p.yaml", PYRRA),
        ("openslo", "o.yaml", OPENSLO),
    ],
)
def test_the_printed_fragment_loads_and_prints_the_same_twice(kind: str, name: str, text: str, tmp_path: Path) -> None:
    path = write(tmp_path, name, text)
    runs = [
        subprocess.run(
            [sys.executable, "-m", "scenarios.imports", kind, path],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        for _ in range(2)
    ]
    assert runs[0].returncode == 0, runs[0].stderr
    assert runs[0].stdout == runs[1].stdout  # deterministic
    scenario = parse_scenario(runs[0].stdout, "fragment.yaml")
    assert scenario.slos and all(s.policy == "custom" for s in scenario.slos)


def test_strict_turns_warnings_into_exit_2(tmp_path: Path) -> None:
    path = write(tmp_path, "kube.yaml", KUBE_RULES)
    proc = subprocess.run(
        [sys.executable, "-m", "scenarios.imports", "rules", path, "--strict"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2 and "KubePodCrashLooping" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("text", "expected"),
    [("name: not an import\n", "is not a format we import"), ("groups: [\n", "malformed YAML")],
)
def test_what_is_not_an_import_is_refused(text: str, expected: str, tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=expected):
        import_files([write(tmp_path, "x.yaml", text)])


def test_a_scenario_imports_files_beside_it_and_runs_them(tmp_path: Path) -> None:
    """The Sloth spec's page alert fires on a total outage: 14.4x over 1h/5m at T+1m."""
    write(tmp_path, "sloth.yaml", SLOTH)
    path = write(
        tmp_path,
        "drill.yaml",
        "name: imported\nuntil: 3h\ntraffic: {requests_per_minute: 1000}\nimports: {slos: [sloth.yaml]}\n"
        "events: [{at: 1h, fault: {service: my-service, health: 0.0}}, {at: 1h30m, recover: {service: my-service}}]\n",
    )
    scenario = load_scenario(path)
    fired = build(scenario, path=path).run().trace.of(AlertFired)
    assert [(e.t, e.msg.labels["alertname"], e.msg.severity) for e in fired][:1] == [(3660.0, "page", "sev1")]


def test_two_files_defining_one_slo_name_both(tmp_path: Path) -> None:
    a, b = write(tmp_path, "a.yaml", SLOTH), write(tmp_path, "b.yaml", SLOTH)
    with pytest.raises(
        ScenarioError, match=r"b\.yaml: the SLO 'requests-availability' of my-service is also defined in .*a\.yaml"
    ):
        import_files([a, b])


def test_slugs_are_identifiers() -> None:
    assert slug("K8s API (read)") == "k8s-api-read"
    assert slug("support-agent") == "support-agent"
    assert slug("Support All-Week Schedule (L1)") == "support-all-week-schedule-l1"
    assert slug("\u202e").startswith("x-")


@pytest.mark.skipif(not REAL.is_dir(), reason="the shared real configs are not beside the project")
def test_the_real_files_import_without_a_crash_and_give_the_published_tables() -> None:
    for path in sorted(REAL.glob("*.y*ml")):
        fragment = import_files([str(path)])
        parse_scenario(fragment.to_yaml("real"), "real.yaml")
    kube = import_files([str(REAL / "kube-prometheus__manifests_kubernetesControlPlane-prometheusRule.yaml")])
    assert table(kube) == [
        (14.4, "1h", "5m", "2m"),
        (6.0, "6h", "30m", "15m"),
        (3.0, "1d", "2h", "1h"),
        (1.0, "3d", "6h", "3h"),
    ]
    sloth = import_files([str(REAL / "slok_sloth__examples_kubernetes-apiserver.yml")])
    assert table(sloth) == [
        (14.4, "1h", "5m", None),
        (6.0, "6h", "30m", None),
        (3.0, "1d", "2h", None),
        (1.0, "3d", "6h", None),
    ]
    assert yaml.safe_load(sloth.to_yaml("x"))["slos"][1]["objective"] == 0.99


SLOTH_CRD = """\
apiVersion: sloth.slok.dev/v1
kind: PrometheusServiceLevel
metadata: {name: payments}
spec:
  service: payments
  slos:
    - name: latency
      objective: 99
      sli: {events: {error_query: x, total_query: y}}
      alerting: {name: PaymentsLatency, ticket_alert: {disable: true}}
"""

PYRRA_LATENCY = """\
apiVersion: pyrra.dev/v1alpha1
kind: ServiceLevelObjective
metadata: {name: api-latency, labels: {pyrra.dev/service: api}}
spec:
  target: "95"
  window: 14d
  indicator:
    latency:
      success:
        metric: http_request_duration_seconds_bucket{le="0.5"}
      total:
        metric: http_request_duration_seconds_count
"""

OPENSLO_V1ALPHA = """\
apiVersion: openslo/v1alpha
kind: SLO
metadata: {name: search-avail, displayName: Search availability}
spec:
  service: search
  budgetingMethod: Occurrences
  objectives: [{target: 0.99}]
  timeWindows: [{count: 7, unit: Day}]
"""


def test_sloth_crd_with_the_ticket_disabled_has_the_page_group_only(tmp_path: Path) -> None:
    fragment = import_files([write(tmp_path, "crd.yaml", SLOTH_CRD)], "sloth")
    slo = fragment.slos[0]
    assert (slo["service"], slo["objective"], slo["display_name"]) == ("payments", 0.99, "PaymentsLatency")
    assert {t["group"] for t in slo["tiers"]} == {"page"}


def test_pyrra_latency_at_14_days_scales_its_windows(tmp_path: Path) -> None:
    """At 14d Pyrra halves its 28d windows and holds: 30m/3m (for 1m), 3h/15m (8m rounds
    7m30s half away from zero), 12h/1h (30m), 2d/3h (1h30m)."""
    fragment = import_files([write(tmp_path, "lat.yaml", PYRRA_LATENCY)], "pyrra")
    slo = fragment.slos[0]
    assert (slo["service"], slo["symptom"], slo["objective"], slo["period"]) == ("api", "latency", 0.95, "14d")
    assert table(fragment) == [
        (14.0, "30m", "3m", "1m"),
        (7.0, "3h", "15m", "8m"),
        (2.0, "12h", "1h", "30m"),
        (1.0, "2d", "3h", "1h30m"),
    ]


def test_openslo_v1alpha_time_windows_give_the_period(tmp_path: Path) -> None:
    fragment = import_files([write(tmp_path, "a.yaml", OPENSLO_V1ALPHA)], "openslo")
    slo = fragment.slos[0]
    assert (slo["service"], slo["period"], slo["display_name"]) == ("search", "7d", "Search availability")
    # no burn-rate condition: the SRE Workbook's tiers at 7d, 2% / 5% / 10% x 7d / long
    assert table(fragment) == [(3.36, "1h", "5m", None), (1.4, "6h", "30m", None), (0.233333, "3d", "6h", None)]
