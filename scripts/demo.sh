#!/usr/bin/env bash
# The demo (`make demo`): what fmbench is for, on the toy data only (synthetic, generated
# here; offline; about 3 minutes on 2 cores).
#
#   1. a smoke run (--limit) that checks the set-up in seconds;
#   2. two models on the same suites: each suite's baseline (a model that uses the signal)
#      and dummy_embedder, a chance-level reference that ignores its input (seeded random
#      embeddings), run on four suites in one command (several --suite);
#   3. a robustness run of a model that uses the signal (baseline_eeg_bandpower_lr) and of
#      the chance-level dummy_classifier, through the EEG probes;
#   4. validate, then a leaderboard that ranks both models on every benchmark.
#
# Usage: scripts/demo.sh DEMO_DIR [FMBENCH_BIN_DIR]
# scripts/example_evals.sh turns a demo folder into the committed example eval files.
set -euo pipefail

demo_dir=${1:?usage: scripts/demo.sh DEMO_DIR [FMBENCH_BIN_DIR]}
bin_dir=${2:-$(dirname "$(command -v fmbench)")}
bin_dir=$(cd "$bin_dir" && pwd)
fmbench() { "$bin_dir/fmbench" "$@"; }

rm -rf "$demo_dir"
mkdir -p "$demo_dir"
cd "$demo_dir"

step() { printf '\n=== %s\n' "$*"; }

step "installed plugins"
fmbench plugins list

step "toy data (synthetic, generated here)"
fmbench generate-toy-data

step "smoke run: 40 samples, seconds (marked; fmbench validate refuses it as a submission)"
fmbench run --suite SUITE-TOY-PROBE --model raw_features_baseline --limit 40 --out smoke_run \
    --no-progress
if fmbench validate smoke_run/eval.yaml; then
    echo "demo: a smoke run was accepted as a submission" >&2
    exit 1
fi

step "baselines (models that use the signal), one per suite"
fmbench run --suite SUITE-TOY-PROBE --model raw_features_baseline \
    --out results/baselines/SUITE-TOY-PROBE --no-progress
fmbench run --suite SUITE-NEURO-CLASS-001 --model baseline_fmri_connectivity \
    --out results/baselines/SUITE-NEURO-CLASS-001 --no-progress
fmbench run --suite SUITE-GEN-CLASS-001 --model baseline_expression_pca_logreg \
    --out results/baselines/SUITE-GEN-CLASS-001 --no-progress
fmbench run --suite SUITE-DNA-CLASS --model baseline_kmer4 \
    --out results/baselines/SUITE-DNA-CLASS --no-progress

step "a model that ignores its input (dummy_embedder) on the same four suites, one command"
fmbench run --suite SUITE-TOY-PROBE --suite SUITE-NEURO-CLASS-001 --suite SUITE-GEN-CLASS-001 \
    --suite SUITE-DNA-CLASS --model dummy_embedder --out results/dummy_embedder --no-progress

step "robustness: EEG probes on a model that uses the signal, and on a chance-level one"
fmbench run --suite SUITE-ROBUSTNESS-NEURO --model baseline_eeg_bandpower_lr \
    --out results/robustness/baseline_eeg_bandpower_lr --no-progress
fmbench run --suite SUITE-ROBUSTNESS-NEURO --model dummy_classifier \
    --out results/robustness/dummy_classifier --no-progress

step "validate every result"
fmbench validate results/*/*/eval.yaml

step "leaderboard: every benchmark ranks both models"
fmbench build-leaderboard --results results --out leaderboard

step "$demo_dir/results/robustness/baseline_eeg_bandpower_lr/report.md (its robustness summary)"
sed -n '/^## Robustness/,/^#### /p' results/robustness/baseline_eeg_bandpower_lr/report.md
step "$demo_dir/leaderboard/index.md (the boards; also index.html, leaderboard.json/.csv)"
sed -n '/^## /,$p' leaderboard/index.md | grep -v '^$' | head -60
