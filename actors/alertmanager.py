"""The Alertmanager actor: routes the monitor's alerts, groups them, and notifies.

Between the monitor and the correlator when a scenario has an ``alertmanager:`` config.
Every firing alert goes down the routing tree (``actors/domain/routing.py``) to one or
more routes; on each, into the aggregation group of (route, its ``group_by`` values). A
group keeps its own timers, as Alertmanager's ``dispatch.go`` does: it flushes only on its
ticks, the first ``group_wait`` after its first alert and then every ``group_interval``;
at a tick it notifies (``Notified``) when the set of its firing alerts changed, or its
resolved ones did (with ``send_resolved``), or its last notification is strictly older
than ``repeat_interval``. Silenced and inhibited alerts are left out of a notification
(``AlertMuted`` says which, and when they come back), and a route muted by a time interval
(evaluated at ``start`` + virtual time, in the interval's zone) notifies nothing then.
A group whose alerts have all resolved, and been notified as such, ends.

Notifications of receivers that page (PagerDuty, Opsgenie, VictorOps) reach the
correlator, whose AIOps layer names root causes within them; the others are sinks the
trace and the report show.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from actors.domain.routing import Matcher, Route, RoutingConfig
from actors.engine.actor import Actor, Host
from actors.engine.timers import Timer
from bus.messages import AlertFired, AlertMuted, AlertResolved, Notified
from bus.trace import Envelope

__all__ = ["Alertmanager", "Silence"]


@dataclass(frozen=True)
class Silence:
    """Mute alerts matching every matcher from ``start`` until ``end`` (virtual seconds)."""

    matchers: tuple[Matcher, ...]
    start: float
    end: float
    comment: str = ""

    def mutes(self, labels: dict[str, str], now: float) -> bool:
        return self.start <= now < self.end and all(m.matches(labels) for m in self.matchers)


@dataclass
class Group:
    """One aggregation group: its route, its alerts, its timer and what it last said."""

    key: str
    route: Route
    #: alert id -> its AlertFired envelope, while it fires
    firing: dict[str, Envelope[AlertFired]] = field(default_factory=dict)
    #: alert id -> its AlertFired envelope, resolved and not yet notified as such
    resolved: dict[str, Envelope[AlertFired]] = field(default_factory=dict)
    timer: Timer | None = None
    notified: frozenset[str] | None = None
    last: float | None = None
    #: its key in the actor's table: (route path, group_by values)
    values: tuple[str, tuple[tuple[str, str], ...]] = ("", ())


class Alertmanager(Actor):
    """Routing, grouping, silences, inhibition and time intervals (see the module's docstring)."""

    family = "alertmanager"
    subscribes = (AlertFired, AlertResolved)

    def __init__(
        self,
        name: str,
        host: Host,
        config: RoutingConfig,
        start: datetime,
        silences: list[Silence] | None = None,
        send_resolved: dict[str, bool] | None = None,
        to: str = "correlator",
        paging: dict[str, str] | None = None,
    ) -> None:
        self.config = config
        self.paging = paging or {}
        self.start = start
        self.silences = list(silences or [])
        self.send_resolved = send_resolved or {}
        self.to = to
        super().__init__(name, host)

    def setup(self) -> None:
        #: (route path, its group_by values) -> the group
        self.groups: dict[tuple[str, tuple[tuple[str, str], ...]], Group] = {}
        #: alert id -> its envelope, while it fires (the inhibition sources)
        self.alerts: dict[str, Envelope[AlertFired]] = {}
        #: alert id -> what mutes it now (to say so once, and when it ends)
        self.muted: dict[str, str] = {}
        # per inhibit rule, the equal-label values of the firing sources -> their alert ids;
        # rebuilt only when the firing alerts changed (a storm's groups tick together)
        self._sources: list[dict[tuple[str, ...], set[str]]] | None = None
        #: alert id -> the groups it is in (one per route it reached)
        self._groups_of: dict[str, list[Group]] = {}

    def busy(self) -> str | None:
        return f"{len(self.groups)} alert group(s) open" if self.groups else None

    # --- alerts in ------------------------------------------------------------------

    def on_alert_fired(self, msg: AlertFired, env: Envelope[AlertFired]) -> None:
        alert, labels = msg.alert, msg.labels  # each pydantic field read once
        self.alerts[alert] = env
        self._sources = None
        mine = self._groups_of.get(alert)
        if mine is None:
            mine = self._groups_of[alert] = []
        for route in self.config.routes_of(labels):
            values = route.group_key(labels)
            group = self.groups.get(values)
            if group is None:
                path, pairs = values
                key = path + "{" + ",".join(f'{k}="{v}"' for k, v in pairs) + "}"
                group = self.groups[values] = Group(key, route, values=values)
                group.timer = self.call_later(route.group_wait, self._tick, group)
            group.firing[alert] = env
            if group.resolved:
                group.resolved.pop(alert, None)
            mine.append(group)

    def on_alert_resolved(self, msg: AlertResolved, env: Envelope[AlertResolved]) -> None:
        self.alerts.pop(msg.alert, None)
        self._sources = None
        for group in self._groups_of.pop(msg.alert, []):
            fired = group.firing.pop(msg.alert, None)
            if fired is not None:
                group.resolved[msg.alert] = fired

    # --- the ticks ------------------------------------------------------------------

    def _tick(self, group: Group) -> None:
        group.timer = self.call_later(group.route.group_interval, self._tick, group)
        now = self.now
        at = self.start + timedelta(seconds=now)
        if self.config.muted(group.route, at):
            self._say_muted(group.firing, f"time interval of {group.route.path}")
            return
        if self.silences or self.config.inhibit_rules:
            shown = {a: e for a, e in group.firing.items() if not self._mute(a, e.msg.labels, now)}
        else:  # nothing can mute an alert: the fast path of a storm
            shown = group.firing
        resolved = group.resolved if self.send_resolved.get(group.route.receiver, True) else {}
        firing_set = frozenset(shown)
        changed = firing_set != group.notified or bool(resolved)
        repeat = group.last is not None and now - group.last > group.route.repeat_interval
        if (changed or repeat) and (shown or resolved):
            if group.last is None:
                reason = "first"
            elif not shown:
                reason = "resolved"
            elif changed:
                reason = "update"
            else:
                reason = "repeat"
            self.send(
                Notified(
                    receiver=group.route.receiver,
                    group=group.key,
                    firing=[e.seq for e in shown.values()],  # (a copy: shown may be group.firing)
                    resolved=[e.seq for e in resolved.values()],
                    reason=reason,
                    pages=self.config.pages(group.route.receiver),
                    paging_service=(
                        self.paging.get(group.route.receiver, group.route.receiver)
                        if self.config.pages(group.route.receiver)
                        else None
                    ),
                ),
                to=self.to if self.config.pages(group.route.receiver) else (),
            )
            group.notified, group.last = firing_set, now
        group.resolved.clear()
        if not group.firing:  # everything resolved and said: the group ends
            if group.timer is not None:
                group.timer.cancel()
            del self.groups[group.values]

    def _mute(self, alert: str, labels: dict[str, str], now: float) -> bool:
        why = None
        for silence in self.silences:
            if silence.mutes(labels, now):
                why = f"silence {silence.comment}".strip()
                break
        if why is None and self.config.inhibit_rules:
            why = self._inhibited(alert, labels)
        before = self.muted.get(alert)
        if why != before:
            if why is None:
                del self.muted[alert]
                self.send(AlertMuted(alert=alert, muted=False, by=before or ""), to=())
            else:
                self.muted[alert] = why
                self.send(AlertMuted(alert=alert, muted=True, by=why), to=())
        return why is not None

    def _inhibited(self, alert: str, labels: dict[str, str]) -> str | None:
        """Which inhibit rule mutes *alert* now (None: none): a firing source other than the
        alert itself matches the rule's source matchers and agrees on its equal labels."""
        rules = self.config.inhibit_rules
        if self._sources is None:
            self._sources = [{} for _ in rules]
            for aid, env in self.alerts.items():
                source = env.msg.labels
                for index, rule in zip(self._sources, rules, strict=True):
                    if all(m.matches(source) for m in rule.source):
                        index.setdefault(tuple(source.get(n, "") for n in rule.equal), set()).add(aid)
        for i, (index, rule) in enumerate(zip(self._sources, rules, strict=True)):
            if not all(m.matches(labels) for m in rule.target):
                continue
            ids = index.get(tuple(labels.get(n, "") for n in rule.equal))
            if ids and (len(ids) > 1 or alert not in ids):
                return f"inhibit rule {i + 1}"
        return None

    def _say_muted(self, firing: dict[str, Envelope[AlertFired]], why: str) -> None:
        for alert in firing:
            if self.muted.get(alert) != why:
                self.muted[alert] = why
                self.send(AlertMuted(alert=alert, muted=True, by=why), to=())
