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

demo: install
	rm -rf $(DEMO_DIR) && mkdir -p $(DEMO_DIR)
	cd $(DEMO_DIR) && ../$(BIN)/fmbench plugins list
	cd $(DEMO_DIR) && ../$(BIN)/python -m fmbench generate-toy-data
	cd $(DEMO_DIR) && ../$(BIN)/python -m fmbench run --suite SUITE-TOY-CLASS \
		--model ../configs/model_dummy_classifier.yaml --out results/my_first_run
	cd $(DEMO_DIR) && ../$(BIN)/fmbench validate results/my_first_run/eval.yaml
	@echo "--- $(DEMO_DIR)/results/my_first_run/report.md"
	@head -40 $(DEMO_DIR)/results/my_first_run/report.md

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
