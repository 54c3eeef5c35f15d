"""The fast safe loader of eval files gives exactly what ``yaml.safe_load`` gives."""

from __future__ import annotations

import pytest
import yaml

from fmbench.leaderboard.synthetic import synthetic_eval
from fmbench.results import _FastSafeLoader, dump_yaml

CASES = [
    "a: 1\nb: [1, 2.5, .inf, -.inf, true, no, null, ~, '3', 0x1F, 0o17, 1_000, 1:30]\n",
    "x: &a {k: [1, 2]}\ny: *a\nz: [*a, *a]\n",
    "base: &b {p: 1, q: 2}\nchild:\n  <<: *b\n  q: 3\n",  # merge keys: standard path
    "when: 2025-01-01\nbin: !!binary aGVsbG8=\nset: !!set {a, b}\n",  # other tags
    "? [1, 2]\n: complex key\n",  # an unhashable key: the standard error
    "'quoted': \"text\\twith escapes\"\nempty:\nlist: []\nmap: {}\n",
    "dup: 1\ndup: 2\n",
    "- just\n- a\n- list\n",
    "scalar\n",
    "",
]


@pytest.mark.parametrize("text", CASES)
def test_same_as_safe_load(text):
    try:
        expected = yaml.safe_load(text)
    except yaml.YAMLError:
        with pytest.raises(yaml.YAMLError):
            yaml.load(text, Loader=_FastSafeLoader)  # noqa: S506
        return
    assert yaml.load(text, Loader=_FastSafeLoader) == expected  # noqa: S506


def test_anchors_are_shared_objects_and_recursion_is_allowed():
    data = yaml.load("x: &a [1]\ny: *a\n", Loader=_FastSafeLoader)  # noqa: S506
    assert data["x"] is data["y"]
    loop = yaml.load("&r [*r]\n", Loader=_FastSafeLoader)  # noqa: S506
    assert loop[0] is loop


def test_an_eval_document_round_trips():
    doc = synthetic_eval(
        "m", 0.7, interval=(0.6, 0.8), stratified={"s": {"A": {"AUROC": 0.5, "N": 9}}}
    )
    assert yaml.load(dump_yaml(doc), Loader=_FastSafeLoader) == doc  # noqa: S506
