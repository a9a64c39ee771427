"""Alertmanager's routing tree, matchers, inhibition rules and time intervals, as its own
code defines them (``dispatch/route.go``, ``pkg/labels``, ``inhibit/``,
``timeinterval/``). Pure logic: a config mapping in, decisions out.

- **Routes.** Matching is depth-first: a route matches when all its matchers do; then its
  children are tried in order, and the first that matches wins unless it has
  ``continue: true`` (then the next ones are tried too); a route none of whose children
  matched is itself the match. Children inherit ``receiver``, ``group_by`` (``...``: every
  label), ``group_wait``, ``group_interval`` and ``repeat_interval`` from their parent, but
  not ``mute_time_intervals`` / ``active_time_intervals``, which apply to the route that
  names them only.
- **Matchers** ``name=value``, ``!=``, ``=~``, ``!~``: a missing label is the empty
  string; regexes are anchored (``^(?:re)$``); values may be double-quoted with ``\\"``,
  ``\\\\`` and ``\\n`` escapes; a list may be wrapped in ``{...}`` and split on commas.
  The legacy ``match`` (equality) and ``match_re`` (regex) maps are the same matchers.
- **Inhibition.** A target alert is muted while a *firing* source alert matches the
  source matchers, the target matches the target matchers, and every ``equal`` label has
  the same value on both (missing on both counts as equal).
- **Time intervals.** A named interval holds at an instant when any of its entries does;
  an entry holds when each of its fields given (``times``, ``weekdays``,
  ``days_of_month``, ``months``, ``years``) holds in its ``location`` (UTC by default).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "DEFAULTS",
    "ConfigError",
    "InhibitRule",
    "Matcher",
    "Route",
    "RoutingConfig",
    "TimeInterval",
    "parse_config",
    "parse_matchers",
]

#: Alertmanager's defaults: group_wait 30s, group_interval 5m, repeat_interval 4h.
DEFAULTS = {"group_wait": 30.0, "group_interval": 300.0, "repeat_interval": 4 * 3600.0}
_LABEL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_MATCHER = re.compile(r"^\s*([A-Za-z_:][A-Za-z0-9_:]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$", re.DOTALL)
_OPS = ("=", "!=", "=~", "!~")


class ConfigError(ValueError):
    """A config that cannot be used: the message names the key path and the fix."""


@dataclass(frozen=True)
class Matcher:
    """One label matcher."""

    name: str
    op: str
    value: str
    _regex: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def make(cls, name: str, op: str, value: str, where: str) -> Matcher:
        regex = None
        if op in ("=~", "!~"):
            try:
                regex = re.compile(f"^(?:{value})$", re.DOTALL)
            except re.error as exc:
                raise ConfigError(
                    f"{where}: {value!r} is not a valid regular expression ({exc}; fix the pattern)"
                ) from None
        return cls(name, op, value, regex)

    def matches(self, labels: Mapping[str, str]) -> bool:
        got = labels.get(self.name, "")
        if self.op == "=":
            return got == self.value
        if self.op == "!=":
            return got != self.value
        assert self._regex is not None
        found = self._regex.match(got) is not None
        return found if self.op == "=~" else not found

    def __str__(self) -> str:
        return f'{self.name}{self.op}"{self.value}"'


def _unquote(raw: str, where: str) -> str:
    if len(raw) >= 2 and raw[0] == '"' and raw[-1] == '"':
        body, out, i = raw[1:-1], [], 0
        while i < len(body):
            ch = body[i]
            if ch == "\\" and i + 1 < len(body):
                nxt = body[i + 1]
                out.append({"n": "\n", "t": "\t", '"': '"', "\\": "\\"}.get(nxt, "\\" + nxt))
                i += 2
                continue
            if ch == '"':
                raise ConfigError(f'{where}: an unescaped quote inside {raw!r} (write \\" for a quote)')
            out.append(ch)
            i += 1
        return "".join(out)
    if raw.startswith('"') or raw.endswith('"'):
        raise ConfigError(f"{where}: {raw!r} opens a quote it does not close")
    return raw


def _split_list(text: str) -> list[str]:
    """``{a="x,y", b=~"z"}`` -> the matcher strings, commas inside quotes kept."""
    text = text.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    parts, current, quoted, escaped = [], [], False, False
    for ch in text:
        if escaped:
            current.append(ch)
            escaped = False
            continue
        if ch == "\\":
            current.append(ch)
            escaped = True
            continue
        if ch == '"':
            quoted = not quoted
        if ch == "," and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    parts.append("".join(current))
    return [p for p in (p.strip() for p in parts) if p]


def parse_matchers(items: Any, where: str) -> list[Matcher]:
    """The ``matchers:`` list (each item one matcher, or several in ``{...}``)."""
    if items is None:
        return []
    if isinstance(items, str):
        items = [items]
    if not isinstance(items, list):
        raise ConfigError(f"{where}: a list of matchers such as ['severity=\"critical\"']")
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise ConfigError(f"{where}[{i}]: {item!r} is not a matcher (write it as a string: 'name=\"value\"')")
        for text in _split_list(item):
            m = _MATCHER.match(text)
            if m is None:
                raise ConfigError(f"{where}[{i}]: {text!r} is not a matcher (name=value, !=, =~ or !~)")
            name, op, raw = m.groups()
            out.append(Matcher.make(name, op, _unquote(raw, f"{where}[{i}]"), f"{where}[{i}]"))
    return out


def _legacy(config: Mapping[str, Any], eq_key: str, re_key: str, where: str) -> list[Matcher]:
    out = []
    for key, op in ((eq_key, "="), (re_key, "=~")):
        mapping = config.get(key) or {}
        if not isinstance(mapping, dict):
            raise ConfigError(f"{where}.{key}: a map of label: value")
        for name, value in sorted(mapping.items()):  # Alertmanager sorts them too
            if not isinstance(name, str) or not _LABEL_NAME.match(name):
                raise ConfigError(f"{where}.{key}: {name!r} is not a label name")
            out.append(Matcher.make(name, op, str(value), f"{where}.{key}.{name}"))
    return out


# --- durations ------------------------------------------------------------------------

_DUR = re.compile(r"^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$")


def _duration(value: Any, where: str) -> float:
    m = _DUR.match(str(value).strip()) if value is not None else None
    if m is None or not any(m.groups()):
        raise ConfigError(f"{where}: {value!r} is not a duration (e.g. 30s, 5m, 4h)")
    y, w, d, h, mi, s, ms = (int(g) if g else 0 for g in m.groups())
    return y * 365 * 86400 + w * 7 * 86400 + d * 86400 + h * 3600 + mi * 60 + s + ms / 1000


# --- routes ---------------------------------------------------------------------------


@dataclass
class Route:
    """One node of the routing tree, with what it inherited resolved."""

    path: str
    receiver: str
    matchers: list[Matcher]
    group_by: tuple[str, ...]
    group_by_all: bool
    group_wait: float
    group_interval: float
    repeat_interval: float
    continue_: bool = False
    mute_time_intervals: tuple[str, ...] = ()
    active_time_intervals: tuple[str, ...] = ()
    routes: list[Route] = field(default_factory=list)

    def match(self, labels: Mapping[str, str]) -> list[Route]:
        """The routes an alert with *labels* goes to, in Alertmanager's order."""
        if not all(m.matches(labels) for m in self.matchers):
            return []
        found: list[Route] = []
        for child in self.routes:
            matched = child.match(labels)
            found.extend(matched)
            if matched and not child.continue_:
                break
        return found or [self]

    def walk(self) -> Iterable[Route]:
        yield self
        for child in self.routes:
            yield from child.walk()

    def group_key(self, labels: Mapping[str, str]) -> str:
        """The aggregation group of an alert on this route, as a key that names it: the
        route's path, then the alert's values of the route's ``group_by`` labels as
        Alertmanager prints a label set (labels the alert lacks left out, sorted by name,
        values quoted with escapes), e.g. ``0.1{service="api", team="db"}``."""
        if self.group_by_all:
            pairs = sorted((name, value) for name, value in labels.items() if value)
        else:
            pairs = sorted((name, labels[name]) for name in self.group_by if labels.get(name))
        return (
            self.path
            + "{"
            + ", ".join(f"{name}={json.dumps(value, ensure_ascii=False)}" for name, value in pairs)
            + "}"
        )


def _route(config: Mapping[str, Any], parent: Route | None, where: str, receivers: set[str]) -> Route:
    if not isinstance(config, dict):
        raise ConfigError(f"{where}: a route is a mapping (receiver:, matchers:, routes:, ...)")
    receiver = config.get("receiver", parent.receiver if parent else None)
    if receiver is None:
        raise ConfigError(f"{where}.receiver: the root route needs a receiver")
    if receivers and receiver not in receivers:
        raise ConfigError(
            f"{where}.receiver: undefined receiver {receiver!r} used in route (define it under receivers:)"
        )
    group_by = config.get("group_by")
    if group_by is None:
        by, by_all = (parent.group_by, parent.group_by_all) if parent else ((), False)
    else:
        if not isinstance(group_by, list):
            raise ConfigError(f"{where}.group_by: a list of label names, or ['...'] for all")
        by_all = "..." in group_by
        if by_all and len(group_by) > 1:
            raise ConfigError(f"{where}.group_by: '...' stands alone (it groups by every label)")
        by = () if by_all else tuple(str(n) for n in group_by)
    timers = {
        key: _duration(config[key], f"{where}.{key}")
        if key in config
        else (getattr(parent, key) if parent else DEFAULTS[key])
        for key in DEFAULTS
    }
    matchers = parse_matchers(config.get("matchers"), f"{where}.matchers")
    matchers += _legacy(config, "match", "match_re", where)
    if parent is None and matchers:
        raise ConfigError(f"{where}: the root route must not have matchers (it takes every alert)")
    route = Route(
        path=where,
        receiver=str(receiver),
        matchers=matchers,
        group_by=by,
        group_by_all=by_all,
        group_wait=timers["group_wait"],
        group_interval=timers["group_interval"],
        repeat_interval=timers["repeat_interval"],
        continue_=bool(config.get("continue", False)),
        mute_time_intervals=tuple(config.get("mute_time_intervals") or ()),
        active_time_intervals=tuple(config.get("active_time_intervals") or ()),
    )
    if parent is None and route.continue_:
        raise ConfigError(f"{where}.continue: the root route cannot continue")
    children = config.get("routes") or []
    if not isinstance(children, list):
        raise ConfigError(f"{where}.routes: a list of routes")
    route.routes = [_route(child, route, f"{where}.routes[{i}]", receivers) for i, child in enumerate(children)]
    return route


# --- inhibition -----------------------------------------------------------------------


@dataclass(frozen=True)
class InhibitRule:
    """Mute targets while a matching source fires and the ``equal`` labels agree."""

    source: tuple[Matcher, ...]
    target: tuple[Matcher, ...]
    equal: tuple[str, ...]

    def mutes(self, target: Mapping[str, str], firing: Iterable[Mapping[str, str]]) -> bool:
        if not all(m.matches(target) for m in self.target):
            return False
        for source in firing:
            if source is target:
                continue
            if all(m.matches(source) for m in self.source) and all(
                source.get(n, "") == target.get(n, "") for n in self.equal
            ):
                return True
        return False


def _inhibit(config: Any, where: str) -> InhibitRule:
    if not isinstance(config, dict):
        raise ConfigError(f"{where}: an inhibit rule is a mapping (source_matchers:, target_matchers:, equal:)")
    source = parse_matchers(config.get("source_matchers"), f"{where}.source_matchers")
    source += _legacy(config, "source_match", "source_match_re", where)
    target = parse_matchers(config.get("target_matchers"), f"{where}.target_matchers")
    target += _legacy(config, "target_match", "target_match_re", where)
    equal = config.get("equal") or []
    if not isinstance(equal, list):
        raise ConfigError(f"{where}.equal: a list of label names")
    return InhibitRule(tuple(source), tuple(target), tuple(str(e) for e in equal))


# --- time intervals -------------------------------------------------------------------

_DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_MONTHS = [
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
]  # fmt: skip


def _ranges(items: Any, where: str, names: list[str] | None, low: int, high: int) -> list[tuple[int, int]]:
    out = []
    for i, item in enumerate(items or []):
        text = str(item).strip().lower()
        parts = text.split(":")
        if len(parts) > 2 or not all(parts):
            raise ConfigError(f"{where}[{i}]: {item!r} is not a value or a range a:b")

        def value(p: str, idx: int = i) -> int:
            if names is not None and p in names:
                return names.index(p) + (1 if names is _MONTHS else 0)
            try:
                n = int(p)
            except ValueError:
                raise ConfigError(f"{where}[{idx}]: {p!r} is not one of the allowed values") from None
            if not low <= abs(n) <= high or (n < 0 and low > 0 and names is not None):
                raise ConfigError(f"{where}[{idx}]: {n} is out of range ({low}..{high})")
            return n

        a = value(parts[0])
        b = value(parts[-1])
        out.append((a, b))
    return out


@dataclass(frozen=True)
class _Entry:
    times: tuple[tuple[int, int], ...]
    weekdays: tuple[tuple[int, int], ...]
    days: tuple[tuple[int, int], ...]
    months: tuple[tuple[int, int], ...]
    years: tuple[tuple[int, int], ...]
    zone: ZoneInfo

    def holds(self, instant: datetime) -> bool:
        t = instant.astimezone(self.zone)
        if self.times:
            minute = t.hour * 60 + t.minute
            if not any(a <= minute < b for a, b in self.times):
                return False
        if self.weekdays and not any(a <= t.weekday() <= b for a, b in self.weekdays):
            return False
        if self.days:
            last = ((t.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)).day
            day = t.day

            def norm(n: int) -> int:
                return n if n > 0 else last + 1 + n

            if not any(norm(a) <= day <= norm(b) for a, b in self.days):
                return False
        if self.months and not any(a <= t.month <= b for a, b in self.months):
            return False
        return not (self.years and not any(a <= t.year <= b for a, b in self.years))


@dataclass(frozen=True)
class TimeInterval:
    """A named time interval: it holds when any of its entries does."""

    name: str
    entries: tuple[_Entry, ...]

    def holds(self, instant: datetime) -> bool:
        return any(entry.holds(instant) for entry in self.entries)


def _minutes(text: str, where: str) -> int:
    m = re.match(r"^(\d{1,2}):(\d{2})$", str(text).strip())
    if m is None or int(m.group(1)) > 24 or int(m.group(2)) > 59 or (int(m.group(1)) == 24 and int(m.group(2))):
        raise ConfigError(f"{where}: {text!r} is not a time of day (HH:MM, 00:00 to 24:00)")
    return int(m.group(1)) * 60 + int(m.group(2))


def _interval(config: Any, where: str) -> TimeInterval:
    if not isinstance(config, dict) or not isinstance(config.get("name"), str):
        raise ConfigError(f"{where}: a time interval has a name and time_intervals:")
    entries = []
    for i, e in enumerate(config.get("time_intervals") or []):
        w = f"{where}.time_intervals[{i}]"
        times = []
        for j, t in enumerate((e or {}).get("times") or []):
            start, end = (
                _minutes(t.get("start_time"), f"{w}.times[{j}].start_time"),
                _minutes(t.get("end_time"), f"{w}.times[{j}].end_time"),
            )
            if end <= start:
                raise ConfigError(f"{w}.times[{j}]: end_time must come after start_time")
            times.append((start, end))
        location = (e or {}).get("location") or "UTC"
        try:
            zone = ZoneInfo(str(location)) if str(location) not in ("UTC", "Local") else ZoneInfo("UTC")
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise ConfigError(f"{w}.location: unknown time zone {location!r} (e.g. Europe/London)") from None
        weekdays = _ranges(e.get("weekdays"), f"{w}.weekdays", _DAYS, 0, 6)
        entries.append(
            _Entry(
                tuple(times),
                tuple(weekdays),
                tuple(_ranges(e.get("days_of_month"), f"{w}.days_of_month", None, 1, 31)),
                tuple(_ranges(e.get("months"), f"{w}.months", _MONTHS, 1, 12)),
                tuple(_ranges(e.get("years"), f"{w}.years", None, 1, 9999)),
                zone,
            )
        )
    return TimeInterval(config["name"], tuple(entries))


# --- the whole config ------------------------------------------------------------------


@dataclass
class RoutingConfig:
    """An alertmanager.yml's routing part: the tree, inhibition, intervals, receivers."""

    route: Route
    inhibit_rules: list[InhibitRule]
    time_intervals: dict[str, TimeInterval]
    #: receiver name -> the kinds of its configs (pagerduty, email, slack, webhook, ...)
    receivers: dict[str, tuple[str, ...]]

    def __post_init__(self) -> None:
        # the label names any matcher of the tree reads: routing depends on nothing else
        self._names = tuple(sorted({m.name for r in self.route.walk() for m in r.matchers}))
        self._cache: dict[tuple[str, ...], list[Route]] = {}
        # ... and with the names any route groups by, the groups depend on nothing else
        # (None: a route groups by every label, ``...``)
        routes = list(self.route.walk())
        self._grouping: tuple[str, ...] | None = (
            None
            if any(r.group_by_all for r in routes)
            else tuple(sorted(set(self._names).union(*(r.group_by for r in routes))))
        )
        self._groups: dict[tuple[str, ...] | tuple[tuple[str, str], ...], tuple[tuple[Route, str], ...]] = {}

    def routes_of(self, labels: Mapping[str, str]) -> list[Route]:
        """``route.match(labels)``, remembered by the values of the label names the tree's
        matchers read (a storm's alerts share a few such tuples)."""
        get = labels.get
        key = tuple([get(n, "") for n in self._names])
        found = self._cache.get(key)
        if found is None:
            if len(self._cache) > 100_000:  # bounded: label values may be unbounded
                self._cache.clear()
            found = self._cache[key] = self.route.match(labels)
        return found

    def groups_of(self, labels: Mapping[str, str]) -> tuple[tuple[Route, str], ...]:
        """Each route an alert with *labels* goes to, with its aggregation group's key
        (:meth:`Route.group_key`), remembered by the values of the label names the tree
        reads: a storm's alerts share few such tuples, so an alert costs one lookup."""
        if self._grouping is None:
            key: tuple[str, ...] | tuple[tuple[str, str], ...] = tuple(sorted(labels.items()))
        else:
            get = labels.get
            key = tuple([get(n, "") for n in self._grouping])
        found = self._groups.get(key)
        if found is None:
            if len(self._groups) > 100_000:  # bounded: label values may be unbounded
                self._groups.clear()
            found = self._groups[key] = tuple((r, r.group_key(labels)) for r in self.routes_of(labels))
        return found

    def receivers_for(self, labels: Mapping[str, str], at: datetime | None = None) -> list[str]:
        """The receivers of an alert, as ``amtool config routes test`` prints them: in
        matching order, not deduplicated; with *at*, muted routes left out."""
        return [r.receiver for r in self.routes_of(labels) if at is None or not self.muted(r, at)]

    def muted(self, route: Route, at: datetime) -> bool:
        """Whether *route* is muted at *at* (a mute interval holds, or active ones do not)."""
        if any(self.time_intervals[n].holds(at) for n in route.mute_time_intervals):
            return True
        return bool(route.active_time_intervals) and not any(
            self.time_intervals[n].holds(at) for n in route.active_time_intervals
        )

    def pages(self, receiver: str) -> bool:
        """Whether a receiver pages someone (PagerDuty, Opsgenie, VictorOps)."""
        return any(kind in ("pagerduty", "opsgenie", "victorops") for kind in self.receivers.get(receiver, ()))


def parse_config(config: Any) -> RoutingConfig:
    """A :class:`RoutingConfig` from an alertmanager.yml's mapping; :class:`ConfigError` names
    the key and the fix of the first problem."""
    if not isinstance(config, dict) or "route" not in config:
        raise ConfigError("route: an Alertmanager config has a top-level route:")
    receivers: dict[str, tuple[str, ...]] = {}
    for i, r in enumerate(config.get("receivers") or []):
        if not isinstance(r, dict) or not isinstance(r.get("name"), str):
            raise ConfigError(f"receivers[{i}]: a receiver has a name")
        if r["name"] in receivers:
            raise ConfigError(f"receivers[{i}].name: {r['name']!r} is defined twice (receiver names are unique)")
        receivers[r["name"]] = tuple(sorted(k.removesuffix("_configs") for k in r if k.endswith("_configs") and r[k]))
    intervals: dict[str, TimeInterval] = {}
    for key in ("time_intervals", "mute_time_intervals"):
        for i, item in enumerate(config.get(key) or []):
            interval = _interval(item, f"{key}[{i}]")
            if interval.name in intervals:
                raise ConfigError(f"{key}[{i}].name: {interval.name!r} is defined twice")
            intervals[interval.name] = interval
    route = _route(config["route"], None, "route", set(receivers))
    for r in route.walk():
        for name in (*r.mute_time_intervals, *r.active_time_intervals):
            if name not in intervals:
                raise ConfigError(f"{r.path}: undefined time interval {name!r} (define it under time_intervals:)")
    inhibit = [_inhibit(rule, f"inhibit_rules[{i}]") for i, rule in enumerate(config.get("inhibit_rules") or [])]
    return RoutingConfig(route, inhibit, intervals, receivers)
