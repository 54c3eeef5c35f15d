#!/usr/bin/env bash
# Regenerate the committed example eval files from the demo (`make example-evals`):
#   evals/<suite>-<model>.yaml        every eval.yaml the demo's leaderboard ranks
#   docs/leaderboards/index.md        the leaderboard page built from evals/
#   docs/leaderboards/evals/          the page's copies of them (named by digest)
# The demo runs in a temporary folder on the toy data; eval.yaml files hold no local paths
# or user names (fmbench.results.privacy), which this script checks before copying.
#
# Usage: scripts/example_evals.sh [FMBENCH_BIN_DIR]    (from the repository root)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin_dir=${1:-$(dirname "$(command -v fmbench)")}
bin_dir=$(cd "$bin_dir" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/fmbench-example-evals.XXXXXX")
trap 'rm -rf "$work"' EXIT

bash "$root/scripts/demo.sh" "$work/demo" "$bin_dir" >"$work/demo.log" 2>&1 ||
    { tail -40 "$work/demo.log"; echo "example_evals: the demo failed (log above)" >&2; exit 1; }

"$bin_dir/python" - "$work/demo/results" "$root/evals" "$work" <<'PY'
import pathlib
import shutil
import sys

import yaml

results, evals, work = (pathlib.Path(p) for p in sys.argv[1:])
private = [str(work), str(pathlib.Path.home())]
files = sorted(results.glob("*/*/eval.yaml"))
if not files:
    sys.exit(f"example_evals: no eval.yaml under {results}")
for old in evals.glob("*.yaml"):
    old.unlink()
for path in files:
    text = path.read_text(encoding="utf-8")
    leaked = [p for p in private if p in text]
    if leaked:
        sys.exit(f"example_evals: {path} contains the local path {leaked[0]}; not copied")
    doc = yaml.safe_load(text)
    name = f"{doc['run_metadata']['suite_id']}-{doc['model_ids']['candidate']}.yaml"
    shutil.copyfile(path, evals / name)
    print(f"evals/{name}")
PY

cd "$root"
"$bin_dir/fmbench" validate evals/*.yaml
"$bin_dir/fmbench" build-leaderboard --results evals --output docs/leaderboards/index.md
