"""DNA recipes: Nucleotide Transformer 6-mers, DNABERT k-mers, DNABERT-2 BPE, HyenaDNA characters.

The expected token ids are worked out in the tests from the published rules (base-4 k-mer
arithmetic for the Nucleotide Transformer vocabulary, the upstream tokenizer's own docstring
examples), not copied from the code under test. The full paths run a randomly initialised
model through the adapters on a small DNA benchmark built in the test; nothing is downloaded.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from fmbench.adapters.recipes.base import RecipeContext, build_recipe
from fmbench.adapters.recipes.dna import (
    HyenaDNARecipe,
    NucleotideTransformerRecipe,
    dnabert_kmers,
    nucleotide_transformer_tokens,
    nucleotide_transformer_vocabulary,
)
from fmbench.errors import ConfigError, DataError, ModelError
from fmbench.plugin_system.specs import SuiteSpec

STANDINS = Path(__file__).parent / "standins"


def _ctx(model_dir: Path | None = None, **kw: Any) -> RecipeContext:
    return RecipeContext(source="m.yaml", adapter="huggingface", model_dir=model_dir, **kw)


def _nt_id(token: str, version: int = 2) -> int:
    """The published v2 id of a token, by arithmetic: 6 special tokens, then the 4**6 6-mers
    in product order over A, T, C, G (a base-4 number), then A, T, C, G, N."""
    digits = {"A": 0, "T": 1, "C": 2, "G": 3}
    specials = {"<unk>": 0, "<pad>": 1, "<mask>": 2, "<cls>": 3, "<eos>": 4, "<bos>": 5}
    offset = 6 if version == 2 else 4
    if token in specials and (version == 2 or specials[token] < 4):
        return specials[token]
    if len(token) == 6:
        value = 0
        for c in token:
            value = 4 * value + digits[c]
        return offset + value
    return offset + 4096 + "ATCGN".index(token)


# --- Nucleotide Transformer --------------------------------------------------------------


def test_nt_tokens_match_the_upstream_docstring_examples() -> None:
    # nucleotide_transformer/tokenizers.py, NucleotidesKmersTokenizer.tokenize (k=5)
    assert " ".join(nucleotide_transformer_tokens("ATCGAATGGCGATGCAC", k=5)) == (
        "ATCGA ATGGC GATGC A C"
    )
    assert " ".join(nucleotide_transformer_tokens("ATCGAATNGGCGATGCAC", k=5)) == (
        "ATCGA A T N GGCGA TGCAC"
    )
    assert nucleotide_transformer_tokens("NNACGTACGTAN") == [
        "N", "N", "ACGTAC", "G", "T", "A", "N",
    ]  # fmt: skip
    assert nucleotide_transformer_tokens("") == []


def test_nt_vocabulary_is_the_published_one() -> None:
    v2 = nucleotide_transformer_vocabulary()
    assert len(v2) == 4107  # NT-v2 config: vocab_size 4107, pad_token_id 1, mask_token_id 2
    assert (v2["<pad>"], v2["<mask>"]) == (1, 2)
    for token in ("<cls>", "AAAAAA", "AAAAAT", "GGGGGG", "TACGCA", "A", "G", "N"):
        assert v2[token] == _nt_id(token), token
    v1 = nucleotide_transformer_vocabulary(version=1)
    assert v1["<cls>"] == 3 and v1["AAAAAA"] == 4 and v1["N"] == 4104
    assert (v1["<eos>"], v1["<bos>"]) == (4105, 4106)  # after the standard tokens in v1
    with pytest.raises(ValueError, match="version"):
        nucleotide_transformer_vocabulary(version=3)


def test_nt_recipe_ids_padding_and_truncation() -> None:
    recipe = NucleotideTransformerRecipe(vocab=nucleotide_transformer_vocabulary(), max_length=4)
    batch = ["ACGTAC" * 4, "acgtac", "ACGTNA"]
    out = recipe(batch, {})
    ids, mask = out.arrays["input_ids"], out.arrays["attention_mask"]
    assert ids.tolist() == [
        [_nt_id(t) for t in ("<cls>", "ACGTAC", "ACGTAC", "ACGTAC")],
        [_nt_id("<cls>"), _nt_id("ACGTAC"), 1, 1],  # lower case read as upper case; <pad> = 1
        [_nt_id(t) for t in ("<cls>", "A", "C", "G")],  # the 4th token (T) is cut
    ]
    assert mask.tolist() == [[1, 1, 1, 1], [1, 1, 0, 0], [1, 1, 1, 1]]
    assert out.truncated == 2  # 5 tokens and 7 tokens for max_length 4
    assert out.token_mask is mask and out.optional == {"attention_mask"}


def test_nt_other_letters_are_refused_or_read_as_n() -> None:
    strict = NucleotideTransformerRecipe(vocab=nucleotide_transformer_vocabulary())
    with pytest.raises(DataError, match="'R'.*other_bases_as_n"):
        strict(["ACGTRY"], {})
    lenient = NucleotideTransformerRecipe(
        vocab=nucleotide_transformer_vocabulary(), other_bases_as_n=True
    )
    assert lenient(["ACGTRY"], {}).arrays["input_ids"][0].tolist() == [
        _nt_id(t) for t in ("<cls>", "A", "C", "G", "T", "N", "N")
    ]
    with pytest.raises(DataError, match="sequences"):
        strict(np.zeros((2, 3)), {})


def test_nt_uses_the_checkpoint_vocab_when_there_is_one(tmp_path: Path) -> None:
    v1 = nucleotide_transformer_vocabulary(version=1)
    (tmp_path / "vocab.txt").write_text("\n".join(sorted(v1, key=v1.get)) + "\n")
    recipe = build_recipe({"recipe": "nucleotide_transformer"}, _ctx(tmp_path, max_length=12))
    assert isinstance(recipe, NucleotideTransformerRecipe)
    assert recipe.max_length == 12  # the adapter's max_length is the default
    assert recipe(["AAAAAA"], {}).arrays["input_ids"].tolist() == [[3, 4]]  # v1 ids
    assert recipe.describe()["vocabulary"]["file"] == "vocab.txt"
    generated = build_recipe("nucleotide_transformer", _ctx(None))
    assert generated.describe()["vocabulary"] == "published v2 vocabulary"
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "vocab.txt").write_text("<cls>\n<pad>\nA\n")
    with pytest.raises(ModelError, match="vocabulary lacks"):
        build_recipe("nucleotide_transformer", _ctx(tmp_path / "bad"))


# --- DNABERT (k-mers) --------------------------------------------------------------------


def test_dnabert_overlapping_kmers(tmp_path: Path) -> None:
    assert dnabert_kmers("ATGCGT", 3) == ["ATG", "TGC", "GCG", "CGT"]
    assert dnabert_kmers("AT", 3) == []
    import itertools

    kmers = ["".join(p) for p in itertools.product("ACGT", repeat=3)]
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *kmers]
    (tmp_path / "vocab.txt").write_text("\n".join(vocab) + "\n")
    recipe = build_recipe({"recipe": "dnabert", "max_length": 5}, _ctx(tmp_path))
    out = recipe(["ACGTN", "ACGTACG"], {})
    assert out.arrays["input_ids"].tolist() == [
        [2, vocab.index("ACG"), vocab.index("CGT"), 1, 3],  # GTN is not a k-mer: [UNK]
        [2, vocab.index("ACG"), vocab.index("CGT"), vocab.index("GTA"), 3],  # cut, [SEP] kept
    ]
    assert out.truncated == 1
    assert recipe.describe()["k"] == 3


# --- DNABERT-2 (BPE tokenizer.json) -------------------------------------------------------


def _train_bpe(folder: Path, sequences: list[str]) -> Path:
    """A small BPE tokenizer trained here with the tokenizers library, with DNABERT-2's
    special tokens and a [CLS] $A [SEP] post-processor, saved as tokenizer.json."""
    tokenizers = pytest.importorskip("tokenizers")
    specials = ["[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]"]
    unknown = "[UNK]"
    tokenizer = tokenizers.Tokenizer(tokenizers.models.BPE(unk_token=unknown))
    trainer = tokenizers.trainers.BpeTrainer(
        vocab_size=60, special_tokens=specials, show_progress=False
    )
    tokenizer.train_from_iterator(sequences, trainer)
    tokenizer.post_processor = tokenizers.processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 1), ("[SEP]", 2)]
    )
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer.save(str(folder / "tokenizer.json"))
    return folder / "tokenizer.json"


def _random_dna(n: int, length: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    return ["".join(rng.choice(list("ACGT"), size=length)) for _ in range(n)]


def test_dnabert2_reads_the_checkpoint_tokenizer_json(tmp_path: Path) -> None:
    path = _train_bpe(tmp_path / "ckpt", _random_dna(40, 120))
    recipe = build_recipe({"recipe": "dnabert2", "max_length": 10}, _ctx(tmp_path / "ckpt"))
    out = recipe(["ACGTACGTAC", "acgt" * 20, "AC"], {})
    ids, mask = out.arrays["input_ids"], out.arrays["attention_mask"]
    from tokenizers import Tokenizer

    reference = Tokenizer.from_file(str(path))
    pieces = reference.encode("ACGTACGTAC").tokens
    assert pieces[0] == "[CLS]" and pieces[-1] == "[SEP]"
    assert "".join(pieces[1:-1]) == "ACGTACGTAC"  # BPE pieces spell the sequence
    assert ids[0, : len(pieces)].tolist() == reference.encode("ACGTACGTAC").ids
    assert ids[1].tolist()[0] == 1 and ids[1].tolist()[-1] == 2  # cut, [SEP] kept
    assert mask[1].sum() == 10 and out.truncated == 1
    assert ids[2].tolist()[: int(mask[2].sum())] == reference.encode("AC").ids
    assert set(ids[2, int(mask[2].sum()) :].tolist()) == {3}  # [PAD] = 3
    assert recipe.describe()["tokenizer"]["file"] == "tokenizer.json"
    with pytest.raises(ConfigError, match=r"tokenizer: required"):
        build_recipe("dnabert2", _ctx(tmp_path / "nothing"))
    (tmp_path / "broken.json").write_text("{}")
    with pytest.raises(ModelError, match="cannot be read"):
        build_recipe({"recipe": "dnabert2", "tokenizer": str(tmp_path / "broken.json")}, _ctx())


# --- HyenaDNA ----------------------------------------------------------------------------


def test_hyenadna_characters_eos_and_padding() -> None:
    recipe = HyenaDNARecipe(max_length=5)
    out = recipe(["ACGTN", "acgtnac", "AC"], {})
    assert out.arrays["input_ids"].tolist() == [
        [7, 8, 9, 10, 11],
        [7, 8, 9, 10, 11],  # cut at the checkpoint's length
        [7, 8, 4, 4, 4],  # [PAD] = 4 on the right
    ]
    assert out.truncated == 1
    eos = HyenaDNARecipe(max_length=5, add_eos=True)(["ACGTNA", "AX"], {})
    assert eos.arrays["input_ids"].tolist() == [[7, 8, 9, 10, 1], [7, 6, 1, 4, 4]]
    left = HyenaDNARecipe(max_length=5, padding_side="left")(["AC", "ACG"], {})
    assert left.arrays["input_ids"].tolist() == [[4, 7, 8], [7, 8, 9]]
    assert left.token_mask.tolist() == [[0, 1, 1], [1, 1, 1]]


def test_hyenadna_length_comes_from_the_checkpoint_name() -> None:
    recipe = build_recipe(
        {"recipe": "hyenadna", "checkpoint": "hyenadna-tiny-1k-seqlen"}, _ctx(max_length=99)
    )
    assert recipe.describe()["max_length"] == 1024
    assert build_recipe("hyenadna", _ctx(max_length=99)).describe()["max_length"] == 99
    with pytest.raises(ConfigError, match="max_length: required"):
        build_recipe("hyenadna", _ctx())
    with pytest.raises(ConfigError, match="checkpoint: expected one of"):
        build_recipe({"recipe": "hyenadna", "checkpoint": "hyenadna-huge"}, _ctx())


# --- full paths through the adapters --------------------------------------------------------


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    # nothing here may reach the network, whatever the code does
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.syspath_prepend(str(STANDINS))


def _run_dna(tmp_path: Path, config: dict[str, Any], name: str) -> Any:
    from fmbench.adapters.tiny import probe_suite_plugin, write_dna_folder
    from fmbench.models.config import parse_model_config
    from fmbench.plugin_system.registry import build_registry
    from fmbench.running.suite_run import RunOptions, run_suite

    dna = write_dna_folder(tmp_path / "dna", n=80)
    registry = build_registry(
        external=False,
        extra_modules=(probe_suite_plugin(str(dna), name=name, split={"method": "predefined"}),),
    )
    options = RunOptions(progress=False, use_cache=False)
    return run_suite(
        registry,
        registry.get(SuiteSpec, f"SUITE-{name}"),
        parse_model_config(config, source="<t>"),
        tmp_path / "out",
        options,
    )


#: Nucleotide Transformer v2 50M (hub InstaDeepAI/nucleotide-transformer-v2-50m-multi-species,
#: config.json): an ESM with rotary positions. The v2 checkpoints' own code (trust_remote_code)
#: adds a gated, bias-free feed-forward that transformers' EsmModel lacks, so this model has
#: the v2 shapes of everything else (embeddings, attention, layers) but not of that block.
NT_V2_50M = {
    "vocab_size": 4107,
    "hidden_size": 512,
    "num_hidden_layers": 12,
    "num_attention_heads": 16,
    "intermediate_size": 2048,
    "max_position_embeddings": 2050,
    "position_embedding_type": "rotary",
    "pad_token_id": 1,
    "mask_token_id": 2,
    "token_dropout": False,
    "emb_layer_norm_before": False,
    "layer_norm_eps": 1e-12,
    "tie_word_embeddings": False,
}


@pytest.fixture(scope="module")
def nt_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch = pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from transformers import EsmConfig, EsmForMaskedLM

    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("nt_v2_50m")
    EsmForMaskedLM(EsmConfig(**NT_V2_50M)).eval().save_pretrained(str(folder))
    return folder


@pytest.mark.usefixtures("torch_one_thread")
def test_nt_recipe_through_huggingface_with_nt_v2_50m_shapes(
    tmp_path: Path, nt_checkpoint: Path
) -> None:
    config = {
        "model_id": "nt_v2_50m_random",
        "type": "huggingface",
        "path": str(nt_checkpoint),
        "allow_missing": ["pooler.*"],  # saved as EsmForMaskedLM, like the hub checkpoint
        "preprocess": {"recipe": "nucleotide_transformer", "max_length": 1000},
        "batch_size": 16,
    }
    result = _run_dna(tmp_path, config, "NT")
    record = result.outcomes[0].record
    assert record["status"] == "Completed", record
    assert record["protocol_details"]["embedding_dim"] == 512
    model = result.document.to_dict()["model"]
    assert model["preprocess"]["recipe"] == "nucleotide_transformer"
    assert model["preprocess"]["vocabulary"] == "published v2 vocabulary"
    assert len(model["preprocess_sha256"]) == 64
    assert model["model_type"] == "esm"
    assert result.document.to_dict()["resources"]["model"]["truncated_sequences"] == 0


@pytest.mark.usefixtures("torch_one_thread")
def test_nt_embedding_of_a_sequence_does_not_depend_on_its_batch(nt_checkpoint: Path) -> None:
    from fmbench.models.config import parse_model_config
    from fmbench.models.handle import load_model
    from fmbench.plugin_system.registry import build_registry

    config = {
        "model_id": "nt",
        "type": "huggingface",
        "path": str(nt_checkpoint),
        "allow_missing": ["pooler.*"],
        "preprocess": "nucleotide_transformer",
    }
    model = load_model(build_registry(external=False), parse_model_config(config, source="<t>"))
    alone = model.embed(["ACGTACGTTTGA"])
    padded = model.embed(["ACGTACGTTTGA", "GATTACA" * 20])
    np.testing.assert_allclose(alone[0], padded[0], atol=1e-5)


@pytest.mark.usefixtures("torch_one_thread")
def test_dnabert2_recipe_through_huggingface(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from transformers import BertConfig, BertModel

    folder = tmp_path / "dnabert2_tiny"
    _train_bpe(folder, _random_dna(60, 150, seed=1))
    torch.manual_seed(0)
    bert = BertConfig(
        vocab_size=60,
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=32,
        pad_token_id=3,
    )
    BertModel(bert).eval().save_pretrained(str(folder))
    config = {
        "model_id": "dnabert2_tiny",
        "type": "huggingface",
        "path": str(folder),
        "max_length": 24,
        "preprocess": "dnabert2",
    }
    result = _run_dna(tmp_path, config, "BPE")
    record = result.outcomes[0].record
    assert record["status"] == "Completed", record
    assert result.document.to_dict()["model"]["preprocess"]["max_length"] == 24
    # 20-40 bp sequences make more than 22 BPE pieces now and then: cut and counted
    assert result.document.to_dict()["resources"]["model"]["truncated_sequences"] >= 0


@pytest.mark.usefixtures("torch_one_thread")
def test_hyenadna_recipe_through_torch_module(tmp_path: Path) -> None:
    from recipe_standins import save_standin

    config = {
        "model_id": "hyena_standin",
        "type": "torch_module",
        "import_path": "recipe_standins:HyenaDNAStandIn",
        "weights": save_standin("HyenaDNAStandIn", tmp_path / "w"),
        "preprocess": {"recipe": "hyenadna", "checkpoint": "hyenadna-tiny-1k-seqlen"},
        "pooling": "mean",
        "batch_size": 8,
    }
    result = _run_dna(tmp_path, config, "HYENA")
    record = result.outcomes[0].record
    assert record["status"] == "Completed", record
    assert record["protocol_details"]["embedding_dim"] == 8
    assert result.document.to_dict()["model"]["preprocess"]["max_length"] == 1024
    assert result.document.to_dict()["resources"]["model"]["truncated_inputs"] == 0


@pytest.mark.usefixtures("torch_one_thread")
def test_torch_module_masked_mean_ignores_right_padding(tmp_path: Path) -> None:
    from recipe_standins import save_standin

    from fmbench.models.config import parse_model_config
    from fmbench.models.handle import load_model
    from fmbench.plugin_system.registry import build_registry

    config = {
        "model_id": "hyena",
        "type": "torch_module",
        "import_path": "recipe_standins:HyenaDNAStandIn",
        "weights": save_standin("HyenaDNAStandIn", tmp_path),
        "preprocess": {"recipe": "hyenadna", "max_length": 64},
    }
    model = load_model(build_registry(external=False), parse_model_config(config, source="<t>"))
    alone = model.embed(["ACGTAC"])
    batched = model.embed(["ACGTAC", "GATTACA" * 5])
    np.testing.assert_allclose(alone[0], batched[0], atol=1e-6)
    described = json.loads(json.dumps(model.describe()))
    assert described["preprocess"] == {
        "recipe": "hyenadna",
        "max_length": 64,
        "add_eos": False,
        "padding_side": "right",
    }
