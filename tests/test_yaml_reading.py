"""The eval reader gives what ``yaml.safe_load`` gives, and applies its limits while parsing.

``load_fast`` (yaml-rs behind checks) must either decline or give exactly the document of
``yaml.safe_load`` (PyYAML's pure-Python loader): compared here on hand-picked differences
between YAML 1.1 and 1.2, on libyaml's known differences (issue #21 F4), on random documents
written by fmbench's writer and on random mutations of the committed eval files.
"""

from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fmbench.errors import ConfigError
from fmbench.results import yaml_reading
from fmbench.results.eval_file import dump_yaml, read_eval, with_digest
from fmbench.results.yaml_reading import (
    YAMLLimitError,
    fast_decline_reason,
    load_exact,
    load_fast,
    prescan,
)

ROOT = Path(__file__).resolve().parents[1]


def same(a: Any, b: Any) -> bool:
    """Equal values of equal types all the way down (1 != 1.0 != True; nan == nan)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float):
        return repr(a) == repr(b) or (math.isnan(a) and math.isnan(b))
    return bool(a == b)


def check(text: str) -> dict[str, Any] | None:
    """The fast reader's answer, asserted to be yaml.safe_load's when there is one."""
    fast = load_fast(text)
    if fast is not None:
        assert same(fast, yaml.safe_load(text)), text
    return fast


# YAML 1.1 (PyYAML) and 1.2 (yaml-rs) read these differently, or libyaml and PyYAML do
DIFFERENT = {
    "yes": "a: yes\n",
    "On key": "On: 1\n",
    "octal": "a: 012\n",
    "0o": "a: 0o12\n",
    "exponent without dot": "a: 1e3\n",
    "exponent without sign": "a: 1.0e5\n",
    "signed leading dot": "a: +.5\n",
    "sexagesimal": "a: 1:30\n",
    "date": "a: 2025-01-01\n",
    "timestamp with a space": "a: 2001-12-14 21:59:43.10 -5\n",
    "timestamp folded": "a: 2001-12-14\n  21:59:43.10 -5\n",
    "merge key": "b:\n  c: 1\na:\n  <<: x\n",
    "value tag": "a: =\n",
    "binary": "a: !!binary aGVsbG8=\n",
    "tab after colon (F4)": "status:\tCompleted\n",
    "empty tag (F4)": "x: !\n",
    "null key (F1)": "~: 1\n",
    "int key": "1: a\n",
    "float key": "1e3: a\n",
    "bool key": "true: a\n",
    "duplicate key": "a: 1\na: 2\n",
    "NEL": "a: b\x85c\n",
    "LS": "a: b\u2028c\n",
    "BOM": "\ufeffa: 1\n",
    "control": "a: b\x01\n",
    "DEL": "a: b\x7f\n",
    "CR": "a: 1\r\nb: 2\r\n",
    "anchor": "a: &x 1\nb: *x\n",
    "flow": "a: [1, {b: 2}]\n",
    "comment": "a: b # c\n",
    "document marker": "a: 1\n---\nb: 2\n",
    "directive": "%YAML 1.1\n---\na: 1\n",
    "complex key": "? [a]\n: 1\n",
    "double quotes": 'a: "\\ud83d\\ude00"\n',
    "block scalar": "a: |\n  x\n",
    "long key": "k" * 1100 + ": 1\n",
    "deep dashes": "a:\n" + "- " * 50 + "x\n",
}

# Plain block YAML the fast reader takes, with what yaml.safe_load gives
TAKEN = {
    "eval-like": "schema_version: '1.0'\nmetrics:\n  AUROC: 0.75\n  N: 40\n",
    "quoted date": "date: '2025-01-01'\nversion: 1.0.0\n",
    "quoted yes": "answer: 'yes'\n",
    "folded plain": "a: long plain\n  continued here\n",
    "folded quoted": "a: 'x\n\n  y'\n",
    "escaped quote": "a: 'it''s'\n",
    "special floats": "a: .nan\nb: -.inf\nc: .inf\nd: -0.0\ne: 1.5e-05\n",
    "nulls and bools": "a: ~\nb:\nc: null\nd: true\ne: False\n",
    "empty collections": "a: {}\nb: []\n",
    "sequences": "a:\n- 1\n- - 2\n  - 3\n- k: v\n  j: w\n",
    "unicode": "a: é ü 中\n",
    "prose with brackets": "a: mapped linearly to [0, 1] (see docs)\n",
}


@pytest.mark.parametrize("name", sorted(DIFFERENT))
def test_the_fast_reader_declines_what_could_read_differently(name):
    assert load_fast(DIFFERENT[name]) is None


@pytest.mark.parametrize(
    "text",
    ["a: 0x" + "f" * 60 + "\n", "a: " + "9" * 30 + "\n", "a: 0x_1F\n", "a: 1.\n", "a: 1_000\n"],
)
def test_the_fast_reader_declines_or_agrees(text):
    check(text)


@pytest.mark.parametrize("name", sorted(TAKEN))
def test_the_fast_reader_gives_what_safe_load_gives(name):
    text = TAKEN[name]
    assert load_fast(text) is not None, fast_decline_reason(text)[0]
    check(text)


def test_words_both_readers_agree_on_read_alike():
    """The assumption behind checking only number-like words: yaml-rs reads the boolean and
    null words as PyYAML does (and a quoted string is a string in both)."""
    for word in ("true", "True", "TRUE", "false", "False", "FALSE", "null", "Null", "NULL", "~"):
        assert same(load_fast(f"a: {word}\n"), yaml.safe_load(f"a: {word}\n")), word


@given(
    st.one_of(
        st.integers(-(10**18), 10**18),
        st.floats(allow_nan=False, allow_infinity=False),
    )
)
@settings(max_examples=300, deadline=None)
def test_numbers_as_fmbench_writes_them_read_alike(number):
    check(dump_yaml({"value": number, "list": [number]}))


def test_libyaml_differences_are_read_as_safe_load_reads_them(tmp_path):
    """Issue #21 F4: a tab after a colon is refused, ``x: !`` is None (libyaml: accepted, '')."""
    (tmp_path / "tab.yaml").write_text("eval_id: x\nstatus:\tCompleted\n")
    (tmp_path / "bang.yaml").write_text("eval_id: x\nx: !\n")
    with pytest.raises(ConfigError, match="malformed YAML"):
        read_eval(tmp_path / "tab.yaml")
    assert read_eval(tmp_path / "bang.yaml")["x"] is None


TRICKY_STRINGS = ["yes", "no", "on", "1e3", "012", "0o7", "1:30", "2025-01-01", "<<", "=", "~",
                  "null", "1_000", ".5", "+.5", "- x", "a: b", "#c", "'", "[]", ""]  # fmt: skip
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.sampled_from(TRICKY_STRINGS),
)
_documents = st.dictionaries(
    st.text(max_size=12) | st.sampled_from(["yes", "1", "null", "2025-01-01", "<<"]),
    st.recursive(
        _scalars,
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
        ),
        max_leaves=12,
    ),
    max_size=6,
)


@given(_documents)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_documents_fmbench_writes_read_alike(doc):
    check(dump_yaml(doc))


def _mutate(text: str, rng: random.Random) -> str:
    """One random edit: a character, a word or a line changed, copied, moved or dropped."""
    pieces = [" ", "\n", "  ", "- ", ": ", "'", "''", "yes", "1e3", "0", "012", "1.5", "~", "\t",
              "#", "&a", "*a", "!", "[", "]", "{", "}", ",", "-", "2025-01-01", "1:30", "é",
              "\x85", "...", "---", "<<", "="]  # fmt: skip
    lines = text.split("\n")
    i = rng.randrange(len(lines))
    kind = rng.randrange(5)
    if kind == 0:
        line = lines[i]
        at = rng.randrange(len(line) + 1)
        lines[i] = line[:at] + rng.choice(pieces) + line[at:]
    elif kind == 1 and lines[i]:
        at = rng.randrange(len(lines[i]))
        lines[i] = lines[i][:at] + lines[i][at + 1 :]
    elif kind == 2:
        lines.insert(rng.randrange(len(lines) + 1), lines[i])
    elif kind == 3:
        del lines[i]
    else:
        words = lines[i].split(" ")
        words[rng.randrange(len(words))] = rng.choice(pieces)
        lines[i] = " ".join(words)
    return "\n".join(lines)


def test_mutations_of_real_eval_files_read_alike():
    """Mutations of the committed eval files, as fmbench writes them: whatever the fast reader
    accepts is what yaml.safe_load gives (the long version: bench/fuzz_yaml_reading.py)."""
    rng = random.Random(0)
    bases = [dump_yaml(read_eval(p)) for p in sorted((ROOT / "evals").glob("*.yaml"))]
    taken = 0
    for _ in range(120):
        text = rng.choice(bases)
        for _ in range(rng.randrange(1, 4)):
            text = _mutate(text, rng)
        try:
            expected = yaml.safe_load(text)
        except Exception:
            expected = None
        fast = load_fast(text)
        if fast is not None:
            taken += 1
            assert expected is not None and same(fast, expected)
    assert taken >= 10  # the comparison did happen


def test_the_real_eval_files_rewritten_take_the_fast_path():
    for path in sorted((ROOT / "evals").glob("*.yaml")):
        text = dump_yaml(with_digest(read_eval(path)))
        assert load_fast(text) is not None, (path.name, fast_decline_reason(text)[0])


def test_limits_stop_the_exact_reader_while_it_parses():
    bomb = ["a0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    for i in range(1, 9):
        bomb.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    with pytest.raises(YAMLLimitError, match="more than 1000000 values"):
        load_exact("\n".join(bomb) + "\n")
    with pytest.raises(YAMLLimitError, match="nested deeper than 32"):
        load_exact("a: " + "[" * 40 + "]" * 40 + "\n")
    with pytest.raises(YAMLLimitError, match="nested deeper than 3"):  # depth through an alias
        load_exact("a: &x [[1]]\nb: [[*x]]\n", max_depth=3)
    with pytest.raises(YAMLLimitError, match="recursive"):
        load_exact("a: &x [*x]\n")
    assert load_exact("a: &x [1, 2]\nb: *x\n") == {"a": [1, 2], "b": [1, 2]}


def test_a_dense_file_is_refused_before_it_is_parsed():
    """Issue #21 "Also": 2.4 MB of ``[[1],[1],...]`` took 25-30 s before the value limit
    refused it; the count of lines and flow items refuses it without parsing."""
    text = "eval_id: x\na: [" + ",".join(["[1]"] * 600_000) + "]\n"
    with pytest.raises(YAMLLimitError, match="lines and flow items"):
        prescan(text, max_marks=100_000)


def test_without_yaml_rs_everything_goes_to_the_exact_reader(monkeypatch):
    def missing() -> None:
        raise ImportError("yaml_rs")

    monkeypatch.setattr(yaml_reading, "_yaml_rs", missing)
    assert fast_decline_reason("a: 1\n") == ("yaml-rs is not installed", None)
    assert load_exact("a: 1\n") == {"a": 1}


def test_always_quoted_agrees_with_its_regex() -> None:
    """``_always_quoted`` scans with str.find; it must answer as the regex it replaced."""
    import random
    import re

    from fmbench.results.yaml_reading import _always_quoted

    rng = random.Random(7)
    alphabet = ["yes", "no", "1:30", "'", " ", "\n", ":", "-", "a", "2025-01-01", "x y"]
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        value = rng.choice(["yes", "no", "1:30", "2025-01-01", "a", "x y"])
        if any(ch.isspace() for ch in value):
            expected = False
        else:
            expected = re.search(r"(?<!\S)" + re.escape(value) + r"(?![^\s:])", text) is None
        assert _always_quoted(value, text) == expected, (value, text)
