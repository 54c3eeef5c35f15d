"""What ``run --resume`` may keep: the same run only, and of it only units that are still true.

Two checks, both before anything runs:

- **The run.** An output folder holds one run: its suite, model and the options that make it
  that experiment (seed, ``--dataset``, ``--protocol``). :func:`check_resume_target` refuses to
  resume into a folder holding another run, with one line saying what is there and what to do;
  nothing in the folder is touched then.
- **Each unit.** A finished benchmark is replayed from the journal only when everything that
  determined its result is unchanged: :func:`unit_parts` lists them (fmbench and plugin
  versions, the benchmark and suite definitions, the dataset and its root, the model config,
  the model's code as :func:`fmbench.models.code_hash.model_code_sha256` hashes it, its weights as
  the model states them or as files its config names, and the options). The dataset's content
  hash is compared too, when the unit would be replayed. :func:`change_reason` names what
  changed, for the line on stderr and ``run_metadata.execution.rerun_units``.

Example:
    >>> old = {"fmbench": "0.1", "options": {"seed": 1}}
    >>> change_reason(old, {"fmbench": "0.2", "options": {"seed": 2}})
    'fmbench version changed (0.1 -> 0.2); options changed (seed 1 -> 2)'
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from fmbench._version import __version__
from fmbench.errors import FmbenchError, ResultsError
from fmbench.running.journal import RunJournal, fingerprint

if TYPE_CHECKING:
    from fmbench.models.config import ModelConfig
    from fmbench.models.handle import ModelHandle
    from fmbench.running.suite_run import BenchmarkUnit

__all__ = [
    "RunIdentity",
    "change_reason",
    "check_resume_target",
    "folder_identity",
    "model_fingerprint",
    "unit_parts",
]


@attrs.frozen(kw_only=True)
class RunIdentity:
    """Which run an output folder holds: the command, suite, model and defining options.

    ``dataset`` and ``protocol`` are the ``--dataset`` and ``--protocol`` overrides (None: the
    suite's own).
    """

    command: str = "run"
    suite_id: str | None = None
    model_id: str | None = None
    seed: int | None = None
    dataset: str | None = None
    protocol: str | None = None
    #: False when read from an ``eval.yaml``, which does not record --dataset or --protocol
    complete: bool = True

    def describe(self) -> str:
        """``suite SUITE-X, model m, seed 42``, for messages."""
        what = f"suite {self.suite_id}" if self.command == "run" else f"a {self.command} result"
        extras = [f"{name} {value}" for name, value in self._options().items() if value is not None]
        return ", ".join([what, f"model {self.model_id}", *extras])

    def _options(self) -> dict[str, Any]:
        return {"seed": self.seed, "dataset": self.dataset, "protocol": self.protocol}

    def differs_from(self, other: RunIdentity) -> list[str]:
        """The fields that differ (``--dataset``/``--protocol`` only where both know them)."""
        names = ["command", "suite_id", "model_id", "seed"]
        if self.complete and other.complete:
            names += ["dataset", "protocol"]
        return [n for n in names if getattr(self, n) != getattr(other, n)]

    def to_json(self) -> dict[str, Any]:
        return attrs.asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RunIdentity:
        fields = {f.name for f in attrs.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in fields})


def _identity_from_eval(path: Path) -> RunIdentity:
    from fmbench.results.eval_file import read_eval

    try:
        doc = read_eval(path)
    except FmbenchError as exc:
        raise ResultsError(
            f"{path} cannot be read ({exc}); --resume continues only the run a folder holds: "
            "pass --overwrite to replace it, or choose another --out"
        ) from None
    meta = doc.get("run_metadata") or {}
    models = doc.get("model_ids") or {}
    return RunIdentity(
        command=str(meta.get("command_name") or "run"),
        suite_id=meta.get("suite_id"),
        model_id=models.get("candidate") if isinstance(models, Mapping) else None,
        seed=meta.get("seed"),
        complete=False,
    )


def folder_identity(out_dir: Path) -> RunIdentity | None:
    """The run ``out_dir`` holds: from ``.fmbench/run.json`` (also for an unfinished run),
    else from its ``eval.yaml``; None when it holds neither."""
    recorded = RunJournal(out_dir).run_identity()
    if recorded is not None:
        return RunIdentity.from_json(recorded)
    if (out_dir / "eval.yaml").is_file():
        return _identity_from_eval(out_dir / "eval.yaml")
    return None


def check_resume_target(out_dir: Path, wanted: RunIdentity) -> None:
    """Refuse ``--resume`` into a folder that holds another run (one line, nothing changed)."""
    held = folder_identity(out_dir)
    if held is None:
        return
    differing = held.differs_from(wanted)
    if differing:
        raise ResultsError(
            f"{out_dir} holds another run ({held.describe()}), not this one "
            f"({wanted.describe()}): --resume continues only the same run; pass --overwrite "
            "to replace it, or choose another --out"
        )


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _named_files(config: ModelConfig) -> dict[str, str]:
    """Files the model config names (any setting whose text is an existing file, read from
    the config's folder, then the working folder): ``{setting: sha256}``."""
    bases = [Path(config.source).parent] if config.source else []
    bases.append(Path.cwd())
    found: dict[str, str] = {}

    def visit(where: str, value: Any) -> None:
        if isinstance(value, Mapping):
            for key, item in value.items():
                visit(f"{where}.{key}" if where else str(key), item)
        elif isinstance(value, (list, tuple)):
            for index, item in enumerate(value):
                visit(f"{where}[{index}]", item)
        elif isinstance(value, str) and where != "import_path" and 0 < len(value) < 4096:
            for base in bases:
                path = base / os.path.expanduser(value)
                if path.is_file():
                    found[where] = _file_sha256(path)
                    break

    visit("", dict(config.settings))
    return found


def model_fingerprint(model: ModelHandle) -> dict[str, Any]:
    """The model's code and weights as a resumed unit compares them.

    ``code``: :func:`fmbench.models.code_hash.model_code_sha256`, the same hash the embedding
    cache's key holds. ``weights``: what the model states in ``describe()`` (the cache's
    identity keys: ``weights_sha256``, a pinned revision...); when it states no weights, the
    content hash of each file its config names.
    """
    from fmbench.models.code_hash import model_code_sha256
    from fmbench.models.embedding_cache import IDENTITY_KEYS

    described = model.describe()
    weights: dict[str, Any] = {
        key: described[key] for key in IDENTITY_KEYS if described.get(key) is not None
    }
    if not (weights.get("weights_sha256") or weights.get("resolved_revision")):
        weights["files"] = _named_files(model.config)
    return {"code": model_code_sha256(model), "weights": weights}


def unit_parts(
    unit: BenchmarkUnit,
    *,
    plugin_versions: Mapping[str, str],
    model: Mapping[str, Any],
    suite_sha256: str | None,
) -> dict[str, Any]:
    """Everything that determines a unit's result, by name (the journal key is their hash)."""
    o = unit.options
    options: dict[str, Any] = {
        "seed": o.seed,
        "batch_size": o.batch_size,
        "protocol": o.protocol,
        "n_resamples": o.n_resamples,
    }
    if o.limit is not None:  # only when set: journals of full runs keep their keys
        options["limit"] = o.limit
    return {
        "fmbench": __version__,
        "plugins": dict(sorted(plugin_versions.items())),
        "benchmark": fingerprint(attrs.asdict(unit.benchmark)),
        "suite": suite_sha256,
        "data": {"dataset": unit.dataset_name, "data_root": o.data_root},
        "model_config": unit.model_config.sha256,
        "model_code": dict(model.get("code", {})),
        "weights": dict(model.get("weights", {})),
        "options": options,
    }


def _changed_keys(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    return sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))


def _describe_change(name: str, old: Any, new: Any) -> str:
    if name == "fmbench":
        return f"fmbench version changed ({old} -> {new})"
    if name == "plugins":
        old, new = old or {}, new or {}
        names = ", ".join(
            f"{p} {old.get(p, 'absent')} -> {new.get(p, 'absent')}" for p in _changed_keys(old, new)
        )
        return f"plugin versions changed ({names})"
    if name == "model_code":
        return f"model code changed ({', '.join(_changed_keys(old or {}, new or {}))})"
    if name == "weights":
        return "model weights changed"
    if name == "model_config":
        return "model config changed"
    if name == "benchmark":
        return "benchmark definition changed"
    if name == "suite":
        return "suite definition changed"
    if name == "data":
        old, new = old or {}, new or {}
        if old.get("dataset") != new.get("dataset"):
            return f"dataset changed ({old.get('dataset')} -> {new.get('dataset')})"
        return "data root changed"  # paths are not written into eval.yaml
    if name == "options":
        old, new = old or {}, new or {}
        changes = ", ".join(f"{k} {old.get(k)} -> {new.get(k)}" for k in _changed_keys(old, new))
        return f"options changed ({changes})"
    return f"{name} changed"


def change_reason(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> str:
    """What differs between a journaled unit's parts and this run's, in words."""
    if not old:
        return (
            "its journal entry comes from an older fmbench that did not record what it depends on"
        )
    changed = _changed_keys(old, new)
    order = list(new)
    changed.sort(key=lambda k: order.index(k) if k in order else len(order))
    return "; ".join(_describe_change(k, old.get(k), new.get(k)) for k in changed) or (
        "its journal entry does not match"
    )
