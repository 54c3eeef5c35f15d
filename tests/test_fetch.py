"""Fetching declared sources from a local HTTP server: download, resume, checksums, offline."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from fmbench.data import fetch
from fmbench.errors import ConfigError, DataError
from fmbench.models import weights as model_weights
from fmbench.plugin_system.specs import DatasetSpec, Source
from fmbench.testing_http import LocalFileServer

pytest.importorskip("pooch", reason="fetching needs pooch (pip install 'fmbench-core[fetch]')")


def _real_data() -> Path:
    """``$FMBENCH_REAL_DATA``, else ``shared/data/real`` in a folder above this file."""
    if os.environ.get("FMBENCH_REAL_DATA"):
        return Path(os.environ["FMBENCH_REAL_DATA"])
    for parent in Path(__file__).resolve().parents:
        if (parent / "shared" / "data" / "real").is_dir():
            return parent / "shared" / "data" / "real"
    return Path("shared/data/real")


REAL = _real_data()
PBMC = "10x_pbmc68k_reduced.h5ad"
PBMC_SHA256 = "e71d41e737c941559b7c57c9243bdb3d2c889c2adfdf00e3422ac6b46783676f"
PBMC_URL = (
    "https://raw.githubusercontent.com/scverse/scanpy/1.11.5/src/scanpy/datasets/"
    "10x_pbmc68k_reduced.h5ad"
)


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("FMBENCH_DATA", str(folder))
    monkeypatch.delenv("FMBENCH_OFFLINE", raising=False)
    monkeypatch.delenv("FMBENCH_MIRROR", raising=False)
    return folder


@pytest.fixture
def www(tmp_path: Path):
    root = tmp_path / "www"
    root.mkdir()
    with LocalFileServer(root) as server:
        yield server


def publish(server: LocalFileServer, url: str, data: bytes) -> None:
    """Put ``data`` where the mirror serves ``url``."""
    target = server.root / url.split("://", 1)[1]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)


def spec_for(*sources: Source, name: str = "DS-T", **kw: object) -> DatasetSpec:
    return DatasetSpec(
        name=name, summary="t", load="fmbench.data.dataset:load_array_folder", sources=sources, **kw
    )


BLOB = bytes(range(256)) * 400  # 100 KB
BLOB_URL = "https://data.example.org/v1/blob.bin"


def blob_source(**kw: object) -> Source:
    return Source(url=BLOB_URL, hash=hashlib.sha256(BLOB).hexdigest(), size=len(BLOB), **kw)


def test_source_validates_hash_and_url():
    with pytest.raises(ValueError, match="sha256 hex digest"):
        Source(url="https://x.org/a", hash="abc")
    with pytest.raises(ValueError, match="http"):
        Source(url="ftp://x.org/a", hash="0" * 64)
    assert Source(url="https://x.org/a", hash="sha1:" + "a" * 40).hash.startswith("sha1:")
    assert Source(url="https://x.org/d/a.tar.gz?x=1", hash="0" * 64).name == "a.tar.gz"
    with pytest.raises(ValueError, match="plain file name"):
        Source(url="https://x.org/a", hash="0" * 64, filename="../a")


def test_download_verifies_and_caches(cache: Path, www: LocalFileServer, monkeypatch):
    publish(www, BLOB_URL, BLOB)
    monkeypatch.setenv("FMBENCH_MIRROR", www.url)
    spec = spec_for(blob_source())
    assert fetch.dataset_status(spec) == "not cached"
    path = fetch.fetch_dataset(spec, progress=False)
    assert path == cache / "DS-T" / "1" / "downloads" / "blob.bin"
    assert path.read_bytes() == BLOB
    assert fetch.dataset_status(spec) == "cached"
    assert www.requests == [("data.example.org/v1/blob.bin", None)]
    fetch.fetch_dataset(spec, progress=False)  # cached: no second request
    assert len(www.requests) == 1


def test_resume_after_a_cut_transfer(cache: Path, www: LocalFileServer, monkeypatch):
    publish(www, BLOB_URL, BLOB)
    monkeypatch.setenv("FMBENCH_MIRROR", www.url)
    www.cut_after["data.example.org/v1/blob.bin"] = 30_000
    spec = spec_for(blob_source())
    with pytest.raises(DataError, match="run the command again to resume"):
        fetch.fetch_dataset(spec, progress=False)
    part = fetch.source_path(spec, spec.sources[0]).with_name("blob.bin.part")
    assert 0 < part.stat().st_size <= 30_000
    assert fetch.dataset_status(spec) == "partly cached"
    kept = part.stat().st_size
    path = fetch.fetch_dataset(spec, progress=False)
    assert path.read_bytes() == BLOB
    assert www.requests[-1] == ("data.example.org/v1/blob.bin", f"bytes={kept}-")
    assert not part.exists()


def test_server_without_ranges_gets_the_whole_file_again(cache, www, monkeypatch):
    publish(www, BLOB_URL, BLOB)
    monkeypatch.setenv("FMBENCH_MIRROR", www.url)
    spec = spec_for(blob_source())
    part = fetch.source_path(spec, spec.sources[0]).with_name("blob.bin.part")
    part.parent.mkdir(parents=True)
    part.write_bytes(b"garbage that is not the start of the file")
    www.ignore_range = True
    assert fetch.fetch_dataset(spec, progress=False).read_bytes() == BLOB


def test_checksum_mismatch_deletes_and_names_both_hashes(cache, www, monkeypatch):
    publish(www, BLOB_URL, BLOB[:-1] + b"X")
    monkeypatch.setenv("FMBENCH_MIRROR", www.url)
    spec = spec_for(blob_source())
    actual = hashlib.sha256(BLOB[:-1] + b"X").hexdigest()
    with pytest.raises(DataError) as info:
        fetch.fetch_dataset(spec, progress=False)
    message = str(info.value)
    assert "checksum mismatch" in message
    assert www.url + "data.example.org/v1/blob.bin" in message
    assert spec.sources[0].hash in message and f"sha256:{actual}" in message
    downloads = cache / "DS-T" / "1" / "downloads"
    assert not [p for p in downloads.iterdir() if not p.name.startswith(".")]


def test_md5_hashes_as_published_upstream(cache, www, monkeypatch):
    publish(www, BLOB_URL, BLOB)
    monkeypatch.setenv("FMBENCH_MIRROR", www.url)
    spec = spec_for(Source(url=BLOB_URL, hash="md5:" + hashlib.md5(BLOB).hexdigest()))  # noqa: S324
    assert fetch.fetch_dataset(spec, progress=False).read_bytes() == BLOB


def test_mirror_list_is_tried_in_order(cache, www, monkeypatch):
    monkeypatch.setenv("FMBENCH_MIRROR", www.url)
    other = "https://backup.example.net/blob.bin"
    publish(www, other, BLOB)  # the primary URL is absent (404)
    spec = spec_for(blob_source(mirrors=(other,)))
    assert fetch.fetch_dataset(spec, progress=False).read_bytes() == BLOB
    assert [r[0] for r in www.requests] == [
        "data.example.org/v1/blob.bin",
        "backup.example.net/blob.bin",
    ]


def test_offline_fails_fast_with_url_and_path(cache, www, monkeypatch):
    publish(www, BLOB_URL, BLOB)
    monkeypatch.setenv("FMBENCH_OFFLINE", "1")
    spec = spec_for(blob_source())
    with pytest.raises(DataError) as info:
        fetch.fetch_dataset(spec, progress=False)
    expected_path = cache / "DS-T" / "1" / "downloads" / "blob.bin"
    assert BLOB_URL in str(info.value) and str(expected_path) in str(info.value)
    assert www.requests == []
    # a file placed by hand with the right hash is accepted, still offline
    expected_path.parent.mkdir(parents=True)
    expected_path.write_bytes(BLOB)
    assert fetch.fetch_dataset(spec, progress=False) == expected_path
    # one with the wrong hash is refused, naming both hashes
    expected_path.write_bytes(b"wrong")
    with pytest.raises(DataError, match="corrupted"):
        fetch.fetch_dataset(spec, progress=False)


def test_corrupted_cache_is_detected_and_fetched_again(cache, www, monkeypatch):
    publish(www, BLOB_URL, BLOB)
    monkeypatch.setenv("FMBENCH_MIRROR", www.url)
    spec = spec_for(blob_source())
    path = fetch.fetch_dataset(spec, progress=False)
    path.write_bytes(BLOB[:100])
    assert fetch.dataset_status(spec) == "corrupted"
    with pytest.raises(DataError, match="corrupted"):
        fetch.data_path(spec)
    fetch.fetch_dataset(spec, progress=False)
    assert fetch.dataset_status(spec) == "cached"


def test_data_path_never_downloads(cache, www, monkeypatch):
    publish(www, BLOB_URL, BLOB)
    monkeypatch.setenv("FMBENCH_MIRROR", www.url)
    spec = spec_for(blob_source())
    with pytest.raises(DataError, match="fmbench datasets fetch DS-T"):
        fetch.data_path(spec)
    assert www.requests == []


def test_archive_unpacked_and_prepared_once(cache, www, monkeypatch, tmp_path):
    import tarfile

    staging = tmp_path / "staging"
    (staging / "inner").mkdir(parents=True)
    (staging / "inner" / "a.txt").write_text("1,2,3\n")
    archive = tmp_path / "pack.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(staging / "inner", arcname="inner")
    url = "https://data.example.org/pack.tar.gz"
    publish(www, url, archive.read_bytes())
    monkeypatch.setenv("FMBENCH_MIRROR", www.url)
    calls = []

    def prepare(raw: Path, out: Path) -> None:
        calls.append(raw)
        values = (raw / "pack" / "inner" / "a.txt").read_text().strip().split(",")
        (out / "sum.txt").write_text(str(sum(int(v) for v in values)))

    spec = spec_for(
        Source(url=url, hash=hashlib.sha256(archive.read_bytes()).hexdigest(), extract="tar"),
        prepare=prepare,
    )
    out = fetch.fetch_dataset(spec, progress=False)
    assert (out / "sum.txt").read_text() == "6"
    assert fetch.data_path(spec) == out
    assert len(calls) == 1  # prepared once, then cached
    assert fetch.verify_prepared(spec) == []
    (out / "sum.txt").write_text("7")
    assert fetch.verify_prepared(spec) == ["sum.txt"]


def test_failing_prepare_leaves_nothing_half_written(cache, www, monkeypatch):
    publish(www, BLOB_URL, BLOB)
    monkeypatch.setenv("FMBENCH_MIRROR", www.url)

    def prepare(raw: Path, out: Path) -> None:
        (out / "half.npy").write_bytes(b"x")
        raise ValueError("bad column")

    spec = spec_for(blob_source(), prepare=prepare)
    with pytest.raises(DataError, match="preparing the downloaded files failed: ValueError"):
        fetch.fetch_dataset(spec, progress=False)
    assert not any((cache / "DS-T" / "1" / "prepared").iterdir())


def test_real_pbmc_file_through_the_declared_url(cache, www, monkeypatch):
    if not (REAL / PBMC).is_file():
        pytest.skip(f"real data not found at {REAL} (set FMBENCH_REAL_DATA)")
    publish(www, PBMC_URL, (REAL / PBMC).read_bytes())
    monkeypatch.setenv("FMBENCH_MIRROR", www.url)
    spec = spec_for(Source(url=PBMC_URL, hash=PBMC_SHA256, size=1772368), name="DS-PBMC")
    path = fetch.fetch_dataset(spec, progress=False)
    assert path.name == PBMC and path.stat().st_size == 1772368
    assert fetch.source_statuses(spec, rehash=True)[0].state == "cached"


NIBABEL = "https://raw.githubusercontent.com/nipy/nibabel/5.4.2/nibabel/tests/data/"
REAL_SOURCES = [
    (PBMC, PBMC_URL, PBMC_SHA256, 1772368),
    (
        "example4d.nii.gz",
        NIBABEL + "example4d.nii.gz",
        "42097dfbab9d2a036b41ae5c97a359591cf2cf5c3f8dc6ca6455c0b8a7f22696",
        346451,
    ),
    (
        "functional.nii",
        NIBABEL + "functional.nii",
        "0591d9f8c21f1a0af46567c47f96307ae8faf6b70771a881f4cc477502af7b26",
        43192,
    ),
]


def test_real_files_fetched_together_and_one_corrupted(cache, www, monkeypatch):
    if not REAL.is_dir():
        pytest.skip(f"real data not found at {REAL} (set FMBENCH_REAL_DATA)")
    monkeypatch.setenv("FMBENCH_MIRROR", www.url)
    for name, url, _, _ in REAL_SOURCES:
        publish(www, url, (REAL / name).read_bytes())
    spec = spec_for(*(Source(url=u, hash=h, size=n) for _, u, h, n in REAL_SOURCES), name="DS-REAL")
    folder = fetch.fetch_dataset(spec, progress=False)
    names = {p.name for p in folder.iterdir() if not p.name.endswith(".fmbench-ok")}
    assert names == {n for n, *_ in REAL_SOURCES}
    with open(folder / "functional.nii", "r+b") as handle:
        handle.seek(400)
        handle.write(b"\x00\x01")
    states = {s.source.name: s.state for s in fetch.source_statuses(spec, rehash=True)}
    assert states == {PBMC: "cached", "example4d.nii.gz": "cached", "functional.nii": "corrupted"}


def test_weights_path_and_download(cache, www, monkeypatch):
    url = "https://models.example.org/m/v2/model.pt"
    publish(www, url, BLOB)
    monkeypatch.setenv("FMBENCH_MIRROR", www.url)
    digest = hashlib.sha256(BLOB).hexdigest()
    config = {"model_id": "m", "weights_url": url, "weights_sha256": digest}
    expected = cache / "weights" / digest[:16] / "model.pt"
    assert model_weights.cached_weights_path(config) == expected
    assert model_weights.download_weights(config, progress=False) == expected
    assert expected.read_bytes() == BLOB
    with pytest.raises(ConfigError, match="weights_sha256"):
        model_weights.cached_weights_path({"model_id": "m", "weights_url": url})
    with pytest.raises(ConfigError, match="hf_revision"):
        model_weights.cached_weights_path({"model_id": "m", "hf_repo_id": "org/name"})
    hub = model_weights.cached_weights_path({"hf_repo_id": "org/name", "hf_revision": "abc123"})
    assert hub == cache / "weights" / "hf" / "org--name" / "abc123"


def test_default_cache_is_the_user_cache(monkeypatch):
    monkeypatch.delenv("FMBENCH_DATA", raising=False)
    import pooch

    assert fetch.data_home() == Path(pooch.os_cache("fmbench"))


def test_copies_of_the_real_files_match_their_readme():
    if not REAL.is_dir():
        pytest.skip(f"real data not found at {REAL} (set FMBENCH_REAL_DATA)")
    from fmbench.data.download import file_hash

    assert file_hash(REAL / PBMC) == PBMC_SHA256
