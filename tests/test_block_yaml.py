"""The fast eval-file reader returns exactly what ``yaml.safe_load`` returns, or declines.

Three kinds of evidence: hand-written cases at the edges of the subset, random documents
written by fmbench's own writer (which must all be read fast), and thousands of random
mutations of a real eval file (each either declined or read exactly as the safe loader
reads it; a text the safe loader rejects is never accepted).
"""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from fmbench.leaderboard.synthetic import synthetic_eval
from fmbench.plugin_system.definitions import SafeYAMLLoader as _SafeLoader
from fmbench.results.block_yaml import load_block_yaml
from fmbench.results.eval_file import dump_yaml, read_eval, with_digest

EVALS = Path(__file__).resolve().parents[1] / "evals"


def same(a, b) -> bool:
    """Equal values of equal types, in the same order (NaN equals NaN; True is not 1)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


def assert_exact_or_declined(text: str) -> bool:
    """True when the fast reader read it (and then it equals the safe loader's result).

    The safe loader is the one ``read_eval`` falls back to (libyaml's, when PyYAML has it).
    """
    fast = load_block_yaml(text)
    error: Exception | None = None
    try:
        expected = yaml.load(text, Loader=_SafeLoader)  # noqa: S506 - a safe loader
    except Exception as exc:  # any error of the loader: the text must have been declined
        error = exc
    if error is not None:
        assert fast is None, f"accepted a text the safe loader rejects ({error!r}):\n{text}"
        return False
    if fast is None:
        return False
    assert same(fast, expected), f"differs from safe_load:\n{text}\n{fast!r}\n{expected!r}"
    return True


READ_FAST = [
    "a: 1\nb: 2.5\nc: true\nd: null\ne: text with spaces\n",
    "a:\n- 1\n- x\nb: 2\n",  # an indentless sequence
    "a:\n  - 1\n  - x\nb: 2\n",  # an indented one
    "a:\n- k: 1\n  j: 2\n- k: 3\nb: 4\n",  # mappings in sequence items
    "a:\n- - 1\n  - 2\n- - 3\n",  # sequences in sequence items
    "a:\n- x:\n  - 1\n  y: 2\n",  # an indentless sequence in an item's mapping
    "a: {}\nb: []\nc:\n- {}\n- []\n",
    "'1': quoted key\n'it''s': 'a ''quoted'' value'\n'k: v': 'x: y'\n",
    "a: a long value\n  folded over\n  three lines\nb: 1\n",
    "a: 'a long quoted value\n  folded: over # lines'\nb: 1\n",
    "a:\n- a long item\n  folded\n",
    "a: x\n  --y z\n",  # an indicator loses its meaning in a continuation
    "n: -0.5\nm: .inf\nl: -.inf\nk: .nan\nj: 0x1F\ni: 1_000\nh: 1:30\ng: 'no'\nf: no\ne: ~\n",
    "a: http://example.org/x?y=1\nb: -x\nc: ?y\nd: :z\ne: a#b\nf: 'a #b'\n",
    "é: ünïcödé ✓\n",
    "dup: 1\ndup: 2\n",
    "a: 1\n",
    "a: 1",  # no final newline
]


@pytest.mark.parametrize("text", READ_FAST)
def test_read_fast_and_exactly(text):
    assert assert_exact_or_declined(text), f"declined:\n{text}"


DECLINED = [
    "x: &a [1]\ny: *a\n",  # anchors and aliases
    "base: &b {p: 1}\nchild:\n  <<: *b\n",  # merge keys
    "when: 2025-01-01\n",  # a timestamp
    "bin: !!binary aGVsbG8=\n",  # a tag
    "a: 1 # comment\n",
    "# comment\na: 1\n",
    "a: 1\n\nb: 2\n",  # a blank line
    'a: "double"\n',
    "a: |\n  block\n",
    "a: [1, 2]\n",
    "a:\n",  # a null without a value
    "a:  1\n",  # two spaces
    "a: 1 \n",  # a trailing space
    "a:\tb\n",
    "---\na: 1\n",
    "a: 1\n...\n",
    "- a\n- b\n",  # not a mapping
    "scalar\n",
    "",
    "\ufeffa: 1\n",
    "a: 1\r\nb: 2\r\n",
    "a: 1\u2028b: 2\n",
    "? [1, 2]\n: complex key\n",
    "big: " + "9" * 5000 + "\n",  # an integer too long to convert: the loader reports it
    "k" * 1100 + ": v\n",  # a simple key longer than YAML allows
]


@pytest.mark.parametrize("text", DECLINED)
def test_declined_outside_the_subset(text):
    assert load_block_yaml(text) is None
    assert_exact_or_declined(text)


def test_depth_limit_is_declined_not_read():
    deep = "".join(f"{'  ' * d}k{d}:\n" for d in range(40)) + "  " * 40 + "leaf: 1\n"
    assert load_block_yaml(deep) is None
    assert load_block_yaml(deep, max_depth=64) is not None


def _random_scalar(rng: random.Random):
    pool = [
        "yes", "no", "on", "0", "1.5", "-0.5", "1e3", "0x1F", "1_000", "1:30", "~", "null",
        "true", ".nan", ".inf", "", " lead", "trail ", "a: b", "a #b", "#x", "x#y", "it's",
        "'q'", '"dq"', "- x", "-x", "[a]", "{b}", "& a", "*a", "!t", "%p", "@a", "`b", "?x",
        ":x", "a:", "ünïcödé", "<<", "=", "a  b", "http://x.org/a?b=c",
    ]  # fmt: skip
    outside = ["2025-01-01", "tab\there", "line\nbreak", "\x85", "\ufeffbom"]  # declined
    kind = rng.random()
    if kind < 0.01:
        return rng.choice(outside)
    if kind < 0.3:
        return rng.choice(pool)
    if kind < 0.45:
        words = [
            rng.choice(["lorem", "ipsum", "a:b", "x-y", "(p = 0.1)", "'q'", "#h"])
            for _ in range(40)
        ]
        return " ".join(words)  # long: folded over lines by the writer
    if kind < 0.6:
        return rng.choice([True, False, None, 0, -3, 10**20, 1.5, -0.0, float("inf"), float("nan")])
    if kind < 0.8:
        return round(rng.uniform(-1, 1), rng.randint(0, 6))
    return rng.choice(["AUROC", "status", "Completed", "model-001", "BM-TOY-CLASS"])


def _random_key(rng: random.Random):
    key = _random_scalar(rng)
    # the writer emits a long (or empty) key as a complex "? " key, which is declined
    return key if not isinstance(key, str) or 0 < len(key) < 60 else "long"


def _random_doc(rng: random.Random, depth: int = 0):
    if depth > 4 or rng.random() < 0.3:
        return _random_scalar(rng)
    if rng.random() < 0.6:
        return {
            _random_key(rng) if rng.random() < 0.3 else f"k{i}": _random_doc(rng, depth + 1)
            for i in range(rng.randint(0, 4))
        }
    return [_random_doc(rng, depth + 1) for _ in range(rng.randint(0, 4))]


def test_documents_written_by_fmbench_read_back_exactly():
    rng = random.Random(7)
    fast = 0
    for _ in range(400):
        doc = {"root": _random_doc(rng), "values": [_random_doc(rng) for _ in range(3)]}
        text = dump_yaml(doc)
        if assert_exact_or_declined(text):
            fast += 1
    # a document with a timestamp, a tab, a line break... is declined; most are read fast
    assert fast > 250


def test_an_eval_file_as_written_is_read_fast():
    doc = with_digest(
        synthetic_eval(
            "m",
            0.7,
            interval=(0.6, 0.8),
            stratified={"site": {"A": {"AUROC": 0.5, "N": 9}, "0": {"AUROC": 0.6, "N": 3}}},
        )
    )
    doc["shared"] = [doc["benchmarks"][0]["stratified"]] * 2  # used twice: no anchor written
    text = dump_yaml(doc)
    assert "&id" not in text
    assert assert_exact_or_declined(text)


MUTATIONS = [" ", ":", ": ", "- ", "-", "'", "''", "#", " #", "\n", "  ", "&a ", "*a", "!!str ",
             "? ", "|", '"', "\t", "{", "[]", "{}", ",", "...", "---", "%", "0x", "~", ".nan",
             "\n- ", "\n  ", "yes", "2025-01-01 ", "<<: ", "\\", "é"]  # fmt: skip


def _mutate(text: str, rng: random.Random) -> str:
    for _ in range(rng.randint(1, 3)):
        at = rng.randrange(len(text) + 1)
        action = rng.random()
        if action < 0.45:
            text = text[:at] + rng.choice(MUTATIONS) + text[at:]
        elif action < 0.75:
            text = text[:at] + text[at + rng.randint(1, 3) :]
        else:  # re-indent or duplicate a line
            lines = text.split("\n")
            k = rng.randrange(len(lines))
            if rng.random() < 0.5:
                lines[k] = " " * rng.randint(0, 3) + lines[k].lstrip(" ")
            else:
                lines.insert(k, lines[k])
            text = "\n".join(lines)
    return text


@pytest.mark.parametrize("source", sorted(EVALS.glob("ROBUSTNESS-*.yaml"))[:1], ids=["robustness"])
def test_mutated_eval_files_are_read_exactly_or_declined(source):
    base = dump_yaml(read_eval(source))  # rewritten without anchors: in the subset
    assert assert_exact_or_declined(base)
    rng = random.Random(11)
    read = 0
    for _ in range(2000):
        if assert_exact_or_declined(_mutate(base, rng)):
            read += 1
    assert read > 200  # many mutations stay in the subset, so the comparison is exercised


def test_read_eval_gives_the_same_document_either_way(tmp_path):
    for source in sorted(EVALS.glob("*.yaml")):
        text = source.read_text(encoding="utf-8")
        assert same(read_eval(source), yaml.safe_load(text))
        rewritten = tmp_path / source.name
        rewritten.write_text(dump_yaml(yaml.safe_load(text)), encoding="utf-8")
        assert load_block_yaml(rewritten.read_text(encoding="utf-8")) is not None
        assert same(read_eval(rewritten), yaml.safe_load(text))


# Hypothesis: documents written by fmbench's writer, with one piece inserted or removed.
_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.sampled_from(["AUROC", "x y", "'q'"])
)
_docs = st.dictionaries(
    st.sampled_from(["a", "b", "k1", "0", "yes", "x y"]),
    st.recursive(
        _scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3),
            st.dictionaries(st.sampled_from(["c", "d", "1.5", "é"]), inner, max_size=3),
        ),
        max_leaves=12,
    ),
    min_size=1,
    max_size=4,
)


@settings(max_examples=500, deadline=None)
@given(_docs, st.integers(0, 10_000), st.sampled_from(MUTATIONS), st.booleans())
def test_edited_documents_are_read_exactly_or_declined(doc, at, piece, insert):
    text = dump_yaml(doc)
    at %= len(text) + 1
    text = text[:at] + piece + text[at:] if insert else text[:at] + text[at + len(piece) :]
    assert_exact_or_declined(text)
