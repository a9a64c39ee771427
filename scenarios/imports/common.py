"""What every importer shares: the fragment it fills, names made identifiers, durations
as Prometheus writes them, reading and recognising documents."""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import yaml

from bus.text import identifier_problem, printable
from scenarios.files import MAX_BYTES, ScenarioError, StrictLoader, read_text

__all__ = [
    "ACCEPTED",
    "KINDS",
    "Fragment",
    "detect",
    "is_api_export",
    "items",
    "mapping",
    "prom_duration",
    "read_documents",
    "slug",
    "text",
]

#: The formats an importer reads, by the name the command line gives them.
KINDS = ("sloth", "pyrra", "openslo", "rules", "alertmanager", "pagerduty", "oncall", "opsgenie", "backstage")
ACCEPTED = (
    "Sloth (version: prometheus/v1, kind: PrometheusServiceLevel, kind: AlertWindows), "
    "Pyrra (apiVersion: pyrra.dev/...), OpenSLO (apiVersion: openslo/...), "
    "Prometheus rule files (groups:, or kind: PrometheusRule), "
    "Alertmanager configs (route:, or a Secret holding alertmanager.yaml), "
    'PagerDuty Terraform (resource "pagerduty_...") and REST API exports (escalation_policies:, services:, '
    'schedule(s):, users:), Grafana OnCall Terraform (resource "grafana_oncall_..."), '
    "Opsgenie configs as cloudposse's module reads them (teams:, schedules:, schedule_rotations:, escalations:), "
    "Backstage catalogs (apiVersion: backstage.io/...)"
)
#: The sections of an on-call fragment's ``pagerduty:``, in the order they are printed.
ONCALL_SECTIONS = ("services", "escalation_policies", "schedules")


@dataclass
class Fragment:
    """What a set of files says, as scenario keys, and what could not be said."""

    services: dict[str, dict[str, Any]] = field(default_factory=dict)
    slos: list[dict[str, Any]] = field(default_factory=list)
    severities: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    #: name -> the file that defined it (to name both when a name comes twice)
    _slo_origin: dict[str, str] = field(default_factory=dict)
    #: Sloth AlertWindows by period (seconds), for the Sloth specs that follow
    sloth_windows: dict[float, list[tuple[str, str, float, float, float]]] = field(default_factory=dict)
    #: OpenSLO AlertPolicy specs by name, for the SLOs that refer to them
    openslo_policies: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: An Alertmanager config's routing part (secrets left out)
    alertmanager: dict[str, Any] | None = None
    #: people (responders), by identifier
    responders: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: PagerDuty-shaped services, escalation policies and schedules, by section
    oncall: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {k: [] for k in ONCALL_SECTIONS})
    _oncall_origin: dict[tuple[str, str], str] = field(default_factory=dict)
    #: Terraform resources of every file read, mapped once all are in (references cross files)
    terraform: list[Any] = field(default_factory=list)
    #: PagerDuty API ids -> (kind, identifier), and the items waiting for every id to be known
    pd_ids: dict[str, tuple[str, str]] = field(default_factory=dict)
    pd_pending: list[tuple[str, dict[str, Any], str]] = field(default_factory=list)
    #: Opsgenie sections (teams, schedules, ...) of every file read, with their file
    opsgenie: dict[str, list[tuple[dict[str, Any], str]]] = field(default_factory=dict)
    #: Backstage entities of every file read, with their file
    backstage: list[tuple[dict[str, Any], str]] = field(default_factory=list)

    def warn(self, path: str, key: str, why: str) -> None:
        self.warnings.append(printable(f"{path}: {key}: {why}"))

    def service(self, name: str, display: str | None = None, labels: dict[str, str] | None = None) -> str:
        """The identifier of service *name* (a stub entry made on first mention)."""
        ident = slug(name)
        entry = self.services.setdefault(ident, {"name": ident})
        if display and display != ident:
            entry.setdefault("display_name", display)
        if labels:
            entry.setdefault("labels", {}).update(labels)
        return ident

    def slo(self, entry: dict[str, Any], path: str) -> None:
        key = f"{entry['service']}/{entry['name']}"
        if key in self._slo_origin:
            raise ScenarioError(
                f"{path}: the SLO {entry['name']!r} of {entry['service']} is also defined in "
                f"{self._slo_origin[key]} (rename one)"
            )
        self._slo_origin[key] = path
        self.slos.append(entry)

    @staticmethod
    def service_ident(name: str) -> str:
        """The identifier a name from another system becomes."""
        return slug(name)

    def person(self, name: str, display: str | None = None) -> dict[str, Any]:
        """The responder entry of person *name* (a stub made on first mention)."""
        ident = slug(name)
        entry = self.responders.setdefault(ident, {"name": ident})
        if display and display != ident:
            entry.setdefault("display_name", display)
        return entry

    def oncall_item(self, section: str, entry: dict[str, Any], path: str) -> None:
        """Add a service, policy or schedule; a name defined twice names both files."""
        key = (section, entry["name"])
        if key in self._oncall_origin:
            raise ScenarioError(
                f"{path}: {section[:-1].replace('_', ' ')} {entry['name']!r} is also defined in "
                f"{self._oncall_origin[key]} (rename one)"
            )
        self._oncall_origin[key] = path
        self.oncall[section].append(entry)

    def severity(self, word: str, sev: str) -> None:
        self.severities.setdefault(slug(word), sev)

    def as_scenario(self, name: str) -> dict[str, Any]:
        """The fragment as a scenario of its own (a name, the keys, nothing to run)."""
        out: dict[str, Any] = {"name": name, "services": list(self.services.values()), "slos": self.slos}
        if self.severities:
            out["severities"] = dict(self.severities)
        if self.alertmanager is not None:
            out["alertmanager"] = self.alertmanager
        if self.responders:
            out["responders"] = list(self.responders.values())
        if self.oncall["escalation_policies"]:
            pd = {k: list(v) for k, v in self.oncall.items() if v}
            if not pd.get("services"):  # a policy alone: a service of each name runs it
                pd["services"] = [
                    {"name": p["name"], "escalation_policy": p["name"]} for p in pd["escalation_policies"]
                ]
            out["pagerduty"] = {k: pd[k] for k in ONCALL_SECTIONS if k in pd}
        return out

    def to_yaml(self, name: str) -> str:
        """The fragment as YAML: every value written out (no anchors), in a fixed order."""
        return yaml.dump(self.as_scenario(name), Dumper=_PlainDumper, sort_keys=False, allow_unicode=True, width=100)


class _PlainDumper(yaml.SafeDumper):
    """A safe dumper that writes shared values out in full: a fragment is for reading."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def items(value: Any) -> list[dict[str, Any]]:
    """The mappings of a config list (a lone mapping is a list of one; anything else, none):
    importers read hostile files without a traceback."""
    if isinstance(value, dict):
        return [value]
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def mapping(value: Any) -> dict[str, Any]:
    """*value* if it is a mapping, else an empty one."""
    return value if isinstance(value, dict) else {}


def text(value: Any) -> str:
    """*value* if it is a string (or a number, written out), else ``""``."""
    if isinstance(value, str):
        return value
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else ""


def slug(text: str) -> str:
    """A safe identifier for a name from another system: ``K8s API (read)`` ->
    ``k8s-api-read``; a name that is one already stays as it is."""
    if identifier_problem(text) is None:
        return text
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    out = re.sub(r"[^A-Za-z0-9_.:]+", "-", ascii_text).strip("-_.:").lower()
    out = re.sub(r"-{2,}", "-", out)[:100]
    if not out:
        out = "x-" + hashlib.sha256(text.encode()).hexdigest()[:8]
    return out


_PROM_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "y": 365 * 86400}
_PROM_DURATION = re.compile(r"^(?:\d+(?:ms|[smhdwy]))+$")


def prom_duration(text: Any) -> float:
    """A Prometheus (or Go) duration: ``5m``, ``1h30m``, ``2w``, ``28d``; ValueError if not."""
    value = str(text).strip().lstrip("-")  # OpenSLO's lookbackWindow may be written -1h
    if not _PROM_DURATION.match(value):
        raise ValueError(f"{text!r} is not a duration")
    seconds = sum(int(n) * _PROM_UNITS[u] for n, u in re.findall(r"(\d+)(ms|[smhdwy])", value))
    if not 0 < seconds < math.inf:
        raise ValueError(f"{text!r} is not a duration")
    return float(seconds)


def read_documents(path: str) -> list[Any]:
    """Every YAML document of *path* (read as scenarios are: bounded, safe)."""
    text = read_text(path, "file to import", MAX_BYTES)
    loader = StrictLoader(text)
    docs: list[Any] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is not None:
                docs.append(loader.construct_document(node))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{mark.line + 1}:{mark.column + 1}:" if mark is not None else ""
        raise ScenarioError(
            f"{path}:{where} malformed YAML: {printable(str(getattr(exc, 'problem', '') or exc))}"
        ) from None
    finally:
        loader.dispose()
    out: list[Any] = []
    for doc in docs:
        out.extend(doc if isinstance(doc, list) else [doc])  # OpenSLO files may hold a list
    return [d for d in out if d is not None]


def detect(doc: Any) -> str | None:  # noqa: PLR0911 - one return per format
    """The format of one document, from its content (None: not one we read)."""
    if not isinstance(doc, dict):
        return None
    api = str(doc.get("apiVersion", ""))
    kind = doc.get("kind")
    if doc.get("version") == "prometheus/v1" or kind in ("PrometheusServiceLevel", "AlertWindows"):
        return "sloth"
    if api.startswith("pyrra.dev/"):
        return "pyrra"
    if api.startswith("openslo/"):
        return "openslo"
    if api.startswith("backstage.io/"):
        return "backstage"
    if "groups" in doc or kind == "PrometheusRule":
        return "rules"
    if "route" in doc or kind == "Secret":
        return "alertmanager"
    if is_api_export(doc):
        return "pagerduty"
    if set(doc) & {"schedule_rotations", "escalations", "team_routing_rules"} or (
        isinstance(doc.get("teams"), list) or (isinstance(doc.get("schedules"), list) and "timezone" in str(doc))
    ):
        return "opsgenie"
    if isinstance(doc.get("services"), list) and all(isinstance(s, dict) and "team_name" in s for s in doc["services"]):
        return "opsgenie"
    return None


def is_api_export(doc: Any) -> bool:
    """Whether a document is a PagerDuty REST API answer we read."""
    if not isinstance(doc, dict):
        return False
    if isinstance(doc.get("schedule"), dict) and "schedule_layers" in doc["schedule"]:
        return True
    for key, marker in (("escalation_policies", "escalation_rules"), ("services", "escalation_policy"),
                        ("schedules", "schedule_layers"), ("users", "email")):  # fmt: skip
        items = doc.get(key)
        if isinstance(items, list) and items and isinstance(items[0], dict) and marker in items[0]:
            return True
    return False
