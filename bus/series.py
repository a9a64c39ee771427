"""The SLI series: every SLO's figures at every evaluation, as columns of floats.

SLI figures are state, not events: the monitor evaluates every SLO every ``sample_every``
and appends one row per SLO here (its SLI, the error budget left, the requests counted),
while the bus carries an ``SliReported`` only when a reader acts on it (see
``actors/monitor.py``). A row costs 12 bytes (the SLI, the budget and the requests as
float32) beside one shared float64 time per evaluation, where a traced message cost about
2.5 KB: a 30-day run of 40 SLOs at one evaluation a minute keeps about 21 MB. The monitor
rounds the SLI and the budget to 6 decimals; float32 keeps 24 bits, so :meth:`Series.samples`
gives them back exactly for any SLI and for a budget from -4 to 1 (beyond, an overspent
budget, to 6 significant digits).

The report, the gate, the postmortems and tests read it through :meth:`Series.samples`
(a list of :class:`Sample`, the figures an ``SliReported`` carried); the trace holds it
(``trace.series``), so a reader of a finished run finds both in one place.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from typing import NamedTuple

__all__ = ["Column", "Sample", "Series"]


class Sample(NamedTuple):
    """One SLO at one evaluation."""

    t: float
    slo: str
    service: str
    symptom: str
    objective: float
    sli: float
    budget_remaining: float
    requests: float


@dataclass
class Column:
    """One SLO's figures, one entry per evaluation since the SLO was declared."""

    slo: str
    service: str
    symptom: str
    objective: float
    #: the index in the shared time column of this SLO's first entry
    first: int
    sli: array[float] = field(default_factory=lambda: array("f"))
    budget: array[float] = field(default_factory=lambda: array("f"))
    requests: array[float] = field(default_factory=lambda: array("f"))

    def add(self, sli: float, budget: float, requests: float) -> None:
        """This SLO's row of the evaluation :meth:`Series.tick` began."""
        self.sli.append(sli)
        self.budget.append(budget)
        self.requests.append(requests)


class Series:
    """The columns of every SLO and the one time column they share."""

    def __init__(self) -> None:
        #: the virtual time of each evaluation
        self.times: array[float] = array("d")
        self.columns: list[Column] = []
        self._index: dict[str, int] = {}
        self._by_service: dict[str, list[Column]] = {}

    def declare(self, slo: str, service: str, symptom: str, objective: float) -> int:
        """The column of *slo* (made on first use; a monitor restarted keeps its columns)."""
        found = self._index.get(slo)
        if found is not None:
            return found
        column = Column(slo, service, symptom, objective, len(self.times))
        self._index[slo] = len(self.columns)
        self.columns.append(column)
        self._by_service.setdefault(service, []).append(column)
        return self._index[slo]

    def tick(self, t: float) -> None:
        """A new evaluation at *t*: then each SLO's :meth:`add` once."""
        self.times.append(t)

    def add(self, index: int, sli: float, budget: float, requests: float) -> None:
        self.columns[index].add(sli, budget, requests)

    def __len__(self) -> int:
        return len(self.times)

    @property
    def nbytes(self) -> int:
        """The bytes the columns hold (their arrays' payloads)."""
        size = self.times.itemsize * len(self.times)
        for c in self.columns:
            size += c.sli.itemsize * len(c.sli) + c.budget.itemsize * len(c.budget)
            size += c.requests.itemsize * len(c.requests)
        return size

    def samples(
        self,
        service: str | None = None,
        *,
        slo: str | None = None,
        since: float = float("-inf"),
        until: float = float("inf"),
    ) -> list[Sample]:
        """The rows with ``since <= t <= until``, of one service or one SLO (default all),
        in time order (SLOs of one evaluation in the order they were declared)."""
        columns = self.columns if service is None else self._by_service.get(service, [])
        if slo is not None:
            columns = [c for c in columns if c.slo == slo]
        times = self.times
        lo, hi = bisect_left(times, since), bisect_right(times, until)
        out: list[Sample] = []
        for i in range(lo, hi):
            t = times[i]
            for c in columns:
                k = i - c.first
                if 0 <= k < len(c.sli):
                    sli, budget, requests = round(c.sli[k], 6), round(c.budget[k], 6), c.requests[k]
                    out.append(Sample(t, c.slo, c.service, c.symptom, c.objective, sli, budget, requests))
        return out
