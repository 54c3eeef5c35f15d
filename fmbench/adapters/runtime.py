"""What the adapters share: typed settings, paths, devices, precision, pooling, hashing, meters.

Nothing here imports torch at module level; functions that need it import it when called.

Example:
    >>> import numpy as np
    >>> pool(np.ones((2, 3, 4)), "mean", where="doc").shape
    (2, 4)
    >>> Settings({"batch_size": 8}, source="m.yaml", adapter="onnx").integer("batch_size", 32)
    8
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from fmbench.errors import ConfigError, ModelError

__all__ = [
    "DEVICE_HELP",
    "DTYPES",
    "POOLINGS",
    "ResourceMeter",
    "Settings",
    "pool",
    "resolve_torch_device",
    "sha256_file",
    "sub_batches",
    "torch_dtype",
]

#: How token-level outputs (n, tokens, dim) become one vector per sample.
POOLINGS = ("mean", "cls", "flatten", "none")
#: Precision choices; ``None`` (the default) keeps the weights' float32.
DTYPES = ("float32", "float16", "bfloat16")
DEVICE_HELP = "cpu, cuda, cuda:N, mps or auto (cuda when available, else cpu)"


@attrs.define
class Settings:
    """Typed access to an adapter's config keys, with one-line errors naming the file."""

    values: Mapping[str, Any]
    source: str
    adapter: str

    def _fail(self, key: str, message: str) -> ConfigError:
        return ConfigError(f"model config {self.source} (type {self.adapter}): {key}: {message}")

    def has(self, key: str) -> bool:
        return self.values.get(key) is not None

    def string(self, key: str, default: str | None = None) -> str | None:
        value = self.values.get(key, default)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self._fail(key, f"expected a non-empty string, got {value!r}")
        return value

    def required(self, key: str, example: str) -> str:
        value = self.string(key)
        if value is None:
            raise self._fail(key, f"required (e.g. {key}: {example})")
        return value

    def integer(self, key: str, default: int, *, minimum: int = 1) -> int:
        value = self.values.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self._fail(key, f"expected an integer >= {minimum}, got {value!r}")
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self.values.get(key, default)
        if not isinstance(value, bool):
            raise self._fail(key, f"expected true or false, got {value!r}")
        return value

    def choice(self, key: str, choices: tuple[str, ...], default: str | None) -> str | None:
        value = self.values.get(key, default)
        if value is None:
            return None
        if value not in choices:
            raise self._fail(key, f"expected one of {', '.join(choices)}, got {value!r}")
        return str(value)

    def mapping(self, key: str) -> dict[str, Any]:
        value = self.values.get(key) or {}
        if not isinstance(value, Mapping):
            raise self._fail(key, f"expected a mapping, got {type(value).__name__}")
        return dict(value)

    def shape(self, key: str) -> tuple[int, ...] | None:
        value = self.values.get(key)
        if value is None:
            return None
        if not isinstance(value, (list, tuple)) or not all(
            isinstance(v, int) and not isinstance(v, bool) and (v > 0 or v == -1) for v in value
        ):
            raise self._fail(key, f"expected a list of positive integers (or -1), got {value!r}")
        return tuple(value)

    def path(self, key: str, *, must_exist: bool = True, kind: str = "file") -> Path | None:
        """A path; relative ones are taken from the config file's folder."""
        value = self.string(key)
        if value is None:
            return None
        path = Path(os.path.expanduser(value))
        if not path.is_absolute():
            base = Path(self.source).parent if self.source and Path(self.source).exists() else None
            path = (base or Path.cwd()) / path
        if must_exist and not path.exists():
            raise ModelError(
                f"model config {self.source}: {key}: {kind} not found: {path} (a relative path "
                "is read from the config file's folder); the model is not run without it"
            )
        return path


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file, read in chunks (memory-bounded)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_files(paths: list[Path], root: Path) -> str:
    """One SHA-256 over several files (names relative to ``root`` and contents)."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(sha256_file(path).encode())
    return digest.hexdigest()


def resolve_torch_device(spec: str, *, source: str) -> str:
    """Turn ``device:`` into a torch device string; never falls back silently.

    ``auto`` picks ``cuda`` when torch sees a GPU, else ``cpu``. Asking for a device that is
    not there is an error, not a quiet run on the CPU.
    """
    import torch

    spec = spec.strip().lower()
    if spec == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if spec == "cpu":
        return "cpu"
    if spec == "mps":
        if not torch.backends.mps.is_available():
            raise ModelError(f"model config {source}: device mps is not available here")
        return "mps"
    if spec == "cuda" or spec.startswith("cuda:"):
        if not torch.cuda.is_available():
            raise ModelError(
                f"model config {source}: device {spec} asked for, but torch sees no CUDA GPU "
                "(use device: cpu or auto)"
            )
        if ":" in spec:
            index = spec.split(":", 1)[1]
            if not index.isdigit() or int(index) >= torch.cuda.device_count():
                raise ModelError(
                    f"model config {source}: device {spec}: this machine has "
                    f"{torch.cuda.device_count()} CUDA device(s)"
                )
        return spec
    raise ConfigError(f"model config {source}: device {spec!r}: expected {DEVICE_HELP}")


def torch_dtype(name: str | None) -> Any:
    """The torch dtype for ``dtype:`` (None keeps float32)."""
    import torch

    return {None: torch.float32, "float32": torch.float32, "float16": torch.float16}.get(
        name, torch.bfloat16
    )


def sub_batches(n: int, batch_size: int) -> Iterator[slice]:
    """Slices of at most ``batch_size`` rows covering ``range(n)``."""
    for start in range(0, n, batch_size):
        yield slice(start, min(start + batch_size, n))


def pool(output: np.ndarray, pooling: str, *, where: str) -> np.ndarray:
    """One vector per sample from a model output of shape (n, ...).

    - ``mean``: average over the token axis of (n, tokens, dim); (n, dim) passes through;
    - ``cls``: the first token of (n, tokens, dim); (n, dim) passes through;
    - ``flatten``: (n, ...) -> (n, prod(...));
    - ``none``: the output must already be (n, dim).
    """
    if output.ndim < 2:
        raise ModelError(f"{where}: output has shape {output.shape}; expected (n, ...) per sample")
    if pooling == "flatten":
        return output.reshape(output.shape[0], -1)
    if output.ndim == 2:
        return output
    if pooling == "none":
        raise ModelError(
            f"{where}: output has shape {output.shape} but pooling is none; choose pooling: "
            "mean, cls or flatten"
        )
    if output.ndim != 3:
        raise ModelError(
            f"{where}: pooling {pooling} expects (n, tokens, dim), got {output.shape}; use "
            "pooling: flatten"
        )
    return output.mean(axis=1) if pooling == "mean" else output[:, 0, :]


def _device_peak_mb(device: str) -> float | None:
    if not device.startswith("cuda"):
        return None
    import torch

    return round(torch.cuda.max_memory_allocated(torch.device(device)) / 2**20, 1)


@attrs.define
class ResourceMeter:
    """Time spent in the model, samples seen, and peak memory (host; device on CUDA)."""

    device: str = "cpu"
    load_s: float = 0.0
    forward_s: float = 0.0
    samples: int = 0
    batches: int = 0

    def timed(self, n: int) -> _Timer:
        return _Timer(self, n)

    def report(self) -> dict[str, Any]:
        from fmbench.resource_usage import peak_rss_mb

        return {
            "load_s": round(self.load_s, 4),
            "forward_s": round(self.forward_s, 4),
            "samples": self.samples,
            "batches": self.batches,
            "samples_per_s": round(self.samples / self.forward_s, 1) if self.forward_s else None,
            "peak_rss_mb": peak_rss_mb(),
            "peak_device_memory_mb": _device_peak_mb(self.device),
        }


@attrs.define
class _Timer:
    meter: ResourceMeter
    n: int
    start: float = 0.0

    def __enter__(self) -> None:
        self.start = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self.meter.forward_s += time.perf_counter() - self.start
        self.meter.samples += self.n
        self.meter.batches += 1


def source_sha256(obj: Any) -> str | None:
    """SHA-256 of the source file that defines ``obj`` (None where there is none)."""
    import inspect

    try:
        path = inspect.getsourcefile(obj)
    except TypeError:
        return None
    if not path or not Path(path).is_file():
        return None
    return sha256_file(Path(path))


def require_modules(modules: tuple[str, ...], *, extra: str, adapter: str) -> None:
    """Fail with the pip command when an adapter's libraries are not installed."""
    import importlib.util

    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise ModelError(
            f"model adapter {adapter!r} needs {', '.join(missing)}, which is not installed: "
            f"pip install 'fmbench-core[{extra}]'"
        )


_COMMIT = re.compile(r"^[0-9a-f]{40}$")


def is_commit(revision: Any) -> bool:
    """Is ``revision`` a full commit hash (so the weights it names cannot move)?"""
    return isinstance(revision, str) and bool(_COMMIT.match(revision))


def writable(array: np.ndarray) -> np.ndarray:
    """A contiguous, writable array (torch refuses to share read-only memory-mapped data)."""
    array = np.ascontiguousarray(array)
    return array if array.flags.writeable else array.copy()
