"""Fuzz the fast YAML reader against ``yaml.safe_load`` (the long version of the test).

Usage: python bench/fuzz_yaml_reading.py [--seeds 4] [--n 2000]

Each of N random mutations (the mutations of ``tests/test_yaml_reading.py``) of a committed
eval file, rewritten by fmbench's writer, is read by
``fmbench.results.yaml_reading.load_fast``. When it does not decline, its document must be
exactly what ``yaml.safe_load`` (PyYAML's pure-Python loader) gives: same types and values all
the way down. Prints how many texts were compared and any difference (exit 1 if one is found).
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from test_yaml_reading import _mutate, same  # noqa: E402

from fmbench.results.eval_file import dump_yaml, read_eval  # noqa: E402
from fmbench.results.yaml_reading import load_fast  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--n", type=int, default=2000)
    args = parser.parse_args()
    bases = [dump_yaml(read_eval(p)) for p in sorted((ROOT / "evals").glob("*.yaml"))]
    compared = differences = 0
    for seed in range(args.seeds):
        rng = random.Random(seed)
        for _ in range(args.n):
            text = rng.choice(bases)
            for _ in range(rng.randrange(1, 4)):
                text = _mutate(text, rng)
            fast = load_fast(text)
            if fast is None:
                continue
            compared += 1
            try:
                expected = yaml.safe_load(text)
            except yaml.YAMLError as exc:
                expected = exc
            if not same(fast, expected):
                differences += 1
                print(f"seed {seed}: difference on {text[:200]!r}...")
    total = args.seeds * args.n
    print(f"{total} mutated texts, {compared} read by the fast reader and compared, "
          f"{differences} differences")  # fmt: skip
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
