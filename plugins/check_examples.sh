#!/usr/bin/env bash
# Build each example plugin under plugins/ and a freshly scaffolded plugin of every kind
# (`fmbench plugins new`) as a wheel, install them all into ONE fresh virtual environment next
# to the local core (not editable, as a user installs them), and run each package's own tests
# there, from a folder that holds only its tests (so the installed wheel is what is tested).
#
#   bash plugins/check_examples.sh          (make plugins-check; `make test` runs it)
#
# Environment: PYTHON (default python3), KEEP=1 keeps the work folder for a look afterwards.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/fmbench-plugins-check.XXXXXX")"
if [[ "${KEEP:-0}" != "1" ]]; then trap 'rm -rf "$WORK"' EXIT; else echo "work folder: $WORK"; fi

VENV="$WORK/venv"
PY="$VENV/bin/python"
KINDS=(probe benchmark metric adapter reporter)

echo "== fresh virtual environment: $VENV"
"$PYTHON" -m venv "$VENV"
"$PY" -m pip install -q --upgrade "setuptools>=68" wheel

echo "== the core, from $ROOT"
# A copy without build leftovers, so the core's wheel is built from the sources alone.
mkdir -p "$WORK/core"
tar -C "$ROOT" --exclude=.venv --exclude=build --exclude='*.egg-info' --exclude=.git \
    --exclude=toy_data --exclude=plugins --exclude='fmbench-*' -cf - . | tar -C "$WORK/core" -xf -
"$PY" -m pip wheel -q --no-deps --no-build-isolation -w "$WORK/wheels" "$WORK/core"

echo "== scaffolds: fmbench plugins new fmbench-scaffold-<kind> --kind <kind>"
"$PY" -m pip install -q "$WORK"/wheels/fmbench-*.whl
PACKAGES=("$ROOT"/plugins/fmbench-example-*/)
for kind in "${KINDS[@]}"; do
    "$VENV/bin/fmbench" plugins new "fmbench-scaffold-$kind" --kind "$kind" --dir "$WORK/scaffolds" >/dev/null
    PACKAGES+=("$WORK/scaffolds/fmbench-scaffold-$kind/")
done

echo "== wheels of ${#PACKAGES[@]} plugin packages"
for package in "${PACKAGES[@]}"; do
    "$PY" -m pip wheel -q --no-deps --no-build-isolation -w "$WORK/wheels" "$package"
done

echo "== install every plugin wheel with its [test] extra"
specs=()
for package in "${PACKAGES[@]}"; do
    name="$(basename "$package")"
    wheel="$(ls "$WORK"/wheels/"${name//-/_}"-*.whl)"
    specs+=("$wheel[test]")
done
"$PY" -m pip install -q "${specs[@]}"
"$VENV/bin/fmbench" plugins list

failed=0
for package in "${PACKAGES[@]}"; do
    name="$(basename "$package")"
    run="$WORK/run/$name"
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
