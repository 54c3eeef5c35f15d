"""Built-in reporters: ``report.md`` (Markdown) and ``eval.json`` (the eval document as JSON)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fmbench.io import atomic_write_text
from fmbench.plugin_system.hookspecs import hookimpl
from fmbench.plugin_system.specs import ReporterSpec


def write_json(result: Any, out_dir: Path) -> list[Path]:
    """The ``json`` reporter: ``eval.json``, the same content as ``eval.yaml``."""
    path = Path(out_dir) / "eval.json"
    atomic_write_text(
        path, json.dumps(result.document.to_dict(), indent=2, sort_keys=False, default=str)
    )
    return [path]


@hookimpl
def fmbench_reporters() -> Iterator[ReporterSpec]:
    yield ReporterSpec(
        name="markdown",
        summary="report.md, the human-readable report",
        write="fmbench.reporting.markdown:write_report",
    )
    yield ReporterSpec(
        name="json",
        summary="eval.json, the eval document as JSON",
        write="fmbench.builtin.reporters:write_json",
        default=False,
    )
