"""Static checks over the source: no unsafe YAML, no pickle, no unsafe torch.load."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE_DIRS = ["fmbench", "fmbench-neuro", "fmbench-genomics", "plugins", "bench"]

FORBIDDEN = [
    # yaml.load only with a loader whose name says Safe (checked to derive from SafeLoader below)
    (re.compile(r"\byaml\.load\((?![^)]*Loader=[\w.]*Safe\w*)"), "yaml.load without SafeLoader"),
    (re.compile(r"\byaml\.(unsafe_load|full_load)\b"), "unsafe YAML loader"),
    (
        re.compile(r"^\s*(import pickle|from pickle|import cPickle|import dill)", re.M),
        "pickle import",
    ),
    (re.compile(r"allow_pickle\s*=\s*True"), "np.load with allow_pickle=True"),
    (
        re.compile(r"torch\.load\((?![^)]*weights_only\s*=\s*True)"),
        "torch.load without weights_only=True",
    ),
    (re.compile(r"(?<![.\w])(eval|exec)\("), "eval/exec"),
    (re.compile(r"shell\s*=\s*True"), "subprocess with shell=True"),
]


def _python_files() -> list[Path]:
    files: list[Path] = []
    for folder in SOURCE_DIRS:
        base = ROOT / folder
        if base.exists():
            files += [
                p
                for p in base.rglob("*.py")
                if "/tests/" not in str(p) and ".venv" not in p.parts and "build" not in p.parts
            ]
    return files


def test_source_has_no_unsafe_calls():
    problems = []
    for path in _python_files():
        text = path.read_text(encoding="utf-8")
        for pattern, what in FORBIDDEN:
            for match in pattern.finditer(text):
                line = text[: match.start()].count("\n") + 1
                problems.append(f"{path.relative_to(ROOT)}:{line}: {what}")
    assert not problems, "\n".join(problems)


def test_the_scan_finds_what_it_looks_for(tmp_path: Path):
    sample = "import yaml\nyaml.load(text)\nnp.load(f, allow_pickle=True)\ntorch.load(p)\n"
    found = [what for pattern, what in FORBIDDEN if pattern.search(sample)]
    assert found == [
        "yaml.load without SafeLoader",
        "np.load with allow_pickle=True",
        "torch.load without weights_only=True",
    ]


def test_the_eval_fallback_loader_is_a_safe_loader():
    import yaml

    from fmbench.plugin_system.definitions import safe_yaml_loader
    from fmbench.results.yaml_reading import _CountingLoader

    assert issubclass(
        safe_yaml_loader(), (yaml.SafeLoader, getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    )
    # eval files: PyYAML's pure-Python safe loader, the one yaml.safe_load uses (#21 F4)
    assert issubclass(_CountingLoader, yaml.SafeLoader)
    assert not issubclass(_CountingLoader, getattr(yaml, "CParser", ()))
