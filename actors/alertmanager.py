"""The Alertmanager actor: routes the monitor's alerts, groups them, and notifies.

Between the monitor and the correlator when a scenario has an ``alertmanager:`` config.
Every firing alert goes down the routing tree (``actors/domain/routing.py``) to one or
more routes; on each, into the aggregation group of (route, its ``group_by`` values). A
group keeps its own timers, as Alertmanager's ``dispatch.go`` does: it flushes only on its
ticks, the first ``group_wait`` after its first alert and then every ``group_interval``;
at a tick it notifies (``Notified``) as Alertmanager's dedup stage decides
(:func:`_needs_update`): an alert fires that the last notification did not carry, all
resolved, some resolved (to a receiver with ``send_resolved``), or the last notification
is strictly older than ``repeat_interval``. Silenced and inhibited alerts are left out of a notification
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
    #: the firing alerts its last notification carried (None: never notified)
    notified: frozenset[str] | None = None
    #: when it last notified
    last: float | None = None
    #: how many of its firing alerts that notification did not carry
    fresh: int = 0

    def add(self, alert: str, env: Envelope[AlertFired]) -> None:
        if alert not in self.firing and (self.notified is None or alert not in self.notified):
            self.fresh += 1
        self.firing[alert] = env
        if self.resolved:
            self.resolved.pop(alert, None)

    def remove(self, alert: str) -> None:
        """*alert* resolved (or left with its old labels): it is told as resolved next."""
        fired = self.firing.pop(alert, None)
        if fired is not None:
            if self.notified is None or alert not in self.notified:
                self.fresh -= 1
            self.resolved[alert] = fired


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
        #: group key (the route's path and its group_by values) -> the group
        self.groups: dict[str, Group] = {}
        #: alert id -> its envelope, while it fires (the inhibition sources)
        self.alerts: dict[str, Envelope[AlertFired]] = {}
        #: alert id -> what mutes it now (to say so once, and when it ends)
        self.muted: dict[str, str] = {}
        # per inhibit rule, the equal-label values of the firing sources -> their alert ids;
        # rebuilt only when the firing alerts changed (a storm's groups tick together)
        self._sources: list[dict[tuple[str, ...], set[str]]] | None = None

    def busy(self) -> str | None:
        return f"{len(self.groups)} alert group(s) open" if self.groups else None

    # --- alerts in ------------------------------------------------------------------

    def on_alert_fired(self, msg: AlertFired, env: Envelope[AlertFired]) -> None:
        alert = msg.alert
        before = self.alerts.get(alert)
        if before is not None and before.msg.labels != msg.labels:  # fired again, relabelled
            self._leave_groups(alert, before)
        self.alerts[alert] = env
        self._sources = None
        groups = self.groups
        for route, key in self.config.groups_of(msg.labels):
            group = groups.get(key)
            if group is None:
                group = groups[key] = Group(key, route)
                group.timer = self.call_later(route.group_wait, self._tick, group)
            group.add(alert, env)

    def on_alert_resolved(self, msg: AlertResolved, env: Envelope[AlertResolved]) -> None:
        fired = self.alerts.pop(msg.alert, None)
        if fired is not None:
            self._sources = None
            self._leave_groups(msg.alert, fired)

    def _leave_groups(self, alert: str, fired: Envelope[AlertFired]) -> None:
        """*alert* no longer fires with the labels of *fired*: in each group those labels
        put it in (routing is a function of the labels: asked again, not remembered per
        alert), it moves from firing to resolved."""
        for _, key in self.config.groups_of(fired.msg.labels):
            group = self.groups.get(key)
            if group is not None:
                group.remove(alert)

    # --- the ticks ------------------------------------------------------------------

    def _tick(self, group: Group) -> None:
        route = group.route
        group.timer = self.call_later(route.group_interval, self._tick, group)
        now = self.now
        if (route.mute_time_intervals or route.active_time_intervals) and self.config.muted(
            route, self.start + timedelta(seconds=now)
        ):
            self._say_muted(group.firing, f"time interval of {route.path}")
            return
        if self.silences or self.config.inhibit_rules:
            shown = {a: e for a, e in group.firing.items() if not self._mute(a, e.msg.labels, now)}
            new = group.notified is None or not shown.keys() <= group.notified
        else:  # nothing can mute an alert: the fast path of a storm
            shown = group.firing
            new = group.fresh > 0
        receiver = route.receiver
        send_resolved = self.send_resolved.get(receiver, True)
        reason = _needs_update(group, bool(shown), new, send_resolved, now)
        if reason is not None:
            resolved = group.resolved if send_resolved else {}
            if shown or resolved:  # (all resolved, without send_resolved: nothing to send)
                service = self._paging_service(receiver)
                self.send(
                    Notified(
                        receiver=receiver,
                        group=group.key,
                        firing=[e.seq for e in shown.values()],  # (a copy: shown may be group.firing)
                        resolved=[e.seq for e in resolved.values()],
                        reason=reason,
                        pages=service is not None,
                        paging_service=service,
                    ),
                    to=self.to if service is not None else (),
                )
            group.notified, group.last = frozenset(shown), now
            group.fresh = len(group.firing) - len(shown)
        group.resolved.clear()
        if not group.firing:  # everything resolved and said: the group ends
            if group.timer is not None:
                group.timer.cancel()
            del self.groups[group.key]

    def _paging_service(self, receiver: str) -> str | None:
        """The paging service a receiver opens incidents on (None: it does not page)."""
        if not self.config.pages(receiver):
            return None
        return self.paging.get(receiver, receiver)

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


def _needs_update(group: Group, firing: bool, new: bool, send_resolved: bool, now: float) -> str | None:
    """Alertmanager's ``needsUpdate`` (``notify.go``, DedupStage) on what *group* last said:
    why it notifies now (first, update, resolved, repeat), or None. *firing*: something
    unmuted fires; *new*: something fires that the last notification did not carry."""
    if group.last is None:  # never notified: only if something fires
        return "first" if firing else None
    if new:
        return "update"
    if not firing:  # all resolved: clear what the receiver was told fires
        return "resolved" if group.notified else None
    if send_resolved and group.resolved:
        return "update"
    if now - group.last > group.route.repeat_interval:  # strictly older
        return "repeat"
    return None
