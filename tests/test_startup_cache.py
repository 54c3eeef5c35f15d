"""The start-up cache: parsed definition files and plugins' core requirements, keyed by content."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from fmbench.errors import ConfigError
from fmbench.plugin_system import startup_cache
from fmbench.plugin_system.definitions import load_definitions
from fmbench.plugin_system.loading import requirement_verdict
from fmbench.plugin_system.startup_cache import cached, json_exact

from .conftest import plugins_list_in_subprocess


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FMBENCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv(startup_cache.DISABLE_ENV, raising=False)
    return tmp_path / "cache" / "startup"


def counting(value: object) -> tuple[list[int], object]:
    calls: list[int] = []

    def compute() -> object:
        calls.append(1)
        return value

    return calls, compute


def entries(cache: Path, kind: str) -> list[Path]:
    folder = cache / kind
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def test_an_answer_is_computed_once_per_inputs(cache: Path) -> None:
    calls, compute = counting({"a": [1, 2.5, True, None, "é"]})
    assert cached("k", {"text": "a"}, compute) == {"a": [1, 2.5, True, None, "é"]}
    assert cached("k", {"text": "a"}, compute) == {"a": [1, 2.5, True, None, "é"]}
    assert len(calls) == 1
    cached("k", {"text": "b"}, compute)  # other inputs: another key
    assert len(calls) == 2
    assert len(entries(cache, "k")) == 2


def test_a_corrupt_or_foreign_entry_is_recomputed_and_replaced(cache: Path) -> None:
    calls, compute = counting([1, 2])
    cached("k", "in", compute)
    (entry,) = entries(cache, "k")
    for bad in ("{not json", json.dumps({"key": "another", "value": [9]}), "[]"):
        entry.write_text(bad)
        assert cached("k", "in", compute) == [1, 2]
    assert len(calls) == 4
    assert json.loads(entry.read_text())["value"] == [1, 2]


def test_what_json_would_change_is_never_stored(cache: Path) -> None:
    for value in ({1: "int key"}, {"when": datetime.date(2024, 1, 1)}, [float("nan")]):
        assert json_exact(value) is None
        calls, compute = counting(value)
        cached("k", repr(value), compute)
        cached("k", repr(value), compute)
        assert len(calls) == 2
    assert entries(cache, "k") == []


def test_an_error_propagates_and_nothing_is_stored(cache: Path) -> None:
    def broken() -> object:
        raise ConfigError("bad")

    with pytest.raises(ConfigError, match="bad"):
        cached("k", "in", broken)
    assert entries(cache, "k") == []


def test_a_cache_that_cannot_be_written_only_costs_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("FMBENCH_CACHE", str(blocker))
    calls, compute = counting([1])
    assert cached("k", "in", compute) == [1]
    assert cached("k", "in", compute) == [1]
    assert len(calls) == 2


def test_the_cache_can_be_turned_off(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(startup_cache.DISABLE_ENV, "1")
    calls, compute = counting([1])
    cached("k", "in", compute)
    cached("k", "in", compute)
    assert len(calls) == 2
    assert not cache.exists()


def test_each_kind_keeps_a_bounded_number_of_entries(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(startup_cache, "MAX_ENTRIES", 4)
    for i in range(9):
        cached("k", i, lambda i=i: [i])
    assert 2 <= len(entries(cache, "k")) <= 4
    calls, compute = counting([8])
    cached("k", 8, compute)  # the newest entry was kept
    assert calls == []


# --- definition files -----------------------------------------------------------------------


@pytest.fixture
def write_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str, str], None]:
    """Writes an importable package NAME whose one suite definition is the given text."""
    monkeypatch.syspath_prepend(str(tmp_path))

    def write(name: str, suite_text: str) -> None:
        folder = tmp_path / name / "definitions" / "suites"
        folder.mkdir(parents=True, exist_ok=True)
        (tmp_path / name / "__init__.py").write_text("")
        (folder / "suite.yaml").write_text(suite_text)

    return write


def test_definitions_from_the_cache_equal_freshly_parsed_ones(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = {}
    monkeypatch.setenv(startup_cache.DISABLE_ENV, "1")
    for package in ("fmbench.builtin", "fmbench_neuro", "fmbench_genomics"):
        pytest.importorskip(package)
        fresh[package] = [load_definitions(package, kind) for kind in ("benchmarks", "models")]
    monkeypatch.delenv(startup_cache.DISABLE_ENV)
    for _ in range(2):  # the first run fills the cache, the second reads it
        for package, expected in fresh.items():
            assert [load_definitions(package, kind) for kind in ("benchmarks", "models")] == (
                expected
            )
    assert entries(cache, "definitions")


def test_an_edited_definition_file_is_parsed_again(
    cache: Path, write_package: Callable[[str, str], None]
) -> None:
    text = "suite_id: SUITE-EDIT\nname: first\nbenchmarks: [BM-A]\n"
    write_package("edit_pkg", text)
    assert load_definitions("edit_pkg", "suites")[0].title == "first"
    write_package("edit_pkg", text.replace("first", "second"))
    assert load_definitions("edit_pkg", "suites")[0].title == "second"


def test_malformed_yaml_is_still_an_error_naming_the_file(
    cache: Path, write_package: Callable[[str, str], None]
) -> None:
    write_package("broken_pkg", "suite_id: [unclosed\n")
    for _ in range(2):
        with pytest.raises(ConfigError, match=r"broken_pkg/definitions/suites/suite.yaml"):
            load_definitions("broken_pkg", "suites")


def test_a_yaml_date_is_parsed_every_time_not_cached(
    cache: Path, write_package: Callable[[str, str], None]
) -> None:
    write_package("date_pkg", "suite_id: S\nversion: 2024-01-01\nbenchmarks: [BM]\n")
    for _ in range(2):
        assert load_definitions("date_pkg", "suites")[0].version == "2024-01-01"
    assert entries(cache, "definitions") == []


# --- plugins' requirements on the core ------------------------------------------------------


@pytest.mark.parametrize(
    ("requires", "expected"),
    [
        (["numpy>=1", "fmbench-core>=0.1,<0.2"], ("<0.2,>=0.1", None)),
        (
            ["fmbench-core[onnx]>=5"],
            (">=5", "requires fmbench-core[onnx] >=5, this is fmbench-core 0.1.0"),
        ),
        (['fmbench-core>=9; extra == "test"'], (None, None)),
        (["fmbench>=0.1"], (">=0.1", None)),
        ([], (None, None)),
    ],
)
def test_requirement_verdicts_are_the_same_from_the_cache(
    cache: Path, requires: list[str], expected: tuple[str | None, str | None]
) -> None:
    assert requirement_verdict(requires, "0.1.0") == expected  # computed
    assert requirement_verdict(requires, "0.1.0") == expected  # read back
    assert len(entries(cache, "requirements")) == 1


def test_a_warm_plugins_list_imports_neither_yaml_nor_packaging(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    outputs = [plugins_list_in_subprocess(tmp_path, env) for _ in range(2)]
    (cold_text, cold), (warm_text, warm) = outputs
    assert warm_text == cold_text
    assert {"yaml", "packaging"} <= cold
    assert {"yaml", "packaging"} & warm == set()
    assert any((tmp_path / ".cache" / "fmbench" / "startup" / "definitions").iterdir())


def test_the_cache_holds_only_json(cache: Path) -> None:
    cached("k", "in", lambda: {"a": 1})
    (entry,) = entries(cache, "k")
    assert json.loads(entry.read_text()) == {"key": entry.stem, "value": {"a": 1}}
