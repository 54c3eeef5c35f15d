"""The model catalogue: cards, their example configs, and the generated docs page."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from fmbench.models.config import read_model_config
from fmbench.plugin_system.registry import build_registry
from fmbench.plugin_system.specs import ModelAdapterSpec

ROOT = Path(__file__).resolve().parent.parent
EXPECTED = {
    "BrainLM",
    "Brain-JEPA",
    "LaBraM (base)",
    "BENDR",
    "Geneformer",
    "scGPT",
    "DNABERT-2 (117M)",
    "HyenaDNA",
    "Nucleotide Transformer",
    "Caduceus",
    "SpliceAI-10k",
    "ICLabel (ICLabelNet)",
}


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_models_page", ROOT / "docs" / "gen_models_page.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_expected_model_has_a_card() -> None:
    cards = _generator().read_cards(ROOT / "models")
    assert {c["name"] for c in cards} >= EXPECTED
    assert len({c["model_id"] for c in cards}) == len(cards)


def test_a_card_claims_a_run_only_with_the_weights_it_ran() -> None:
    """Either 'not run here', or the real weights that were run and a model-card page."""
    generator = _generator()
    run = []
    for card in generator.read_cards(ROOT / "models"):
        if card["status"] == generator.NOT_RUN:
            assert "weights" not in card, card["_file"]
            continue
        assert card["status"] == generator.RUN_HERE, card["_file"]
        assert card.get("weights") and card.get("page"), card["_file"]
        assert (ROOT / "docs" / "models" / card["page"]).is_file(), card["page"]
        config = read_model_config(ROOT / card["config"])
        assert config.settings.get("weights_sha256"), "a run names hash-checked weights"
        assert "not checked here" not in card["licence"], card["_file"]  # a licence read
        run.append(card["name"])
    assert sorted(run) == ["ICLabel (ICLabelNet)", "SpliceAI-10k"]


@pytest.mark.parametrize("card", _generator().read_cards(ROOT / "models"), ids=lambda c: c["_file"])
def test_example_configs_parse_and_use_allowed_keys(card: dict) -> None:
    registry = build_registry(external=False)
    config = read_model_config(ROOT / card["config"])
    assert config.type == card["adapter"]
    assert config.model_id == card["model_id"]
    adapter = registry.get(ModelAdapterSpec, config.type)
    unknown = set(config.settings) - set(adapter.config_keys)
    assert not unknown, f"{card['config']}: keys not allowed for {config.type}: {unknown}"


def test_models_page_is_up_to_date() -> None:
    generator = _generator()
    page = (ROOT / "docs" / "models" / "index.md").read_text(encoding="utf-8")
    assert page == generator.render(generator.read_cards(ROOT / "models")), (
        "docs/models/index.md is out of date: run python docs/gen_models_page.py"
    )
    assert (
        "Real weights run with fmbench by its developers: SpliceAI-10k, ICLabel (ICLabelNet)"
        in " ".join(page.split())
    )
    assert "Every other card is a recipe only" in page


def test_generator_check_mode_in_a_subprocess(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "gen_models_page.py"), "--check"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
