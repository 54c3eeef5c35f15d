"""``fmbench validate model.yaml`` checks that ``import_path`` can be imported (issue #21 item 5),
without running the model's module."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from fmbench.cli import cli
from fmbench.models.import_check import import_path_problem


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FMBENCH_NO_PLUGINS", "1")
    (tmp_path / "wrapper_mod.py").write_text(
        "import pathlib\npathlib.Path('imported.txt').write_text('ran')\n\n"
        "class Wrapper:\n    pass\n\ntry:\n    Alias = Wrapper\nexcept Exception:\n    pass\n"
    )
    return tmp_path


def validate(name: str, import_path: str) -> tuple[int, str]:
    Path(name).write_text(f'model_id: m\ntype: python_class\nimport_path: "{import_path}"\n')
    result = CliRunner().invoke(cli, ["validate", name], obj={})
    return result.exit_code, result.output


def test_an_importable_config_passes_and_its_module_is_not_run(folder: Path) -> None:
    assert validate("good.yaml", "wrapper_mod:Wrapper") == (0, "good.yaml: OK (model config)\n")
    assert validate("alias.yaml", "wrapper_mod:Alias")[0] == 0
    assert not (folder / "imported.txt").exists()


@pytest.mark.parametrize(
    ("import_path", "message"),
    [
        ("wraper_mod:Wrapper", "cannot import module 'wraper_mod' (not found from"),
        (
            "wrapper_mod:Wraper",
            "module 'wrapper_mod' defines no 'Wraper' (did you mean 'Wrapper'?)",
        ),
        ("wrapper_mod", "must be 'module:Name'"),
    ],
)
def test_a_config_that_cannot_be_imported_is_an_error(
    folder: Path, import_path: str, message: str
) -> None:
    code, output = validate("bad.yaml", import_path)
    assert code == 1
    assert "bad.yaml: error: model config bad.yaml: import_path" in output
    assert message in output
    assert "OK" not in output
    assert not (folder / "imported.txt").exists()


def test_a_missing_module_suggests_a_local_one(folder: Path) -> None:
    problem = import_path_problem("wrapper_mdo:Wrapper", source="m.yaml")
    assert problem is not None and problem.endswith("(did you mean 'wrapper_mod'?)")


def test_a_syntax_error_is_named(folder: Path) -> None:
    (folder / "broken_mod.py").write_text("class X(:\n")
    problem = import_path_problem("broken_mod:X", source="m.yaml")
    assert problem is not None and "has a syntax error at line 1" in problem


def test_star_imports_are_not_second_guessed(folder: Path) -> None:
    (folder / "star_mod.py").write_text("from wrapper_mod import *\n")
    assert import_path_problem("star_mod:Wrapper", source="m.yaml") is None
