"""Root cause, blast radius and health on small graphs with hand-computed answers."""

from __future__ import annotations

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from topology import ServiceSpec, Topology, TopologyError


def topo(edges: dict[str, list[str]]) -> Topology:
    return Topology.build(ServiceSpec(name, tuple(deps)) for name, deps in edges.items())


CHAIN = {"web": ["api"], "api": ["db"], "db": []}
DIAMOND = {"web": ["auth", "cart"], "auth": ["db"], "cart": ["db"], "db": []}


def test_chain_all_alerting_roots_at_the_bottom() -> None:
    assert topo(CHAIN).root_causes(["web", "api", "db"]) == {"web": ["db"], "api": ["db"], "db": ["db"]}


def test_chain_with_a_silent_middle_still_finds_the_root_below() -> None:
    assert topo(CHAIN).root_causes(["web", "db"]) == {"web": ["db"], "db": ["db"]}


def test_diamond_shared_dependency_failing() -> None:
    got = topo(DIAMOND).root_causes(["web", "auth", "cart", "db"])
    assert got == {"web": ["db"], "auth": ["db"], "cart": ["db"], "db": ["db"]}


def test_diamond_two_sides_failing_independently() -> None:
    got = topo(DIAMOND).root_causes(["web", "auth", "cart"])
    assert got == {"web": ["auth", "cart"], "auth": ["auth"], "cart": ["cart"]}


def test_two_independent_failures() -> None:
    t = topo({**CHAIN, "batch": ["queue"], "queue": []})
    got = t.root_causes(["web", "db", "batch", "queue"])
    assert got == {"web": ["db"], "db": ["db"], "batch": ["queue"], "queue": ["queue"]}


def test_a_cycle_is_one_component() -> None:
    t = topo({"web": ["a"], "a": ["b"], "b": ["a", "db"], "db": []})
    assert t.component("a") == ["a", "b"]
    assert t.root_causes(["web", "a", "b"]) == {"web": ["a", "b"], "a": ["a", "b"], "b": ["a", "b"]}
    assert t.root_causes(["web", "a", "db"]) == {"web": ["db"], "a": ["db"], "db": ["db"]}


def test_blast_radius_is_every_service_above() -> None:
    t = topo(DIAMOND)
    assert t.blast_radius("db") == ["auth", "cart", "web"]
    assert t.blast_radius("auth") == ["web"]
    assert t.blast_radius("web") == []


def test_health_flows_up_through_dependencies() -> None:
    t = topo(DIAMOND)
    h = t.health({"db": 0.5})
    assert h == {"db": 0.5, "auth": 0.5, "cart": 0.5, "web": 0.25}
    assert t.health({"db": 0.5}, floor={"auth": 0.9})["web"] == pytest.approx(0.45)
    assert t.health({"db": 0.5}, impact={"web": 0.5})["web"] == pytest.approx(0.5625)


@pytest.mark.parametrize(
    ("specs", "expected"),
    [
        ([ServiceSpec("a", ("b",))], "services[0].depends_on: unknown service 'b'"),
        ([ServiceSpec("a", ("a",))], "services[0].depends_on: 'a' depends on itself"),
        ([ServiceSpec("a"), ServiceSpec("a")], "services[1].name: 'a' is already defined at services[0]"),
    ],
)
def test_bad_graphs_are_refused_with_the_place_and_the_fix(specs: list[ServiceSpec], expected: str) -> None:
    with pytest.raises(TopologyError) as info:
        Topology.build(specs)
    assert str(info.value).startswith(expected)


def naive_root_causes(graph: nx.DiGraph, alerting: set[str]) -> dict[str, list[str]]:
    """The definition, with nx.ancestors: a root is an alerting service with no alerting
    service among its dependencies outside its own cycle; each maps to the roots below it."""
    sccs = {n: frozenset(c) for c in nx.strongly_connected_components(graph) for n in c}
    roots = {s for s in alerting if not any(d in alerting and d not in sccs[s] for d in nx.descendants(graph, s))}
    result: dict[str, list[str]] = {s: [] for s in alerting}
    for r in roots:
        for s in (nx.ancestors(graph, r) | sccs[r]) & alerting:
            result[s].append(r)
    return {s: sorted(v) for s, v in sorted(result.items())}


@st.composite
def graphs_and_alerts(draw: st.DrawFn) -> tuple[Topology, set[str]]:
    n = draw(st.integers(1, 14))
    names = [f"s{i}" for i in range(n)]
    edges = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=3 * n))
    deps: dict[str, list[str]] = {name: [] for name in names}
    for a, b in edges:
        if a != b and names[b] not in deps[names[a]]:
            deps[names[a]].append(names[b])
    alerting = draw(st.sets(st.sampled_from(names)))
    return topo(deps), alerting


@settings(max_examples=300, deadline=None)
@given(graphs_and_alerts())
def test_one_pass_root_cause_equals_the_naive_definition(case: tuple[Topology, set[str]]) -> None:
    t, alerting = case
    assert t.root_causes(alerting) == naive_root_causes(t.graph, alerting)


@st.composite
def graphs_alerts_and_marks(draw: st.DrawFn) -> tuple[Topology, set[str], set[str]]:
    t, alerting = draw(graphs_and_alerts())
    marked = draw(st.sets(st.sampled_from(t.services)))
    return t, alerting, marked


@settings(max_examples=300, deadline=None)
@given(graphs_alerts_and_marks())
def test_first_roots_are_the_lowest_bits_of_the_root_sets(case: tuple[Topology, set[str], set[str]]) -> None:
    # What the correlator asks of each batch, against the bitsets the naive test checks.
    t, alerting, marked = case
    mask = 0
    for service in marked:
        mask |= 1 << t.rank(service)
    expected: dict[str, tuple[int, int | None]] = {}
    for service, bits in t.root_bits(alerting).items():
        hit = bits & mask
        expected[service] = ((bits & -bits).bit_length() - 1, (hit & -hit).bit_length() - 1 if hit else None)
    assert t.first_roots(alerting, marked) == expected
    for service, (first, _) in expected.items():
        assert t.first_member(first) == t.roots_in(t.root_bits(alerting)[service])[0][0]


def test_first_roots_on_a_diamond_with_an_open_root() -> None:
    t = topo(DIAMOND)
    firsts = t.first_roots({"web", "auth", "db"}, marked={"db"})
    db = t.rank("db")
    assert firsts == {"web": (db, db), "auth": (db, db), "db": (db, db)}
    assert t.first_roots({"web", "cart"}, marked={"db"}) == {
        "web": (t.rank("cart"), None),
        "cart": (t.rank("cart"), None),
    }
