"""``fmbench run --benchmarks ID,...``: run only some benchmarks of the chosen suites.

Example:
    >>> from fmbench.plugin_system.specs import SuiteEntry, SuiteSpec
    >>> suite = SuiteSpec(name="SUITE-X", summary="x",
    ...                   benchmarks=(SuiteEntry(benchmark="BM-A"), SuiteEntry(benchmark="BM-B")))
    >>> [e.benchmark for e in select_benchmarks(suite, ["BM-B"]).benchmarks]
    ['BM-B']
    >>> check_selection([suite], ["other"])
    Traceback (most recent call last):
    ...
    fmbench.errors.ConfigError: unknown benchmark 'other' in --benchmarks: SUITE-X has BM-A, BM-B
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

import attrs

from fmbench.errors import ConfigError
from fmbench.plugin_system.specs import SuiteSpec

__all__ = ["check_selection", "parse_benchmark_ids", "select_benchmarks"]


def parse_benchmark_ids(text: str | None) -> tuple[str, ...] | None:
    """``"BM-A, BM-B"`` -> ``("BM-A", "BM-B")``; None or empty -> None (every benchmark).

    Example:
        >>> parse_benchmark_ids("BM-A, BM-B,,BM-A")
        ('BM-A', 'BM-B')
    """
    if text is None:
        return None
    ids = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    return ids or None


def check_selection(suites: Sequence[SuiteSpec], ids: Sequence[str]) -> None:
    """Raise a one-line :class:`~fmbench.errors.ConfigError` for an id that no suite holds."""
    known = list(dict.fromkeys(e.benchmark for s in suites for e in s.benchmarks))
    for bid in ids:
        if bid in known:
            continue
        close = difflib.get_close_matches(bid, known, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        holders = "; ".join(
            f"{s.name} has {', '.join(e.benchmark for e in s.benchmarks)}" for s in suites
        )
        raise ConfigError(f"unknown benchmark '{bid}' in --benchmarks{hint}: {holders}")


def select_benchmarks(suite: SuiteSpec, ids: Sequence[str] | None) -> SuiteSpec:
    """``suite`` with only the benchmarks in ``ids`` (in the suite's order); the suite
    itself when ``ids`` is None. An id the suite lacks is an error (see
    :func:`check_selection`)."""
    if ids is None:
        return suite
    check_selection([suite], ids)
    kept = tuple(e for e in suite.benchmarks if e.benchmark in set(ids))
    return attrs.evolve(suite, benchmarks=kept)
