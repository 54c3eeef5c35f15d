"""DNA language-model recipes: the tokens Nucleotide Transformer, DNABERT, DNABERT-2 and
HyenaDNA were trained on.

Each recipe turns a batch of sequences into ``input_ids`` and ``attention_mask`` (right-padded
to the batch's longest; mean pooling uses the mask, so a sequence's embedding does not depend
on its batch) and counts the sequences it cut to the model's maximum length. Sequences are
upper-cased first (soft-masked genome sequence is lower case; the vocabularies are upper case).

Example:
    >>> nucleotide_transformer_tokens("ATCGAATNGGCGATGCAC", k=5)
    ['ATCGA', 'A', 'T', 'N', 'GGCGA', 'TGCAC']
    >>> dnabert_kmers("ATGCGT", k=3)
    ['ATG', 'TGC', 'GCG', 'CGT']
"""

from __future__ import annotations

import itertools
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
    as_sequences,
    pad_rows,
    read_vocab_lines,
)
from fmbench.errors import DataError, ModelError

__all__ = [
    "HYENADNA_MAX_LENGTHS",
    "DNABERT2Recipe",
    "DNABERTKmerRecipe",
    "HyenaDNARecipe",
    "NucleotideTransformerRecipe",
    "dnabert_kmers",
    "hyenadna_ids",
    "nucleotide_transformer_tokens",
    "nucleotide_transformer_vocabulary",
]

_ATTENTION = frozenset({"attention_mask"})


def _clean(
    sequence: str, *, allowed: str, uppercase: bool, replace: str | None, recipe: str
) -> str:
    """Strip white space, upper-case, and check (or replace) letters outside ``allowed``."""
    text = "".join(sequence.split())
    if uppercase:
        text = text.upper()
    bad = sorted(set(text) - set(allowed))
    if bad and replace is None:
        raise DataError(
            f"the {recipe} recipe: sequence has {', '.join(map(repr, bad[:5]))}, outside "
            f"{allowed}; set other_bases_as_n: true in preprocess to read them as N"
        )
    if bad:
        stand_in = str(replace)
        text = "".join(c if c in allowed else stand_in for c in text)
    return text


def _inputs(rows: list[np.ndarray], pad_id: int, truncated: int) -> ModelInputs:
    ids, mask = pad_rows(rows, pad_id)
    return ModelInputs(
        arrays={"input_ids": ids, "attention_mask": mask},
        optional=_ATTENTION,
        token_mask=mask,
        truncated=truncated,
    )


# --- Nucleotide Transformer -------------------------------------------------------------

#: the order of nucleotides in the k-mer vocabulary (nucleotide_transformer/constants.py)
NT_NUCLEOTIDES = ("A", "T", "C", "G")
_NT_SPECIAL_V2 = ("<unk>", "<pad>", "<mask>", "<cls>", "<eos>", "<bos>")


def nucleotide_transformer_vocabulary(k: int = 6, version: int = 2) -> dict[str, int]:
    """Token ids of the Nucleotide Transformer vocabulary, as its tokenizer builds them.

    Source: instadeepai/nucleotide-transformer, ``nucleotide_transformer/tokenizers.py``
    (``compute_tokens_to_ids_v2`` for the v2 models; ``StandardTokenizer`` ordering for v1:
    ``<unk> <pad> <mask> <cls>``, the standard tokens, then ``<eos> <bos>``). Standard tokens
    are the 4**k k-mers over A, T, C, G (``itertools.product`` order), then A, T, C, G, N.

    Example:
        >>> vocab = nucleotide_transformer_vocabulary()
        >>> len(vocab), vocab["<pad>"], vocab["<cls>"], vocab["AAAAAA"], vocab["N"]
        (4107, 1, 3, 6, 4106)
    """
    kmers = ["".join(p) for p in itertools.product(NT_NUCLEOTIDES, repeat=k)]
    standard = [*kmers, *NT_NUCLEOTIDES, "N"]
    if version == 2:
        tokens = [*_NT_SPECIAL_V2, *standard]
    elif version == 1:
        tokens = [*_NT_SPECIAL_V2[:4], *standard, *_NT_SPECIAL_V2[4:]]
    else:
        raise ValueError(f"Nucleotide Transformer vocabulary version 1 or 2, not {version}")
    return {token: i for i, token in enumerate(tokens)}


def nucleotide_transformer_tokens(sequence: str, k: int = 6) -> list[str]:
    """Non-overlapping k-mers from the start of each N-free stretch; the remainder of a stretch
    as single nucleotides; each N alone.

    A port of ``NucleotidesKmersTokenizer.tokenize`` in ``nucleotide_transformer/tokenizers.py``
    (instadeepai/nucleotide-transformer), without the special tokens; its docstring gives the
    two examples below (k=5).

    Example:
        >>> nucleotide_transformer_tokens("ATCGAATGGCGATGCAC", k=5)
        ['ATCGA', 'ATGGC', 'GATGC', 'A', 'C']
    """
    tokens: list[str] = []
    stretches = sequence.split("N")
    for i, stretch in enumerate(stretches):
        whole = len(stretch) // k
        tokens.extend(stretch[j * k : (j + 1) * k] for j in range(whole))
        tokens.extend(stretch[whole * k :])
        if i < len(stretches) - 1:
            tokens.append("N")
    return tokens


@attrs.frozen(kw_only=True)
class NucleotideTransformerRecipe(Recipe):
    """Nucleotide Transformer: ``<cls>`` then 6-mer tokens (see
    :func:`nucleotide_transformer_tokens`), at most ``max_length`` tokens with the ``<cls>``.

    The ids come from the checkpoint's ``vocab.txt`` when the folder has one (the hub
    checkpoints do), else from the published v2 vocabulary
    (:func:`nucleotide_transformer_vocabulary`). The upstream tokenizer pads every batch to a
    fixed length and refuses longer sequences; here batches are padded to their longest (the
    attention mask hides padding) and longer sequences are cut and counted.
    """

    name: ClassVar[str] = "nucleotide_transformer"

    vocab: Mapping[str, int]
    k: int = 6
    max_length: int = 1000
    uppercase: bool = True
    other_bases_as_n: bool = False
    vocab_file: FileRef | None = None

    def __attrs_post_init__(self) -> None:
        needed = ["<cls>", "<pad>", "N", *NT_NUCLEOTIDES]
        needed += ["".join(p) for p in itertools.product(NT_NUCLEOTIDES, repeat=self.k)]
        missing = [t for t in needed if t not in self.vocab]
        if missing:
            raise ModelError(
                f"nucleotide_transformer recipe: the vocabulary lacks {', '.join(missing[:3])}"
                f"{' and more' if len(missing) > 3 else ''} (is k={self.k} right for it?)"
            )

    @classmethod
    def from_config(cls, params: RecipeParams, context: RecipeContext) -> Recipe:
        k = params.integer("k", 6)
        path = params.file("vocab", default_name="vocab.txt", folder=context.model_dir)
        return cls(
            vocab=read_vocab_lines(path) if path else nucleotide_transformer_vocabulary(k),
            k=k,
            max_length=params.integer("max_length", context.max_length or 1000, minimum=2),
            uppercase=params.boolean("uppercase", True),
            other_bases_as_n=params.boolean("other_bases_as_n", False),
            vocab_file=FileRef.of(path) if path else None,
        )

    def __call__(self, batch: Any, info: Mapping[str, Any]) -> ModelInputs:
        rows, truncated = [], 0
        for sequence in as_sequences(batch, recipe=self.name):
            text = _clean(
                sequence,
                allowed="ACGTN",
                uppercase=self.uppercase,
                replace="N" if self.other_bases_as_n else None,
                recipe=self.name,
            )
            ids = [self.vocab["<cls>"]]
            ids += [self.vocab[t] for t in nucleotide_transformer_tokens(text, self.k)]
            if len(ids) > self.max_length:
                ids, truncated = ids[: self.max_length], truncated + 1
            rows.append(np.asarray(ids, dtype=np.int64))
        return _inputs(rows, self.vocab["<pad>"], truncated)

    def describe(self) -> dict[str, Any]:
        return {
            "recipe": self.name,
            "k": self.k,
            "max_length": self.max_length,
            "vocabulary": (
                {"file": self.vocab_file.name, "sha256": self.vocab_file.sha256}
                if self.vocab_file
                else "published v2 vocabulary"
            ),
        }


# --- DNABERT (overlapping k-mers) --------------------------------------------------------


def dnabert_kmers(sequence: str, k: int) -> list[str]:
    """Overlapping k-mers with stride 1, as DNABERT's ``seq2kmer`` (jerryji1993/DNABERT,
    ``motif/motif_utils.py``) writes them before its BERT tokenizer splits on spaces."""
    return [sequence[i : i + k] for i in range(len(sequence) + 1 - k)]


@attrs.frozen(kw_only=True)
class DNABERTKmerRecipe(Recipe):
    """DNABERT (the first version): ``[CLS]``, overlapping k-mers (k = 3 to 6, read from the
    vocabulary), ``[SEP]``; at most ``max_length`` tokens (512 in the paper); k-mers not in the
    vocabulary (with N) become ``[UNK]``. Needs the checkpoint's ``vocab.txt``."""

    name: ClassVar[str] = "dnabert"

    vocab: Mapping[str, int]
    k: int
    max_length: int = 512
    uppercase: bool = True
    vocab_file: FileRef | None = None

    @classmethod
    def from_config(cls, params: RecipeParams, context: RecipeContext) -> Recipe:
        path = params.required_file("vocab", default_name="vocab.txt", folder=context.model_dir)
        vocab = read_vocab_lines(path)
        lengths = {len(t) for t in vocab if not t.startswith("[")}
        if len(lengths) != 1:
            raise ModelError(f"vocabulary {path}: expected k-mer tokens of one length")
        k = params.integer("k", lengths.pop())
        return cls(
            vocab=vocab,
            k=k,
            max_length=params.integer("max_length", context.max_length or 512, minimum=3),
            uppercase=params.boolean("uppercase", True),
            vocab_file=FileRef.of(path),
        )

    def __call__(self, batch: Any, info: Mapping[str, Any]) -> ModelInputs:
        special = {t: self.vocab[t] for t in ("[CLS]", "[SEP]", "[PAD]", "[UNK]")}
        rows, truncated = [], 0
        for sequence in as_sequences(batch, recipe=self.name):
            text = "".join(sequence.split())
            kmers = dnabert_kmers(text.upper() if self.uppercase else text, self.k)
            if len(kmers) > self.max_length - 2:
                kmers, truncated = kmers[: self.max_length - 2], truncated + 1
            ids = [special["[CLS]"], *(self.vocab.get(m, special["[UNK]"]) for m in kmers)]
            rows.append(np.asarray([*ids, special["[SEP]"]], dtype=np.int64))
        return _inputs(rows, special["[PAD]"], truncated)

    def describe(self) -> dict[str, Any]:
        file = self.vocab_file
        return {
            "recipe": self.name,
            "k": self.k,
            "max_length": self.max_length,
            "vocabulary": {"file": file.name, "sha256": file.sha256} if file else None,
        }


# --- DNABERT-2 (byte-pair encoding from the checkpoint's tokenizer.json) -----------------


@attrs.frozen(kw_only=True)
class DNABERT2Recipe(Recipe):
    """DNABERT-2: the checkpoint's own BPE tokenizer (``tokenizer.json``, read with the
    ``tokenizers`` library), its post-processor's ``[CLS] ... [SEP]``, at most ``max_length``
    tokens (the tokenizer keeps the special tokens when it cuts).

    The rule lives in the file the authors ship (MAGICS-LAB/DNABERT_2; hub
    zhihan1996/DNABERT-2-117M): this recipe only reads it, so any BPE ``tokenizer.json`` works.
    """

    name: ClassVar[str] = "dnabert2"

    tokenizer: Any = attrs.field(eq=False)
    max_length: int = 512
    pad_token: str = "[PAD]"  # noqa: S105 (a vocabulary token, not a password)
    uppercase: bool = True
    tokenizer_file: FileRef | None = None

    @classmethod
    def from_config(cls, params: RecipeParams, context: RecipeContext) -> Recipe:
        path = params.required_file(
            "tokenizer", default_name="tokenizer.json", folder=context.model_dir
        )
        return cls(
            tokenizer=load_tokenizer_json(path),
            max_length=params.integer("max_length", context.max_length or 512, minimum=2),
            pad_token=params.string("pad_token", "[PAD]") or "[PAD]",
            uppercase=params.boolean("uppercase", True),
            tokenizer_file=FileRef.of(path),
        )

    def __attrs_post_init__(self) -> None:
        if self.tokenizer.token_to_id(self.pad_token) is None:
            raise ModelError(f"dnabert2 recipe: the tokenizer has no pad token {self.pad_token!r}")
        self.tokenizer.enable_truncation(self.max_length)
        self.tokenizer.no_padding()

    def __call__(self, batch: Any, info: Mapping[str, Any]) -> ModelInputs:
        texts = ["".join(s.split()) for s in as_sequences(batch, recipe=self.name)]
        if self.uppercase:
            texts = [t.upper() for t in texts]
        encodings = self.tokenizer.encode_batch(texts)
        rows = [np.asarray(e.ids, dtype=np.int64) for e in encodings]
        truncated = sum(bool(e.overflowing) for e in encodings)
        return _inputs(rows, int(self.tokenizer.token_to_id(self.pad_token)), truncated)

    def describe(self) -> dict[str, Any]:
        file = self.tokenizer_file
        return {
            "recipe": self.name,
            "max_length": self.max_length,
            "tokenizer": {"file": file.name, "sha256": file.sha256} if file else None,
        }


def load_tokenizer_json(path: Path) -> Any:
    """A ``tokenizers.Tokenizer`` from a local ``tokenizer.json`` (no network)."""
    try:
        from tokenizers import Tokenizer
    except ImportError:
        raise ModelError(
            "the dnabert2 recipe reads tokenizer.json with the tokenizers library: "
            "pip install 'fmbench[hf]'"
        ) from None
    try:
        return Tokenizer.from_file(str(path))
    except Exception as exc:  # tokenizers raises its own Exception type
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ModelError(f"tokenizer file {path}: cannot be read ({first})") from None


# --- HyenaDNA (single characters) ---------------------------------------------------------

#: HyenaDNA's CharacterTokenizer (hyena-dna ``standalone_hyenadna.py``, characters A C G T N):
#: special tokens 0-6 ([CLS] [SEP] [BOS] [MASK] [PAD] [RESERVED] [UNK]), then characters from 7
HYENADNA_IDS = {"A": 7, "C": 8, "G": 9, "T": 10, "N": 11}
HYENADNA_SEP, HYENADNA_PAD, HYENADNA_UNK = 1, 4, 6

#: Context length of each pretrained checkpoint (hyena-dna ``huggingface.py``, README)
HYENADNA_MAX_LENGTHS = {
    "hyenadna-tiny-1k-seqlen": 1024,
    "hyenadna-tiny-1k-seqlen-d256": 1024,
    "hyenadna-tiny-16k-seqlen-d128": 16384,
    "hyenadna-small-32k-seqlen": 32768,
    "hyenadna-medium-160k-seqlen": 160000,
    "hyenadna-medium-450k-seqlen": 450000,
    "hyenadna-large-1m-seqlen": 1_000_000,
}


def hyenadna_ids(sequence: str) -> list[int]:
    """Character ids of HyenaDNA's tokenizer; any other character is ``[UNK]`` (6).

    Example:
        >>> hyenadna_ids("ACGTNx")
        [7, 8, 9, 10, 11, 6]
    """
    return [HYENADNA_IDS.get(c, HYENADNA_UNK) for c in sequence]


@attrs.frozen(kw_only=True)
class HyenaDNARecipe(Recipe):
    """HyenaDNA: one token per nucleotide, no ``[CLS]``; an end token ``[SEP]`` only with
    ``add_eos`` (the upstream data loaders' ``add_eos``); at most the checkpoint's context
    (``checkpoint: hyenadna-small-32k-seqlen`` looks it up, or give ``max_length``).

    Padding: the upstream loaders pad on the left (``padding_side='left'``) to a fixed
    length. HyenaDNA is causal, so padding on the right leaves every real token's state as it
    is without padding, and the masked mean ignores the pads: that is the default here
    (``padding_side: left`` is accepted; then a sequence's states depend on how much padding
    its batch puts before it).
    """

    name: ClassVar[str] = "hyenadna"

    max_length: int
    add_eos: bool = False
    padding_side: str = "right"
    uppercase: bool = True

    @classmethod
    def from_config(cls, params: RecipeParams, context: RecipeContext) -> Recipe:
        checkpoint = params.choice("checkpoint", tuple(HYENADNA_MAX_LENGTHS), None)
        default = HYENADNA_MAX_LENGTHS[checkpoint] if checkpoint else context.max_length
        if default is None and not params.has("max_length"):
            raise params.fail(
                "max_length",
                "required: give checkpoint (e.g. hyenadna-small-32k-seqlen) or max_length",
            )
        return cls(
            max_length=params.integer("max_length", default or 1),
            add_eos=params.boolean("add_eos", False),
            padding_side=params.choice("padding_side", ("right", "left"), "right") or "right",
            uppercase=params.boolean("uppercase", True),
        )

    def __call__(self, batch: Any, info: Mapping[str, Any]) -> ModelInputs:
        room = self.max_length - (1 if self.add_eos else 0)
        rows, truncated = [], 0
        for sequence in as_sequences(batch, recipe=self.name):
            text = "".join(sequence.split())
            ids = hyenadna_ids(text.upper() if self.uppercase else text)
            if len(ids) > room:
                ids, truncated = ids[:room], truncated + 1
            rows.append(np.asarray(ids + [HYENADNA_SEP] * self.add_eos, dtype=np.int64))
        inputs = _inputs(rows, HYENADNA_PAD, truncated)
        if self.padding_side == "right":
            return inputs
        right_ids, right_mask = inputs.arrays["input_ids"], inputs.arrays["attention_mask"]
        pads = right_ids.shape[1] - right_mask.sum(axis=1)
        left_ids = np.stack([np.roll(r, p) for r, p in zip(right_ids, pads, strict=True)])
        mask = np.stack([np.roll(r, p) for r, p in zip(right_mask, pads, strict=True)])
        return ModelInputs(
            arrays={"input_ids": left_ids, "attention_mask": mask},
            optional=_ATTENTION,
            token_mask=mask,
            truncated=truncated,
        )

    def describe(self) -> dict[str, Any]:
        return {
            "recipe": self.name,
            "max_length": self.max_length,
            "add_eos": self.add_eos,
            "padding_side": self.padding_side,
        }
