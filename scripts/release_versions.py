"""Check that a release tag names the version of every package released with it.

The core (``fmbench-core``) and the domain packages are released together under one version
(docs/releasing.md); each keeps it in its ``_version.py``.

    python scripts/release_versions.py --tag v0.1.0
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VERSION_FILES = {
    "fmbench-core": ROOT / "fmbench" / "_version.py",
    "fmbench-neuro": ROOT / "fmbench-neuro" / "fmbench_neuro" / "_version.py",
    "fmbench-genomics": ROOT / "fmbench-genomics" / "fmbench_genomics" / "_version.py",
}


def package_versions() -> dict[str, str]:
    """``__version__`` of each released package, read without importing it."""
    versions = {}
    for name, path in VERSION_FILES.items():
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__version__" for t in node.targets
            ):
                versions[name] = ast.literal_eval(node.value)
    return versions


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tag", required=True, help="the git tag, e.g. v0.1.0")
    args = parser.parse_args(argv)
    wanted = args.tag.removeprefix("v")
    versions = package_versions()
    wrong = {name: v for name, v in versions.items() if v != wanted}
    for name, version in versions.items():
        print(f"{name} {version}")
    if wrong:
        listed = ", ".join(f"{n} is {v}" for n, v in wrong.items())
        print(f"Error: tag {args.tag} does not match: {listed}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
