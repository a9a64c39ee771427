"""``python -m actors.routes``: Alertmanager's routing, locally, like amtool.

    python -m actors.routes test CONFIG [--at TIME] [--verify R1,R2] LABEL=VALUE...
    python -m actors.routes tree CONFIG

``test`` prints the receivers an alert with those labels reaches, as ``amtool config
routes test`` does: in matching order, not deduplicated, joined by ``,`` on one line.
Without ``--at`` time intervals are ignored (as amtool does); ``--at`` takes an ISO 8601
instant with an offset (``2026-03-29T01:30:00+00:00``), and the receivers of routes muted
then are left out. ``--verify`` exits 1 when the list differs (order counts). ``tree``
draws the routing tree. CONFIG is an alertmanager.yml (a top-level ``route:``) or a
Kubernetes Secret holding one, or a scenario with an ``alertmanager:`` config. Bad input: one line naming the file, the key and the fix;
exit 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import NoReturn

from rich.console import Console
from rich.text import Text
from rich.tree import Tree

from actors.domain.routing import ConfigError, Route, RoutingConfig, parse_matchers
from bus.text import printable
from scenarios.checks import routing_config
from scenarios.files import ScenarioError
from scenarios.imports.alertmanager import load_alertmanager
from scenarios.loader import load_scenario

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, printable(f"{self.prog}: error: {message} (see --help)") + "\n")


def _labels(pairs: Sequence[str]) -> dict[str, str]:
    """Labels as amtool reads them: ``name=value`` or ``name="quoted value"``."""
    out = {}
    for pair in pairs:
        try:
            (matcher,) = parse_matchers([pair], "labels")
        except (ConfigError, ValueError):
            raise ScenarioError(f"label {pair!r}: write labels as name=value (quote a value holding quotes)") from None
        if matcher.op != "=":
            raise ScenarioError(f"label {pair!r}: a label is name=value, not a {matcher.op} matcher")
        out[matcher.name] = matcher.value
    return out


def _instant(text: str) -> datetime:
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise ScenarioError(f"--at {text!r}: not an ISO 8601 instant (e.g. 2026-03-29T01:30:00+00:00)") from None
    if at.tzinfo is None:
        raise ScenarioError(f"--at {text!r}: give the offset (e.g. +00:00 or Z): an instant, not a local time")
    return at


def _config(path: str) -> RoutingConfig:
    """An alertmanager.yml (or a Secret holding one), else a scenario with an Alertmanager config."""
    try:
        return load_alertmanager(path)
    except ScenarioError as exc:
        if "no Alertmanager config in it" not in str(exc):
            raise
    try:
        scenario = load_scenario(path)
    except ScenarioError:
        scenario = None
    config = routing_config(scenario, path) if scenario is not None else None
    if config is None:
        raise ScenarioError(
            f"{path}: no Alertmanager config in it (a top-level route:, a Secret holding alertmanager.yaml, "
            "or a scenario with alertmanager:)"
        )
    return config


def tree(config: RoutingConfig) -> Tree:
    def label(route: Route) -> Text:
        text = Text(printable(route.receiver), style="bold")
        if route.matchers:
            text.append("  " + printable(", ".join(map(str, route.matchers))), style="cyan")
        extras = []
        if route.continue_:
            extras.append("continue")
        if route.mute_time_intervals:
            extras.append("muted in " + ",".join(route.mute_time_intervals))
        if route.active_time_intervals:
            extras.append("active in " + ",".join(route.active_time_intervals))
        by = "..." if route.group_by_all else ",".join(route.group_by) or "-"
        extras.append(f"group_by {by}")
        text.append("  (" + printable("; ".join(extras)) + ")", style="dim")
        return text

    def add(node: Tree, route: Route) -> None:
        for child in route.routes:
            add(node.add(label(child)), child)

    root = Tree(label(config.route))
    add(root, config.route)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    parser = _Parser(prog="python -m actors.routes", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "command", choices=("test", "tree"), help="test: the receivers of an alert; tree: draw the tree"
    )
    parser.add_argument("config", help="an alertmanager.yml, or a Kubernetes Secret holding one")
    parser.add_argument("labels", nargs="*", metavar="LABEL=VALUE")
    parser.add_argument("--at", metavar="TIME", help="an ISO 8601 instant with an offset: leave out muted routes")
    parser.add_argument("--verify", metavar="R1,R2", help="exit 1 unless the receivers are exactly these, in order")
    args = parser.parse_intermixed_args(argv)  # labels and options in any order, as amtool takes them
    try:
        config = _config(args.config)
        if args.command == "tree":
            Console().print(tree(config))
            return 0
        receivers = config.receivers_for(_labels(args.labels), _instant(args.at) if args.at else None)
    except ScenarioError as exc:
        print(f"error: {printable(str(exc))}", file=sys.stderr)
        return 2
    line = ",".join(receivers)
    print(printable(line))
    if args.verify is not None and line != args.verify:
        print(f"error: expected {printable(args.verify)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
