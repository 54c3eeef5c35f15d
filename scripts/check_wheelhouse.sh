#!/usr/bin/env bash
# Install fmbench the way a user does, and prove it works.
#
# 1. Wheels of the core (`fmbench-core`), both domain packages, the example plugins and a
#    freshly scaffolded plugin of every kind (`fmbench plugins new`) go into one wheelhouse,
#    each built from its sdist in an isolated environment (`python -m build`), so that the
#    wheels hold exactly what a release would publish.
# 2. A fresh virtual environment installs `fmbench-neuro fmbench-genomics` BY NAME from the
#    wheelhouse; the core comes in as their dependency. Third-party dependencies come from the
#    package index, pinned by the project's constraints file.
# 3. `fmbench plugins list` must show the core's built-ins and both packages loaded; one suite
#    of each package runs with a model named on the command line (no config file), and its
#    eval.yaml validates.
# 4. The example plugins and scaffolds are installed by name with their [test] extra, and each
#    package's own tests run against the installed wheel, from a folder holding only its tests.
#
#   bash scripts/check_wheelhouse.sh        (make wheels-check; `make test` runs it)
#
# Environment: PYTHON (default python3); CONSTRAINTS (default: the repository's
# constraints.txt); WHEELHOUSE: a folder of already built core and package wheels (the release
# workflow passes its dist/), which skips building those; KEEP=1 keeps the work folder.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
CONSTRAINTS="${CONSTRAINTS:-$ROOT/constraints.txt}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/fmbench-wheelhouse.XXXXXX")"
if [[ "${KEEP:-0}" != "1" ]]; then trap 'rm -rf "$WORK"' EXIT; else echo "work folder: $WORK"; fi

WH="$WORK/wheelhouse"
VENV="$WORK/venv"
PY="$VENV/bin/python"
PIP=("$PY" -m pip install -q -c "$CONSTRAINTS")
KINDS=(probe benchmark metric adapter reporter)
mkdir -p "$WH"

echo "== fresh virtual environment: $VENV"
"$PYTHON" -m venv "$VENV"
"${PIP[@]}" --upgrade pip
"${PIP[@]}" build

build() {  # build one package's wheel from its sdist, with pinned build requirements
    PIP_CONSTRAINT="$CONSTRAINTS" "$PY" -m build -q --outdir "$WORK/dist" "$1" >/dev/null
    cp "$WORK"/dist/*.whl "$WH"/ && rm -rf "$WORK/dist"
}

if [[ -n "${WHEELHOUSE:-}" ]]; then
    echo "== wheels from $WHEELHOUSE"
    cp "$WHEELHOUSE"/*.whl "$WH"/
else
    echo "== wheels of the core and the domain packages"
    for package in "$ROOT" "$ROOT/fmbench-neuro" "$ROOT/fmbench-genomics"; do build "$package"; done
fi
for package in "$ROOT"/plugins/fmbench-example-*/; do build "$package"; done
ls "$WH"

echo "== pip install --find-links WHEELHOUSE fmbench-neuro fmbench-genomics (by name)"
"${PIP[@]}" --find-links "$WH" fmbench-neuro fmbench-genomics
FMBENCH="$VENV/bin/fmbench"
"$PY" -m pip show fmbench-core | grep -E '^(Name|Version|Required-by):'

cd "$WORK"
echo "== fmbench plugins list"
"$FMBENCH" plugins list | tee plugins.txt
for name in fmbench.builtin fmbench-neuro fmbench-genomics; do
    grep -qE "^$name .*\[loaded\]" plugins.txt || { echo "FAILED: $name is not loaded" >&2; exit 1; }
done

echo "== one suite of each package, the model named on the command line"
"$FMBENCH" list-models
"$FMBENCH" generate-toy-data >/dev/null
"$FMBENCH" run --suite SUITE-NEURO-CLASS-001 --model baseline_fmri_connectivity \
    --out runs/neuro --no-progress
"$FMBENCH" run --suite SUITE-DNA-CLASS --model baseline_kmer4 --out runs/dna --no-progress
"$FMBENCH" validate runs/neuro/eval.yaml runs/dna/eval.yaml

echo "== scaffolds: fmbench plugins new fmbench-scaffold-<kind> --kind <kind>"
PACKAGES=("$ROOT"/plugins/fmbench-example-*/)
for kind in "${KINDS[@]}"; do
    "$FMBENCH" plugins new "fmbench-scaffold-$kind" --kind "$kind" --dir "$WORK/scaffolds" >/dev/null
    build "$WORK/scaffolds/fmbench-scaffold-$kind"
    PACKAGES+=("$WORK/scaffolds/fmbench-scaffold-$kind/")
done

echo "== install every plugin by name with its [test] extra"
specs=()
for package in "${PACKAGES[@]}"; do specs+=("$(basename "$package")[test]"); done
"${PIP[@]}" --find-links "$WH" "${specs[@]}"
"$FMBENCH" plugins list

failed=0
for package in "${PACKAGES[@]}"; do
    name="$(basename "$package")"
    run="$WORK/tests/$name"
    mkdir -p "$run"
    cp -r "$package/tests" "$run/tests"
    cp "$package/pyproject.toml" "$run/pyproject.toml"   # its pytest settings, nothing else
    echo "== $name: pytest"
    if ! (cd "$run" && "$PY" -m pytest -q -p no:cacheprovider tests); then
        echo "FAILED: $name" >&2
        failed=1
    fi
done
exit "$failed"
