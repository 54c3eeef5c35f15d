"""Single-cell recipes: Geneformer's rank-value encoding and scGPT's binned gene tokens.

Both read a cells x genes matrix of raw counts (dense or sparse rows) and the dataset's gene
identifiers (``info["gene_names"]`` by default; ``gene_key`` names another info entry). Genes
that the model's dictionary does not know are left out, as the upstream code leaves them out.

Example:
    >>> import numpy as np
    >>> rank_value_encode(np.array([[4.0, 0.0, 1.0]]), np.array([10, 11, 12]),
    ...                   np.array([2.0, 1.0, 0.25]), target_sum=1.0)[0].tolist()
    [12, 10]
    >>> scgpt_binning(np.array([1.0, 2.0, 3.0, 4.0, 5.0]), n_bins=5,
    ...               rng=np.random.default_rng(0)).tolist()
    [1, 1, 2, 3, 4]
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import attrs
import numpy as np

from fmbench.adapters.recipes.base import (
    FileRef,
    ModelInputs,
    Recipe,
    RecipeContext,
    RecipeParams,
    dense_rows,
    info_list,
    pad_rows,
    read_numeric_mapping,
    read_token_mapping,
    sample_rng,
)
from fmbench.errors import DataError, ModelError

__all__ = [
    "GeneformerRecipe",
    "ScGPTRecipe",
    "rank_value_encode",
    "scgpt_binning",
]


def _columns(genes: list[str], known: Mapping[str, Any], *, recipe: str, key: str) -> np.ndarray:
    columns = np.array([i for i, g in enumerate(genes) if g in known], dtype=np.int64)
    if columns.size == 0:
        raise DataError(
            f"the {recipe} recipe: none of the dataset's {len(genes)} genes (info[{key!r}], e.g. "
            f"{genes[0]!r}) is in the model's gene dictionary; give the identifiers it is keyed "
            "by (Geneformer: Ensembl IDs; scGPT: gene symbols) with gene_key"
        )
    return columns


def _counts(batch: Any, recipe: str) -> np.ndarray:
    counts = dense_rows(batch, ndim=2, recipe=recipe)
    if np.any(counts < 0) or not np.all(np.isfinite(counts)):
        raise DataError(
            f"the {recipe} recipe reads raw counts; the batch has negative or non-finite values"
        )
    return counts


# --- Geneformer ------------------------------------------------------------------------


def rank_value_encode(
    counts: np.ndarray,
    tokens: np.ndarray,
    medians: np.ndarray,
    *,
    total_counts: np.ndarray | None = None,
    target_sum: float = 10_000.0,
) -> list[np.ndarray]:
    """Geneformer's rank-value encoding of each cell (row): the tokens of its detected genes,
    ordered by normalised expression, highest first.

    Normalised expression = count / the cell's total counts * ``target_sum`` / the gene's
    non-zero median over the pretraining corpus (the model's gene-median dictionary). Source:
    ``geneformer/tokenizer.py`` (``TranscriptomeTokenizer.tokenize_anndata``, ``rank_genes``;
    hub ctheodoris/Geneformer). Ties keep the columns' order (a stable sort; upstream's
    ``np.argsort`` default is not stable, so its order among exact ties is unspecified).

    Args:
        counts: (cells, genes) raw counts of the genes that are in the dictionary.
        tokens: (genes,) token id of each column.
        medians: (genes,) non-zero median of each column's gene.
        total_counts: (cells,) counts per cell over the whole transcriptome (upstream: the
            ``n_counts`` column); by default the row sums of ``counts``.
    """
    totals = counts.sum(axis=1) if total_counts is None else np.asarray(total_counts, float)
    if np.any(totals <= 0):
        raise DataError("the geneformer recipe: a cell has no counts (total counts 0)")
    normalised = counts / totals[:, None] * target_sum / medians[None, :]
    cells = []
    for row in normalised:
        detected = np.flatnonzero(row)
        order = np.argsort(-row[detected], kind="stable")
        cells.append(tokens[detected][order])
    return cells


@attrs.frozen(kw_only=True)
class GeneformerRecipe(Recipe):
    """Geneformer: rank-value encoded genes (:func:`rank_value_encode`), truncated to the
    model's input size; with special tokens (the V2 models, whose dictionary has ``<cls>`` and
    ``<eos>``) ``<cls>`` + the first ``model_input_size - 2`` genes + ``<eos>``, as
    ``TranscriptomeTokenizer(special_token=True)`` writes them; padded with ``<pad>``.

    Needs the model's token dictionary (Ensembl ID -> token) and gene-median dictionary
    (Ensembl ID -> non-zero median), as JSON or two-column TSV: fmbench reads no pickle, so
    convert the upstream ``.pkl`` files once (docs/adapters.md, Recipes). A cell's total counts
    are its row sum over all genes of the dataset (upstream reads them from ``n_counts``).
    Embeddings: Geneformer's ``EmbExtractor`` averages the genes' states of the second-to-last
    layer for V1 models (``layer: -2``, ``pooling: mean``) and takes ``<cls>`` for V2.
    """

    name: ClassVar[str] = "geneformer"

    token_dictionary: Mapping[str, int]
    gene_medians: Mapping[str, float]
    model_input_size: int = 2048
    special_tokens: bool = False
    target_sum: float = 10_000.0
    gene_key: str = "gene_names"
    files: tuple[FileRef, ...] = ()
    _columns_cache: dict[tuple[str, ...], np.ndarray] = attrs.field(
        factory=dict, init=False, eq=False, repr=False
    )

    def __attrs_post_init__(self) -> None:
        needed = ["<pad>", *(("<cls>", "<eos>") if self.special_tokens else ())]
        missing = [t for t in needed if t not in self.token_dictionary]
        if missing:
            raise ModelError(f"geneformer recipe: the token dictionary has no {', '.join(missing)}")
        if self.special_tokens and self.model_input_size < 3:
            raise ModelError("geneformer recipe: model_input_size must leave room for genes")

    @classmethod
    def from_config(cls, params: RecipeParams, context: RecipeContext) -> Recipe:
        folder = context.model_dir
        tokens_path = params.required_file("token_dictionary", default_name=None, folder=folder)
        medians_path = params.required_file(
            "gene_median_dictionary", default_name=None, folder=folder
        )
        tokens = read_token_mapping(tokens_path)
        detected = "<cls>" in tokens and "<eos>" in tokens
        return cls(
            token_dictionary=tokens,
            gene_medians=read_numeric_mapping(medians_path),
            model_input_size=params.integer("model_input_size", context.max_length or 2048),
            special_tokens=params.boolean("special_tokens", detected),
            target_sum=params.number("target_sum", 10_000.0, positive=True),
            gene_key=params.string("gene_key", "gene_names") or "gene_names",
            files=(FileRef.of(tokens_path), FileRef.of(medians_path)),
        )

    def _known(self, genes: list[str]) -> np.ndarray:
        key = tuple(genes)
        if key not in self._columns_cache:
            known = {
                g: True
                for g in genes
                if g in self.token_dictionary
                and g in self.gene_medians
                and self.gene_medians[g] > 0
            }
            self._columns_cache[key] = _columns(genes, known, recipe=self.name, key=self.gene_key)
        return self._columns_cache[key]

    def __call__(self, batch: Any, info: Mapping[str, Any]) -> ModelInputs:
        counts = _counts(batch, self.name)
        genes = info_list(info, self.gene_key, recipe=self.name, n=counts.shape[1])
        columns = self._known(genes)
        kept = [genes[c] for c in columns]
        cells = rank_value_encode(
            counts[:, columns],
            np.array([self.token_dictionary[g] for g in kept], dtype=np.int64),
            np.array([self.gene_medians[g] for g in kept], dtype=np.float64),
            total_counts=counts.sum(axis=1),
            target_sum=self.target_sum,
        )
        room = self.model_input_size - (2 if self.special_tokens else 0)
        rows, truncated = [], 0
        for i, cell in enumerate(cells):
            if cell.size == 0:
                raise DataError(
                    f"the geneformer recipe: cell {i} of the batch has no detected gene of the "
                    "token dictionary, so it has no tokens"
                )
            truncated += int(cell.size > room)
            cell = cell[:room]
            if self.special_tokens:
                cls_id, eos_id = self.token_dictionary["<cls>"], self.token_dictionary["<eos>"]
                cell = np.concatenate([[cls_id], cell, [eos_id]])
            rows.append(cell)
        ids, mask = pad_rows(rows, self.token_dictionary["<pad>"])
        return ModelInputs(
            arrays={"input_ids": ids, "attention_mask": mask},
            optional=frozenset({"attention_mask"}),
            token_mask=mask,
            truncated=truncated,
        )

    def describe(self) -> dict[str, Any]:
        return {
            "recipe": self.name,
            "model_input_size": self.model_input_size,
            "special_tokens": self.special_tokens,
            "target_sum": self.target_sum,
            "gene_key": self.gene_key,
            "files": {f.name: f.sha256 for f in self.files},
        }


# --- scGPT -------------------------------------------------------------------------------


def _digitize(x: np.ndarray, bins: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``scgpt.preprocess._digitize(side="both")``: a value equal to several bin edges lands
    uniformly at random among the bins those edges bound."""
    left = np.digitize(x, bins)
    right = np.digitize(x, bins, right=True)
    spread = rng.random(len(x)) * (right - left) + left
    return np.ceil(spread).astype(np.int64)


def scgpt_binning(row: np.ndarray, n_bins: int, rng: np.random.Generator) -> np.ndarray:
    """scGPT's per-cell value binning (``scgpt/preprocess.py``, ``binning``): the non-zero
    values go to bins 1..n_bins-1 by the quantiles of the cell's own non-zero values; zeros stay
    0. Upstream draws the tie-breaking numbers from numpy's global generator; here they come
    from ``rng`` (seeded per cell by the recipe), so a cell always gets the same bins.
    """
    row = np.asarray(row, dtype=np.float64)
    if row.size == 0 or row.max() == 0:
        return np.zeros(row.shape, dtype=np.int64)
    if row.min() <= 0:
        nonzero = np.flatnonzero(row)
        bins = np.quantile(row[nonzero], np.linspace(0, 1, n_bins - 1))
        binned = np.zeros(row.shape, dtype=np.int64)
        binned[nonzero] = _digitize(row[nonzero], bins, rng)
        return binned
    return _digitize(row, np.quantile(row, np.linspace(0, 1, n_bins - 1)), rng)


@attrs.frozen(kw_only=True)
class ScGPTRecipe(Recipe):
    """scGPT: for each cell, ``<cls>`` then its non-zero genes in the dataset's gene order,
    with their values binned per cell (:func:`scgpt_binning`, 51 bins as the cell-embedding
    collator uses); ``<cls>`` carries ``pad_value``; padding ``<pad>`` / ``pad_value``.

    A port of ``scgpt/tasks/cell_emb.py`` (``get_batch_cell_embeddings``, ``embed_data``) and
    ``scgpt/data_collator.py``: genes outside the vocabulary are dropped; a cell with more
    than ``max_length`` tokens keeps ``<cls>`` and a random ``max_length - 1`` of its genes
    (upstream: ``torch.randperm``; here a generator seeded by ``seed`` and the cell, so the
    choice is repeatable). The model's ``_encode(src, values, src_key_padding_mask)`` gives
    token states; use ``pooling: cls``; the embeddings are then divided by their L2 norm, as
    ``get_batch_cell_embeddings`` does (``normalise: false`` to keep them raw).
    Reads ``vocab.json`` and ``args.json`` (``pad_token``, ``pad_value``) of the checkpoint
    folder. Highly-variable-gene selection, where wanted, is the dataset's business.
    """

    name: ClassVar[str] = "scgpt"

    vocab: Mapping[str, int]
    max_length: int = 1200
    n_bins: int = 51
    pad_token: str = "<pad>"  # noqa: S105 (a vocabulary token, not a password)
    pad_value: float = -2.0
    gene_key: str = "gene_names"
    seed: int = 0
    normalise: bool = True
    files: tuple[FileRef, ...] = ()
    _columns_cache: dict[tuple[str, ...], np.ndarray] = attrs.field(
        factory=dict, init=False, eq=False, repr=False
    )

    @classmethod
    def from_config(cls, params: RecipeParams, context: RecipeContext) -> Recipe:
        folder = context.model_dir
        vocab_path = params.required_file("vocab", default_name="vocab.json", folder=folder)
        args_path = params.file("args", default_name="args.json", folder=folder)
        args = _read_args(args_path) if args_path else {}
        vocab = dict(read_token_mapping(vocab_path))
        for special in ("<pad>", "<cls>", "<eoc>"):  # appended when missing, as embed_data does
            vocab.setdefault(special, len(vocab))
        pad_default = args.get("pad_value", -2)
        return cls(
            vocab=vocab,
            max_length=params.integer("max_length", context.max_length or 1200, minimum=2),
            n_bins=params.integer("n_bins", 51, minimum=3),
            pad_token=params.string("pad_token", str(args.get("pad_token", "<pad>"))) or "<pad>",
            pad_value=params.number("pad_value", float(pad_default)),
            gene_key=params.string("gene_key", "gene_names") or "gene_names",
            seed=params.integer("seed", 0, minimum=0),
            normalise=params.boolean("normalise", True),
            files=tuple(FileRef.of(p) for p in (vocab_path, args_path) if p is not None),
        )

    def __call__(self, batch: Any, info: Mapping[str, Any]) -> ModelInputs:
        counts = _counts(batch, self.name)
        genes = info_list(info, self.gene_key, recipe=self.name, n=counts.shape[1])
        key = tuple(genes)
        if key not in self._columns_cache:
            self._columns_cache[key] = _columns(
                genes, self.vocab, recipe=self.name, key=self.gene_key
            )
        columns = self._columns_cache[key]
        gene_ids = np.array([self.vocab[genes[c]] for c in columns], dtype=np.int64)
        pad_id, cls_id = self.vocab[self.pad_token], self.vocab["<cls>"]
        cells_ids, cells_values, truncated = [], [], 0
        for row in counts[:, columns]:
            detected = np.flatnonzero(row)
            ids, values = gene_ids[detected], row[detected]
            rng = sample_rng(self.seed, ids, values)
            binned = scgpt_binning(values, self.n_bins, rng).astype(np.float64)
            ids = np.concatenate([[cls_id], ids])
            values = np.concatenate([[self.pad_value], binned])
            if len(ids) > self.max_length:
                keep = np.concatenate(
                    [[0], rng.permutation(len(ids) - 1)[: self.max_length - 1] + 1]
                )
                ids, values, truncated = ids[keep], values[keep], truncated + 1
            cells_ids.append(ids)
            cells_values.append(values)
        src, mask = pad_rows(cells_ids, pad_id)
        padded = np.full(src.shape, self.pad_value, dtype=np.float32)
        for i, values in enumerate(cells_values):
            padded[i, : len(values)] = values
        return ModelInputs(
            arrays={"src": src, "values": padded, "src_key_padding_mask": mask == 0},
            token_mask=mask,
            truncated=truncated,
        )

    def postprocess(self, embeddings: np.ndarray) -> np.ndarray:
        if not self.normalise:
            return embeddings
        norms = np.linalg.norm(embeddings, axis=1, keepdims=True)
        return embeddings / np.where(norms > 0, norms, 1.0)

    def describe(self) -> dict[str, Any]:
        return {
            "recipe": self.name,
            "max_length": self.max_length,
            "n_bins": self.n_bins,
            "pad_value": self.pad_value,
            "gene_key": self.gene_key,
            "seed": self.seed,
            "normalise": self.normalise,
            "files": {f.name: f.sha256 for f in self.files},
        }


def _read_args(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ModelError(f"{path}: expected a JSON object (the checkpoint's args.json)")
    return data
