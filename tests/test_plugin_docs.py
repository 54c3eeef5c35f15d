"""The plugin API reference (docs/plugins/reference.md) says exactly what the code does.

Every hook has a section with its exact signature and a table of its record's fields (name,
type, default); a hook missing from the reference, a different signature or a field that
differs fails here. Every example in the reference and the guide is valid Python.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path
from typing import Any

import attrs
import pytest

from fmbench.plugin_system import hookspecs
from fmbench.plugin_system.kinds import KINDS, Kind

DOCS = Path(__file__).resolve().parents[1] / "docs" / "plugins"
REFERENCE = DOCS / "reference.md"


def hook_names() -> list[str]:
    return sorted(
        name
        for name, value in vars(hookspecs).items()
        if callable(value) and hasattr(value, "fmbench_spec")
    )


def sections(text: str) -> dict[str, str]:
    parts = re.split(r"^## ", text, flags=re.MULTILINE)
    found = {}
    for part in parts[1:]:
        title, _, body = part.partition("\n")
        match = re.fullmatch(r"`(\w+)`", title.strip())
        if match:
            found[match.group(1)] = body
    return found


def documented_default(field: attrs.Attribute[Any]) -> str:
    if field.default is attrs.NOTHING:
        return "required"
    if isinstance(field.default, attrs.Factory):  # type: ignore[arg-type]
        factory = field.default.factory
        if isinstance(factory, type) and attrs.has(factory):
            return f"{factory.__name__}()"
        return repr(factory())
    return repr(field.default)


def table_rows(body: str, record: str) -> list[tuple[str, str, str]]:
    heading = f"### Fields of `fmbench.{record}`"
    assert heading in body, f"the reference lacks the heading {heading!r}"
    table = body.split(heading, 1)[1].split("\n### ", 1)[0]
    rows = []
    for line in table.splitlines():
        if not line.startswith("| `"):
            continue
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        rows.append(tuple(c.strip("`").replace("\\|", "|") for c in cells[:3]))
    return rows  # type: ignore[return-value]


REFERENCE_TEXT = REFERENCE.read_text(encoding="utf-8")
SECTIONS = sections(REFERENCE_TEXT)


def test_every_hook_has_a_record_kind() -> None:
    assert sorted(kind.hook for kind in KINDS.values()) == hook_names()


def test_the_reference_documents_exactly_the_hooks() -> None:
    assert sorted(SECTIONS) == hook_names()


@pytest.mark.parametrize("hook", hook_names())
def test_documented_signature_matches_the_code(hook: str) -> None:
    signature = inspect.signature(getattr(hookspecs, hook))
    expected = f"def {hook}{signature}".replace("'", "")
    assert f"```python\n{expected}: ...\n```" in SECTIONS[hook], (
        f"docs/plugins/reference.md: section {hook} must show `{expected}`"
    )


@pytest.mark.parametrize("kind", list(KINDS.values()), ids=lambda kind: kind.name)
def test_documented_record_fields_match_the_code(kind: Kind) -> None:
    hook, record = kind.hook, kind.record
    expected = [(f.name, str(f.type), documented_default(f)) for f in attrs.fields(record)]
    assert table_rows(SECTIONS[hook], record.__name__) == expected


@pytest.mark.parametrize("path", [REFERENCE, DOCS / "index.md"], ids=lambda p: p.name)
def test_python_examples_are_valid(path: Path) -> None:
    blocks = re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.S)
    assert blocks
    for block in blocks:
        ast.parse(block)


def test_documented_split_fields_match_the_code() -> None:
    from fmbench.plugin_system.specs import SplitSpec

    body = SECTIONS["fmbench_benchmarks"]
    heading = "### Fields of `SplitSpec` (the `split:` block)"
    assert heading in body
    table = body.split(heading, 1)[1].split("\n### ", 1)[0]
    rows = [
        tuple(c.strip().strip("`").replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line)[1:4])
        for line in table.splitlines()
        if line.startswith("| `")
    ]
    expected = []
    for field in attrs.fields(SplitSpec):
        if isinstance(field.default, attrs.Factory):  # type: ignore[arg-type]
            # the default depends on the method: 5, and 'loo' for cross_subject/cross_session
            loo = SplitSpec(method="cross_subject", group_by="s").folds
            default = f"{SplitSpec().folds!r} / {loo!r}"
        else:
            default = documented_default(field)
        expected.append((field.name, str(field.type), default))
    assert rows == expected
