"""Single-cell recipes: Geneformer's rank-value encoding and scGPT's binned gene tokens.

Expected tokens and bins are worked out by hand in the tests from the published rules
(Geneformer ``tokenizer.py``; scGPT ``preprocess.py`` / ``data_collator.py`` /
``tasks/cell_emb.py``). The full paths run a randomly initialised Geneformer-V1-10M-shaped
BERT through the ``huggingface`` adapter and an scGPT stand-in through ``torch_module`` on a
small single-cell benchmark written in the test; nothing is downloaded.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from fmbench.adapters.recipes.base import RecipeContext, build_recipe
from fmbench.adapters.recipes.single_cell import (
    GeneformerRecipe,
    ScGPTRecipe,
    rank_value_encode,
    scgpt_binning,
)
from fmbench.errors import DataError, ModelError
from fmbench.plugin_system.specs import SuiteSpec

STANDINS = Path(__file__).parent / "standins"


def _ctx(model_dir: Path | None = None, adapter: str = "huggingface") -> RecipeContext:
    return RecipeContext(source="m.yaml", adapter=adapter, model_dir=model_dir)


# --- Geneformer ---------------------------------------------------------------------------


def test_rank_value_encoding_by_hand() -> None:
    counts = np.array([[10.0, 0.0, 5.0, 5.0], [0.0, 3.0, 0.0, 1.0]])
    tokens = np.array([100, 101, 102, 103])
    medians = np.array([2.0, 1.0, 0.5, 1.0])
    # cell 0, total 20: gene0 10/20*1e4/2 = 2500, gene2 5/20*1e4/0.5 = 5000, gene3 2500
    #   -> gene2 first; gene0 and gene3 tie and keep their column order
    # cell 1, total 4: gene1 3/4*1e4/1 = 7500, gene3 1/4*1e4/1 = 2500
    cells = rank_value_encode(counts, tokens, medians)
    assert [c.tolist() for c in cells] == [[102, 100, 103], [101, 103]]
    # the total counts change the scale, never a cell's order
    scaled = rank_value_encode(counts, tokens, medians, total_counts=np.array([1e6, 1.0]))
    assert [c.tolist() for c in scaled] == [[102, 100, 103], [101, 103]]
    with pytest.raises(DataError, match="no counts"):
        rank_value_encode(np.zeros((1, 4)), tokens, medians)


def _geneformer_files(folder: Path, genes: list[str], *, v2: bool = False) -> dict[str, str]:
    specials = {"<pad>": 0, "<mask>": 1, **({"<cls>": 2, "<eos>": 3} if v2 else {})}
    tokens = {**specials, **{g: 10 + 7 * i for i, g in enumerate(genes)}}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "token_dictionary.json").write_text(json.dumps(tokens))
    rows = ["ensembl_id\tmedian", *(f"{g}\t{1.0 + i}" for i, g in enumerate(genes))]
    (folder / "gene_median_dictionary.tsv").write_text("\n".join(rows) + "\n")
    return {
        "token_dictionary": str(folder / "token_dictionary.json"),
        "gene_median_dictionary": str(folder / "gene_median_dictionary.tsv"),
    }


def test_geneformer_v1_truncates_and_pads(tmp_path: Path) -> None:
    files = _geneformer_files(tmp_path, ["ENSG1", "ENSG2", "ENSG3"])
    recipe = build_recipe({"recipe": "geneformer", "model_input_size": 2, **files}, _ctx())
    info = {"gene_names": ["ENSG1", "ENSG2", "ENSG3", "OTHER"]}
    counts = np.array([[1.0, 4.0, 9.0, 100.0], [0.0, 2.0, 0.0, 0.0]])
    out = recipe(counts, info)
    # medians 1, 2, 3: cell 0 -> 1/1, 4/2, 9/3 (times 1e4/114): ENSG3 > ENSG2 > ENSG1, cut to 2
    assert out.arrays["input_ids"].tolist() == [[24, 17], [17, 0]]  # tokens 10, 17, 24; <pad> 0
    assert out.arrays["attention_mask"].tolist() == [[1, 1], [1, 0]]
    assert out.truncated == 1
    assert recipe.describe()["special_tokens"] is False  # no <cls>/<eos> in a V1 dictionary
    assert set(recipe.describe()["files"]) == {
        "token_dictionary.json",
        "gene_median_dictionary.tsv",
    }


def test_geneformer_v2_adds_cls_and_eos(tmp_path: Path) -> None:
    files = _geneformer_files(tmp_path, ["ENSG1", "ENSG2", "ENSG3"], v2=True)
    recipe = build_recipe({"recipe": "geneformer", "model_input_size": 4, **files}, _ctx())
    out = recipe(np.array([[1.0, 4.0, 9.0]]), {"gene_names": ["ENSG1", "ENSG2", "ENSG3"]})
    assert out.arrays["input_ids"].tolist() == [[2, 24, 17, 3]]  # <cls> 2 genes <eos>
    assert out.truncated == 1


def test_geneformer_refuses_what_it_cannot_encode(tmp_path: Path) -> None:
    files = _geneformer_files(tmp_path, ["ENSG1", "ENSG2"])
    recipe = build_recipe({"recipe": "geneformer", **files}, _ctx())
    with pytest.raises(DataError, match=r"none of the dataset's 2 genes.*Ensembl"):
        recipe(np.ones((1, 2)), {"gene_names": ["CD3E", "MS4A1"]})
    with pytest.raises(DataError, match="gene_names"):
        recipe(np.ones((1, 2)), {})
    with pytest.raises(DataError, match="raw counts"):
        recipe(-np.ones((1, 2)), {"gene_names": ["ENSG1", "ENSG2"]})
    with pytest.raises(DataError, match="cell 0 of the batch has no detected gene"):
        recipe(np.array([[0.0, 0.0, 3.0]]), {"gene_names": ["ENSG1", "ENSG2", "X"]})
    pickled = tmp_path / "token_dictionary.pkl"
    pickled.write_bytes(b"\x80\x04}\x94.")  # a pickled empty dict: never read
    with pytest.raises(ModelError, match="never pickle"):
        build_recipe({"recipe": "geneformer", **files, "token_dictionary": str(pickled)}, _ctx())
    with pytest.raises(ModelError, match="has no <cls>"):
        GeneformerRecipe(token_dictionary={"<pad>": 0}, gene_medians={}, special_tokens=True)


# --- scGPT -------------------------------------------------------------------------------


def test_scgpt_binning_by_hand() -> None:
    rng = np.random.default_rng(0)
    # 5 distinct values, 5 bins: edges = quantiles at 0, 1/3, 2/3, 1 = 1, 2.33, 3.67, 5
    assert scgpt_binning(np.array([1.0, 2.0, 3.0, 4.0, 5.0]), 5, rng).tolist() == [1, 1, 2, 3, 4]
    # zeros stay 0; the non-zero values are binned among themselves
    assert scgpt_binning(np.array([0.0, 1.0, 0.0, 5.0]), 5, rng).tolist() == [0, 1, 0, 4]
    assert scgpt_binning(np.zeros(3), 5, rng).tolist() == [0, 0, 0]
    # a value equal to several edges (here 1 = edges 0, 1, 2) lands uniformly in bins 1..3
    tied = scgpt_binning(np.array([1.0] * 3000 + [2.0]), 5, rng)
    assert tied[-1] == 4
    shares = np.bincount(tied[:-1], minlength=4)[1:] / 3000
    np.testing.assert_allclose(shares, [1 / 3] * 3, atol=0.04)


def _scgpt_folder(folder: Path, genes: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    vocab = {"<pad>": 0, **{g: i + 1 for i, g in enumerate(genes)}}  # no <cls>: appended
    (folder / "vocab.json").write_text(json.dumps(vocab))
    (folder / "args.json").write_text(json.dumps({"pad_token": "<pad>", "pad_value": -2}))
    return folder


def test_scgpt_tokens_values_and_padding(tmp_path: Path) -> None:
    folder = _scgpt_folder(tmp_path / "ckpt", ["A", "B", "C", "D", "E"])
    recipe = build_recipe({"recipe": "scgpt", "n_bins": 5}, _ctx(folder, "torch_module"))
    assert isinstance(recipe, ScGPTRecipe)
    cls_id = recipe.vocab["<cls>"]
    assert cls_id == 6  # appended after the 6 entries, as embed_data appends it
    info = {"gene_names": ["B", "X", "A", "C"]}  # X is not in the vocabulary: dropped
    counts = np.array([[1.0, 50.0, 2.0, 3.0], [0.0, 0.0, 7.0, 1.0]])
    out = recipe(counts, info)
    # cell 0: genes B, A, C (column order) with values 1, 2, 3 -> bins 1, 2, 4 for 5 bins
    #   (edges: quantiles of (1, 2, 3) = 1, 1.67, 2.33, 3; the top value goes to bin 4)
    # cell 1: genes A, C with values 7, 1 -> edges 1, 3, 5, 7 -> bins 4, 1; then padding
    assert out.arrays["src"].tolist() == [[cls_id, 2, 1, 3], [cls_id, 1, 3, 0]]
    assert out.arrays["values"].tolist() == [[-2, 1, 2, 4], [-2, 4, 1, -2]]
    assert out.arrays["src_key_padding_mask"].tolist() == [
        [False, False, False, False],
        [False, False, False, True],
    ]
    assert out.arrays["src_key_padding_mask"].dtype == bool


def test_scgpt_sampling_is_repeatable_and_batch_independent(tmp_path: Path) -> None:
    genes = [f"G{i}" for i in range(30)]
    folder = _scgpt_folder(tmp_path, genes)
    recipe = build_recipe({"recipe": "scgpt", "max_length": 6, "seed": 3}, _ctx(folder))
    rng = np.random.default_rng(1)
    counts = rng.poisson(3.0, size=(4, 30)).astype(float)
    info = {"gene_names": genes}
    together = recipe(counts, info)
    alone = recipe(counts[2:3], info)
    np.testing.assert_array_equal(together.arrays["src"][2], alone.arrays["src"][0])
    np.testing.assert_array_equal(together.arrays["values"][2], alone.arrays["values"][0])
    assert together.truncated == 4 and together.arrays["src"].shape == (4, 6)
    row = together.arrays["src"][0]
    assert row[0] == recipe.vocab["<cls>"] and len(set(row[1:])) == 5
    expressed = {recipe.vocab[g] for g, c in zip(genes, counts[0], strict=True) if c > 0}
    assert set(row[1:]) <= expressed
    other_seed = build_recipe({"recipe": "scgpt", "max_length": 6, "seed": 4}, _ctx(folder))
    assert not np.array_equal(other_seed(counts, info).arrays["src"], together.arrays["src"])


def test_scgpt_normalises_embeddings_like_cell_emb() -> None:
    recipe = ScGPTRecipe(vocab={"<pad>": 0, "<cls>": 1})
    out = recipe.postprocess(np.array([[3.0, 4.0], [0.0, 0.0]]))
    assert out.tolist() == [[0.6, 0.8], [0.0, 0.0]]
    raw = ScGPTRecipe(vocab={"<pad>": 0, "<cls>": 1}, normalise=False)
    assert raw.postprocess(np.array([[3.0, 4.0]])).tolist() == [[3.0, 4.0]]


# --- full paths ---------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.syspath_prepend(str(STANDINS))


def _write_cells(folder: Path, genes: list[str], seed: int = 0) -> Path:
    """A small count matrix: 90 cells of 3 types (each raising its own 5 marker genes) from
    9 donors, negative-binomial counts, with gene identifiers in info.json."""
    from fmbench.data.toy_files import write_array_dataset

    rng = np.random.default_rng(seed)
    n_cells, n_genes = 90, len(genes)
    cell_type = np.arange(n_cells) % 3
    base = rng.lognormal(0.0, 1.0, size=n_genes)
    means = np.tile(base, (3, 1))
    for t in range(3):
        means[t, 5 * t : 5 * t + 5] *= 6.0
    mu = means[cell_type] / means[cell_type].sum(axis=1, keepdims=True) * 800
    counts = rng.poisson(rng.gamma(3.0, mu / 3.0)).astype(np.int32)
    write_array_dataset(
        folder,
        X=counts,
        y=cell_type.astype(np.int64),
        metadata={"subject_id": [f"donor{i % 9}" for i in range(n_cells)]},
        info={"modality": "single_cell", "task": "classification", "gene_names": genes},
    )
    return folder


def _run_cells(tmp_path: Path, config: dict[str, Any], genes: list[str], name: str) -> Any:
    from fmbench.adapters.tiny import probe_suite_plugin
    from fmbench.models.config import parse_model_config
    from fmbench.plugin_system.registry import build_registry
    from fmbench.running.suite_run import RunOptions, run_suite

    cells = _write_cells(tmp_path / "cells", genes)
    registry = build_registry(
        external=False, extra_modules=(probe_suite_plugin(str(cells), name=name),)
    )
    return run_suite(
        registry,
        registry.get(SuiteSpec, f"SUITE-{name}"),
        parse_model_config(config, source="<t>"),
        tmp_path / "out",
        RunOptions(progress=False, use_cache=False),
    )


#: Geneformer V1, 6 layers (hub ctheodoris/Geneformer, the original "gf-6L-30M-i2048"
#: config.json): BERT, hidden 256, 6 layers, 4 heads, intermediate 512, ReLU, 2048 positions,
#: vocabulary 25,426 (genes + <pad> + <mask>), pad id 0. Saved as BertForMaskedLM, as the hub
#: checkpoint is, so the adapter loads its BertModel without a pooler (allow_missing).
GENEFORMER_V1_10M = {
    "vocab_size": 25426,
    "hidden_size": 256,
    "num_hidden_layers": 6,
    "num_attention_heads": 4,
    "intermediate_size": 512,
    "hidden_act": "relu",
    "max_position_embeddings": 2048,
    "pad_token_id": 0,
    "attention_probs_dropout_prob": 0.02,
    "hidden_dropout_prob": 0.02,
    "layer_norm_eps": 1e-12,
}


@pytest.mark.usefixtures("torch_one_thread")
def test_geneformer_through_huggingface_with_v1_10m_shapes(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from transformers import BertConfig, BertForMaskedLM

    genes = [f"ENSG{i:011d}" for i in range(40)]
    checkpoint = tmp_path / "geneformer_v1_random"
    torch.manual_seed(0)
    BertForMaskedLM(BertConfig(**GENEFORMER_V1_10M)).eval().save_pretrained(str(checkpoint))
    files = _geneformer_files(tmp_path / "dicts", genes)
    tokens = json.loads(Path(files["token_dictionary"]).read_text())
    assert max(tokens.values()) < GENEFORMER_V1_10M["vocab_size"]
    config = {
        "model_id": "geneformer_v1_random",
        "type": "huggingface",
        "path": str(checkpoint),
        "allow_missing": ["pooler.*"],
        "layer": -2,  # EmbExtractor's default: the second-to-last layer, mean over genes
        "pooling": "mean",
        "preprocess": {"recipe": "geneformer", **files},
        "batch_size": 16,
    }
    result = _run_cells(tmp_path, config, genes, "GF")
    record = result.outcomes[0].record
    assert record["status"] == "Completed", record
    assert record["protocol_details"]["embedding_dim"] == 256
    model = result.document.to_dict()["model"]
    assert model["preprocess"]["model_input_size"] == 2048
    assert model["n_parameters"] > 9_000_000  # 25,426 x 256 embeddings + 6 layers
    assert result.document.to_dict()["resources"]["model"]["truncated_sequences"] == 0


@pytest.mark.usefixtures("torch_one_thread")
def test_scgpt_through_torch_module(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    from recipe_standins import save_standin

    from fmbench.models.config import parse_model_config
    from fmbench.models.handle import load_model
    from fmbench.plugin_system.registry import build_registry

    genes = [f"GENE{i}" for i in range(40)]
    folder = _scgpt_folder(tmp_path / "scgpt", genes)
    weights = save_standin("ScGPTStandIn", folder)  # beside vocab.json and args.json
    config = {
        "model_id": "scgpt_standin",
        "type": "torch_module",
        "import_path": "recipe_standins:ScGPTStandIn",
        "weights": weights,
        "embed_method": "_encode",
        "pooling": "cls",
        "preprocess": {"recipe": "scgpt", "max_length": 32},
        "batch_size": 16,
    }
    result = _run_cells(tmp_path, config, genes, "SCGPT")
    record = result.outcomes[0].record
    assert record["status"] == "Completed", record
    assert result.document.to_dict()["model"]["preprocess"]["files"].keys() == {
        "vocab.json",
        "args.json",
    }
    model = load_model(build_registry(external=False), parse_model_config(config, source="<t>"))
    model.prepare({"gene_names": genes})
    counts = np.random.default_rng(0).poisson(2.0, size=(5, 40))
    embeddings = model.embed(counts)
    np.testing.assert_allclose(np.linalg.norm(embeddings, axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(model.embed(counts[3:4])[0], embeddings[3], atol=1e-6)
