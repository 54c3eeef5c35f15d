"""Where ``fmbench run`` writes each suite's results.

* One ``--suite`` and ``--out DIR``: ``DIR/eval.yaml`` (the earlier project's layout).
* Several ``--suite`` and ``--out DIR``: one folder per suite, ``DIR/<suite>/eval.yaml``, so
  every ``eval.yaml`` is one suite's run (as the leaderboard and ``--resume`` expect) and
  ``fmbench build-leaderboard --results DIR`` finds them all.
* No ``--out``: ``results/<suite>-<model>-<UTC time>`` per suite (``-2``, ``-3``... when such a
  folder exists already).

Example:
    >>> import datetime as dt
    >>> now = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    >>> [str(p) for p in suite_out_dirs(["SUITE-A"], "m", None, now=now, root="results")]
    ['results/SUITE-A-m-20260102-030405']
    >>> [str(p) for p in suite_out_dirs(["SUITE-A", "SUITE-B"], "m", "out", now=now)]
    ['out/SUITE-A', 'out/SUITE-B']
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Sequence
from pathlib import Path

__all__ = ["DEFAULT_RESULTS_ROOT", "default_out_dir", "suite_out_dirs"]

#: The folder default output folders are made in (relative to the working folder).
DEFAULT_RESULTS_ROOT = "results"


def _part(text: str) -> str:
    """A safe folder-name part (ids are already safe; a suite file's name may not be)."""
    return re.sub(r"[^A-Za-z0-9_.\-]", "_", text).strip(".") or "run"


def default_out_dir(
    suite_id: str, model_id: str, *, now: _dt.datetime, root: str | Path = DEFAULT_RESULTS_ROOT
) -> Path:
    """``<root>/<suite>-<model>-<YYYYmmdd-HHMMSS>``, made unique with ``-2``, ``-3``..."""
    stamp = now.astimezone(_dt.timezone.utc).strftime("%Y%m%d-%H%M%S")
    base = Path(root) / f"{_part(suite_id)}-{_part(model_id)}-{stamp}"
    candidate, n = base, 1
    while candidate.exists():
        n += 1
        candidate = base.with_name(f"{base.name}-{n}")
    return candidate


def suite_out_dirs(
    suite_ids: Sequence[str],
    model_id: str,
    out: str | Path | None,
    *,
    now: _dt.datetime | None = None,
    root: str | Path = DEFAULT_RESULTS_ROOT,
) -> list[Path]:
    """The output folder of each suite (see the module docstring)."""
    if out is not None:
        if len(suite_ids) == 1:
            return [Path(out)]
        return [Path(out) / _part(s) for s in suite_ids]
    moment = now or _dt.datetime.now(_dt.timezone.utc)
    return [default_out_dir(s, model_id, now=moment, root=root) for s in suite_ids]
