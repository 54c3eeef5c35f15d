"""Machine-readable outputs: ``leaderboard.json``, ``leaderboard.csv``, and the eval files.

The eval files the pages link to (each row's shown run, and runs not ranked) are copied byte
for byte into ``evals/<sha256>.yaml`` beside the pages, so every link points to a file that
exists; other runs are named in ``leaderboard.json`` by their original path (and ``mkdocs build --strict`` can check it). The
copy is named by the file's content digest, never by an id taken from the file.

Example:
    >>> csv_cell("=1+1")
    "'=1+1"
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

from fmbench._version import __version__
from fmbench.io import atomic_write_text
from fmbench.leaderboard.rank import RULES, Board, Entry, Leaderboard, Row

__all__ = [
    "CSV_COLUMNS",
    "EVALS_FOLDER",
    "copy_eval_files",
    "csv_cell",
    "eval_link",
    "leaderboard_dict",
    "render_csv",
    "render_json",
    "write_text",
]

EVALS_FOLDER = "evals"
_DIGEST = re.compile(r"^[0-9a-f]{64}$")
_COPY_NAME = re.compile(r"^[0-9a-f]{64}\.yaml$")


def eval_link(entry: Entry) -> str:
    """The relative link to the copy of an entry's eval file (checked: hex digest only)."""
    digest = entry.digest
    if not _DIGEST.match(digest):  # the schema guarantees this; never trust it for a path
        raise ValueError(f"not a sha256 digest: {digest[:80]!r}")
    return f"{EVALS_FOLDER}/{digest}.yaml"


def _entry_dict(entry: Entry, *, linked: bool = True) -> dict[str, Any]:
    return {
        "model_id": entry.model_id,
        "baseline": entry.baseline,
        "signed_by": entry.source.signed_by,
        "value": entry.value,
        "interval": list(entry.interval) if entry.interval else None,
        "interval_method": entry.interval_method,
        "metrics": entry.metrics,
        "metrics_undefined": entry.undefined,
        "worst_group": entry.worst_group,
        "robustness": entry.robustness,
        "robustness_set": entry.robustness_set,
        "ms_per_sample": entry.ms_per_sample,
        "peak_memory_mb": entry.peak_memory_mb,
        "date": entry.date,
        "started_at": entry.started_at,
        "fmbench_version": entry.fmbench_version,
        "eval_id": entry.eval_id,
        "digest": entry.digest,
        "eval_file": entry.source.display,
        "eval_copy": eval_link(entry) if linked else None,
        "warnings": [f.message for f in entry.source.findings if f.severity == "warning"],
    }


def _row_dict(row: Row) -> dict[str, Any]:
    return {
        "rank": row.rank,
        "rank_range": list(row.rank_range),
        "versus_above": row.versus_above.as_dict() if row.versus_above is not None else None,
        "chosen": "latest run" if row.other_runs else "only run",
        "n_runs": row.n_runs,
        "value_range": list(row.value_range) if row.value_range is not None else None,
        **_entry_dict(row.entry),
        "other_runs": [_entry_dict(e, linked=False) for e in row.other_runs],
    }


def _board_dict(board: Board) -> dict[str, Any]:
    return {
        "benchmark_id": board.benchmark_id,
        "benchmark_version": board.benchmark_version,
        "title": board.title,
        "health_domain": board.domain,
        "modality": board.modality,
        "input_modality": board.input_modality,
        "known_benchmark": board.known,
        "primary_metric": board.primary,
        "direction": board.direction,
        "robustness_sets": {label: value for value, label in board.robustness_sets.items()},
        "rows": [_row_dict(r) for r in board.rows],
        "unranked": [{**_entry_dict(e), "reason": e.unranked} for e in board.unranked],
    }


def leaderboard_dict(board: Leaderboard) -> dict[str, Any]:
    """Everything the pages show, and the runs they do not, as plain data."""
    return {
        "generator": f"fmbench {__version__} build-leaderboard",
        "rules": list(RULES),
        "n_files": board.n_files,
        "boards": [_board_dict(b) for b in board.boards],
        "rejected": [
            {"file": r.display, "kind": r.kind, "reasons": list(r.reasons)} for r in board.rejected
        ],
    }


def render_json(board: Leaderboard) -> str:
    """Stable, compact JSON (sorted keys, no NaN: every number was checked to be finite).

    Compact because indenting makes ``json`` use its pure-Python encoder, several times
    slower on a large leaderboard; ``python -m json.tool`` shows it indented.
    """
    data = leaderboard_dict(board)
    return json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False) + "\n"


def csv_cell(value: Any) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    if text[:1] in {"=", "+", "-", "@", "\t", "\r"} and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


CSV_COLUMNS = (
    "benchmark_id", "benchmark_version", "health_domain", "modality", "shown", "rank",
    "rank_lo", "rank_hi", "versus_above", "versus_above_p_holm", "n_runs", "model_id",
    "baseline", "primary_metric", "direction",
    "value", "ci_lo", "ci_hi", "interval_method", "robustness_score", "robustness_set",
    "ms_per_sample", "peak_memory_mb", "date", "fmbench_version", "eval_id", "digest",
    "eval_file", "signed_by",
)  # fmt: skip


def _csv_row(board: Board, entry: Entry, row: Row | None, shown: str) -> list[str]:
    lo, hi = entry.interval if entry.interval else (None, None)
    versus = row.versus_above if row else None
    values = [
        board.benchmark_id, board.benchmark_version, board.domain, board.modality, shown,
        row.rank if row else None, row.rank_range[0] if row else None,
        row.rank_range[1] if row else None, versus.text() if versus else None,
        versus.p_holm if versus else None, row.n_runs if row else None, entry.model_id,
        entry.baseline, board.primary, board.direction, entry.value, lo, hi,
        entry.interval_method, entry.robustness.get("score"), entry.robustness_set,
        entry.ms_per_sample, entry.peak_memory_mb, entry.date,
        entry.fmbench_version, entry.eval_id, entry.digest, entry.source.display,
        entry.source.signed_by,
    ]  # fmt: skip
    return [csv_cell(v) for v in values]


def render_csv(board: Leaderboard) -> str:
    """One line per run: shown (its model's latest), other (another run), unranked."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for b in board.boards:
        for row in b.rows:
            writer.writerow(_csv_row(b, row.entry, row, "latest"))
            for other in row.other_runs:
                writer.writerow(_csv_row(b, other, None, "other"))
        for entry in b.unranked:
            writer.writerow(_csv_row(b, entry, None, "unranked"))
    return out.getvalue()


def _shown_entries(board: Leaderboard) -> list[Entry]:
    """The runs the pages link to: each row's shown run and the unranked ones."""
    entries: dict[str, Entry] = {}
    for b in board.boards:
        for row in b.rows:
            entries.setdefault(row.entry.digest, row.entry)
        for e in b.unranked:
            entries.setdefault(e.digest, e)
    return [entries[k] for k in sorted(entries)]


def copy_eval_files(board: Leaderboard, out_dir: Path) -> int:
    """Copy each linked eval file to ``out_dir/evals/<sha256>.yaml``; drop stale copies."""
    folder = out_dir / EVALS_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    wanted = set()
    for entry in _shown_entries(board):
        target = out_dir / eval_link(entry)
        wanted.add(target.name)
        data = entry.source.path.read_bytes()
        if not target.exists() or target.read_bytes() != data:
            tmp = target.with_suffix(".tmp")
            tmp.write_bytes(data)
            tmp.replace(target)
    for old in folder.iterdir():  # only our own copies (digest names) are ever removed
        if _COPY_NAME.match(old.name) and old.name not in wanted and old.is_file():
            old.unlink()
    return len(wanted)


def write_text(path: Path, text: str) -> None:
    atomic_write_text(path, text)
