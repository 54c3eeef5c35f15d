"""Compare the fast eval-file reader with PyYAML's safe loaders on many mutated eval files.

Usage: python bench/fuzz_block_yaml.py [--seeds 6] [--n 4000]

Each mutation (characters inserted, deleted, lines re-indented or duplicated; the mutations of
``tests/test_block_yaml.py``) of a committed eval file, rewritten by fmbench's writer, is read by
``fmbench.results.block_yaml.load_block_yaml``. When it does not decline, the result must equal what
both libyaml's and the pure-Python safe loader give, and neither may reject the text. Prints
the count compared per seed and exits 1 on any difference. Slow (the pure-Python loader):
about a minute per 1,000 mutations.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from test_block_yaml import _mutate, same  # noqa: E402

from fmbench.plugin_system.definitions import safe_load  # noqa: E402
from fmbench.results.block_yaml import load_block_yaml  # noqa: E402
from fmbench.results.eval_file import dump_yaml, read_eval  # noqa: E402

#: libyaml's safe loader (what read_eval falls back to) and PyYAML's pure-Python one
LOADERS = {"libyaml safe_load": safe_load, "pure-Python yaml.safe_load": yaml.safe_load}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=6)
    parser.add_argument("--n", type=int, default=4000, help="mutations per seed")
    args = parser.parse_args()
    bases = [dump_yaml(read_eval(p)) for p in sorted((ROOT / "evals").glob("*.yaml"))]
    differences = 0
    for seed in range(1, args.seeds + 1):
        rng = random.Random(seed)
        compared = 0
        for _ in range(args.n):
            text = _mutate(rng.choice(bases), rng)
            fast = load_block_yaml(text)
            if fast is None:
                continue
            compared += 1
            for name, load in LOADERS.items():
                try:
                    expected = load(text)
                except Exception as exc:  # any error: the fast reader should have declined
                    print(f"seed {seed}: read a text {name} rejects: {exc}")
                    differences += 1
                    break
                if not same(fast, expected):
                    print(f"seed {seed}: differs from {name}")
                    differences += 1
                    break
        print(f"seed {seed}: {args.n} mutations, {compared} read by the fast reader and compared")
    print(f"{differences} difference(s)")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
