"""The ``preprocess:`` key of model configs: naming a recipe, its parameters, its errors, the
example configs' recipe blocks, and that the recipe table imports nothing heavy."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from fmbench.adapters.recipes import RECIPES
from fmbench.adapters.recipes.base import ModelInputs, Recipe, RecipeContext, build_recipe
from fmbench.errors import ConfigError, ModelError

ROOT = Path(__file__).resolve().parent.parent


def _ctx(model_dir: Path | None = None) -> RecipeContext:
    return RecipeContext(source="cfg.yaml", adapter="huggingface", model_dir=model_dir)


def test_recipe_names_and_parameters_are_checked() -> None:
    with pytest.raises(
        ConfigError, match=r"unknown recipe 'geneformr' \(did you mean 'geneformer'"
    ):
        build_recipe("geneformr", _ctx())
    with pytest.raises(ConfigError, match="give the recipe's name"):
        build_recipe({"max_length": 5}, _ctx())
    with pytest.raises(ConfigError, match="expected a recipe name or a mapping"):
        build_recipe(["hyenadna"], _ctx())
    with pytest.raises(
        ConfigError,
        match=r"cfg\.yaml \(type huggingface, preprocess hyenadna\): max_lenght: unknown key "
        r"\(did you mean 'max_length'",
    ):
        build_recipe({"recipe": "hyenadna", "max_length": 8, "max_lenght": 9}, _ctx())
    with pytest.raises(ConfigError, match="max_length: expected an integer"):
        build_recipe({"recipe": "hyenadna", "max_length": "long"}, _ctx())
    with pytest.raises(ModelError, match=r"vocab: file not found: .*nowhere\.txt"):
        build_recipe({"recipe": "nucleotide_transformer", "vocab": "/nowhere.txt"}, _ctx())


USER_RECIPE = """
import numpy as np
from fmbench.adapters.recipes.base import ModelInputs, Recipe


class Doubled(Recipe):
    name = "doubled"

    def __init__(self, factor):
        self.factor = factor

    @classmethod
    def from_config(cls, params, context):
        return cls(params.number("factor", 2.0))

    def __call__(self, batch, info):
        return ModelInputs(arrays={"x": np.asarray(batch, dtype=np.float32) * self.factor})


class NotARecipe:
    pass
"""


def test_a_recipe_of_ones_own_by_import_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "my_recipes.py").write_text(USER_RECIPE)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    recipe = build_recipe({"recipe": "my_recipes:Doubled", "factor": 3}, _ctx())
    out = recipe(np.ones((2, 2)), {})
    assert isinstance(out, ModelInputs) and out.arrays["x"].tolist() == [[3, 3], [3, 3]]
    assert recipe.describe() == {"recipe": "doubled"}
    with pytest.raises(ConfigError, match="is not a fmbench.adapters.recipes.base.Recipe"):
        build_recipe("my_recipes:NotARecipe", _ctx())


def test_model_inputs_must_agree_on_the_batch() -> None:
    with pytest.raises(ModelError, match="different lengths"):
        ModelInputs(arrays={"a": np.zeros((2, 3)), "b": np.zeros((3, 3))})
    with pytest.raises(ModelError, match="different lengths"):
        ModelInputs(arrays={})
    assert Recipe().describe() == {"recipe": "recipe"}


def _fake_files(folder: Path) -> dict[str, Any]:
    """Small valid stand-ins for the files the example configs point at."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "token_dictionary.json").write_text(json.dumps({"<pad>": 0, "<mask>": 1, "G": 2}))
    (folder / "gene_median_dictionary.json").write_text(json.dumps({"G": 1.5}))
    (folder / "vocab.json").write_text(json.dumps({"<pad>": 0, "G": 1}))
    (folder / "A424_Coordinates.dat").write_text("1 0 0 0\n2 1 1 1\n")
    return {
        "token_dictionary": str(folder / "token_dictionary.json"),
        "gene_median_dictionary": str(folder / "gene_median_dictionary.json"),
        "vocab": str(folder / "vocab.json"),
        "coordinates": str(folder / "A424_Coordinates.dat"),
    }


CONFIGS_WITH_RECIPES = sorted(
    p
    for p in (ROOT / "configs").glob("model_*.yaml")
    if isinstance(yaml.safe_load(p.read_text()).get("preprocess"), dict)
)


def test_the_example_configs_name_recipes() -> None:
    named = {yaml.safe_load(p.read_text())["preprocess"]["recipe"] for p in CONFIGS_WITH_RECIPES}
    assert named >= {
        "nucleotide_transformer", "dnabert2", "hyenadna", "geneformer", "scgpt", "bendr",
        "labram", "brainlm",
    }  # fmt: skip
    assert named <= set(RECIPES)


@pytest.mark.parametrize("config_path", CONFIGS_WITH_RECIPES, ids=lambda p: p.stem)
def test_example_config_recipes_build(config_path: Path, tmp_path: Path) -> None:
    """Each example config's preprocess block builds once its /path/to files exist."""
    data = yaml.safe_load(config_path.read_text())
    block = dict(data["preprocess"])
    files = _fake_files(tmp_path)
    for key, value in block.items():
        if isinstance(value, str) and value.startswith("/path/to"):
            block[key] = files[key]
    if block["recipe"] == "dnabert2":
        tokenizers = pytest.importorskip("tokenizers")
        tokenizer = tokenizers.Tokenizer(
            tokenizers.models.WordLevel({"[PAD]": 0, "[UNK]": 1}, unk_token="[UNK]")  # noqa: S106 (a vocabulary token)
        )
        tokenizer.save(str(tmp_path / "tokenizer.json"))
    context = RecipeContext(
        source=str(config_path),
        adapter=data["type"],
        model_dir=tmp_path,
        max_length=data.get("max_length"),
    )
    recipe = build_recipe(block, context)
    assert recipe.name == block["recipe"]


def test_the_recipe_table_imports_nothing_heavy() -> None:
    script = (
        "import sys, fmbench.adapters.recipes, fmbench.adapters.config_keys;"
        "print(sorted(m for m in ('numpy', 'torch', 'tokenizers', 'scipy') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"


def test_an_unknown_recipe_fails_before_the_weights_are_read(tmp_path: Path) -> None:
    from fmbench.models.config import parse_model_config
    from fmbench.models.handle import load_model
    from fmbench.plugin_system.registry import build_registry

    weights = tmp_path / "w.safetensors"
    weights.write_bytes(b"not read")
    config = parse_model_config(
        {
            "model_id": "m",
            "type": "torch_module",
            "import_path": "nowhere_module:Net",
            "weights": str(weights),
            "preprocess": {"recipe": "labram", "patch_sise": 100},
        },
        source="m.yaml",
    )
    pytest.importorskip("torch")
    pytest.importorskip("safetensors")
    with pytest.raises(ConfigError, match=r"patch_sise: unknown key \(did you mean 'patch_size'"):
        load_model(build_registry(external=False), config)
