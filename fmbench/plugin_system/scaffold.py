"""``fmbench plugins new``: a working, tested plugin package from a template.

The templates live in ``fmbench/templates/`` (package data): ``common/`` for every kind and one
folder per kind. In paths and text, ``__DIST__``, ``__MODULE__``, ``__SLUG__``, ``__UPPER__``,
``__CLASS__``, ``__TITLE__``, ``__KIND__``, ``__SUMMARY__``, ``__FMBENCH_RANGE__``,
``__USAGE__`` and ``__FILES__`` are replaced; the ``.tmpl`` suffix is dropped.

Example:
    >>> names = template_names("fmbench-acme-probes", "probe")
    >>> names["__MODULE__"], names["__SLUG__"], names["__FMBENCH_RANGE__"]
    ('fmbench_acme_probes', 'acme', '>=0.1,<0.2')
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from fmbench._version import __version__
from fmbench.errors import ConfigError

__all__ = ["KINDS", "scaffold", "template_names"]

#: kind -> (one-line summary, how to use it, the files to edit)
KINDS: dict[str, tuple[str, str, str]] = {
    "probe": (
        "robustness probes for fmbench",
        "```bash\nfmbench list-probes                # __SLUG___gain\n"
        "fmbench run-robustness --model my_config.yaml --data toy_data/neuro/fmri_classification"
        " \\\n    --probes __SLUG___gain --out results/robustness\n```",
        "- `__MODULE__/probes.py`: `perturb(x, level, rng, info)` functions.",
    ),
    "benchmark": (
        "a benchmark, its toy dataset and a suite for fmbench",
        "```bash\nfmbench generate-toy-data          # writes toy_data/__SLUG__/toy too\n"
        "fmbench run --suite SUITE-__UPPER__ --model my_config.yaml --out results/__SLUG__\n```",
        "- `__MODULE__/data.py`: the toy dataset generator.\n"
        "- `__MODULE__/definitions/`: benchmark and suite YAML files (package data).",
    ),
    "metric": (
        "a metric for fmbench",
        "```bash\nfmbench list-metrics               # __CLASS__MCC\n```\n\n"
        "Name it in a benchmark's `metrics: {primary: ..., secondary: [__CLASS__MCC]}`.",
        "- `__MODULE__/metrics.py`: `compute(y_true, y_score)` functions.",
    ),
    "adapter": (
        "a model adapter (model config type) for fmbench",
        "```bash\nfmbench list-adapters              # __SLUG___linear\n```\n\n"
        "A model config of this type:\n\n```yaml\nmodel_id: my_model\ntype: __SLUG___linear\n"
        "weights: path/to/weights.npz\n```",
        "- `__MODULE__/adapter.py`: `load(config) -> model`.",
    ),
    "reporter": (
        "a reporter (output format) for fmbench",
        "```bash\nfmbench plugins list               # reporters: __SLUG___csv\n```",
        "- `__MODULE__/report.py`: `write(result, out_dir) -> [paths]`.",
    ),
}

_DIST_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]*([-_.][A-Za-z0-9]+)*$")
_KIND_SUFFIXES = ("probes", "probe", "benchmarks", "benchmark", "tasks", "task", "metrics",
                  "metric", "adapters", "adapter", "reporters", "reporter", "plugin")  # fmt: skip


def _fmbench_range(version: str) -> str:
    """The range a new plugin declares: this minor series (0.x) or major series (>= 1)."""
    parts = [int(p) for p in re.findall(r"\d+", version)[:2]] + [0, 0]
    major, minor = parts[0], parts[1]
    if major == 0:
        return f">={major}.{minor},<{major}.{minor + 1}"
    return f">={major}.{minor},<{major + 1}"


def template_names(dist: str, kind: str) -> dict[str, str]:
    """The placeholder values for a distribution name and kind."""
    module = re.sub(r"[-.]+", "_", dist).lower()
    words = [w for w in re.split(r"[-_.]+", dist.lower()) if w]
    if len(words) > 1 and words[0] == "fmbench":
        words = words[1:]
    if len(words) > 1 and words[-1] in _KIND_SUFFIXES:
        words = words[:-1]
    slug = "_".join(words)
    summary, usage, files = KINDS[kind]
    names = {
        "__DIST__": dist,
        "__MODULE__": module,
        "__SLUG__": slug,
        "__UPPER__": "-".join(words).upper(),
        "__CLASS__": "".join(w.capitalize() for w in words),
        "__TITLE__": " ".join(w.capitalize() for w in words),
        "__KIND__": kind,
        "__FMBENCH_RANGE__": _fmbench_range(__version__),
    }
    names["__SUMMARY__"] = f"{names['__TITLE__']}: {summary}."
    names["__USAGE__"] = _fill(usage, names)
    names["__FILES__"] = _fill(files, names)
    return names


def _fill(text: str, names: dict[str, str]) -> str:
    for key in sorted(names, key=len, reverse=True):
        text = text.replace(key, names[key])
    return text


def _walk(folder: Traversable, prefix: str = "") -> Iterator[tuple[str, Traversable]]:
    for item in sorted(folder.iterdir(), key=lambda t: t.name):
        if item.name == "__pycache__":
            continue
        relative = f"{prefix}{item.name}"
        if item.is_dir():
            yield from _walk(item, relative + "/")
        elif item.name.endswith(".tmpl"):
            yield relative[: -len(".tmpl")], item


def scaffold(name: str, kind: str, parent: str | Path = ".") -> list[Path]:
    """Write a new plugin package ``parent/name`` of the given kind; return the files written.

    Raises:
        ConfigError: for a name that is not a valid distribution name, an unknown kind, or a
            target folder that exists and is not empty.
    """
    if kind not in KINDS:
        raise ConfigError(f"unknown plugin kind {kind!r}; choose one of {', '.join(KINDS)}")
    if not _DIST_NAME.match(name):
        raise ConfigError(
            f"plugin name {name!r} is not a valid distribution name; use letters, digits and "
            "single '-', e.g. fmbench-acme-probes"
        )
    names = template_names(name, kind)
    if not names["__SLUG__"].isidentifier() or not names["__MODULE__"].isidentifier():
        raise ConfigError(
            f"plugin name {name!r} must start with a letter after 'fmbench-', "
            "e.g. fmbench-acme-probes"
        )
    target = Path(parent) / name
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ConfigError(f"{target} already exists and is not empty; choose another name or --dir")
    root = resources.files("fmbench") / "templates"
    written: list[Path] = []
    for folder in ("common", kind):
        for relative, item in _walk(root / folder):
            path = target / _fill(relative, names)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(_fill(item.read_text(encoding="utf-8"), names), encoding="utf-8")
            written.append(path)
    return written
