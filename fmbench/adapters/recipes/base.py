"""What every preprocessing recipe shares: its output record, its config, and small file readers.

A recipe is a :class:`Recipe`: ``recipe(batch, info)`` turns one batch of a dataset's inputs
into :class:`ModelInputs` (the named arrays a model's forward takes, and the token mask that
mean pooling uses); ``from_config`` builds it from the ``preprocess:`` block of a model config.

Example:
    >>> import numpy as np
    >>> inputs = ModelInputs(arrays={"input_ids": np.array([[3, 7, 1]])},
    ...                      token_mask=np.array([[1, 1, 0]]))
    >>> inputs.n
    1
    >>> pad_rows([np.array([5, 6]), np.array([7])], pad_id=0)[0].tolist()
    [[5, 6], [7, 0]]
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import attrs
import numpy as np

from fmbench.adapters.runtime import Settings, sha256_file
from fmbench.data.dataset import is_sparse
from fmbench.errors import ConfigError, DataError, ModelError, suggest
from fmbench.plugin_system.imports import import_object

__all__ = [
    "FileRef",
    "FunctionRecipe",
    "ModelInputs",
    "Recipe",
    "RecipeContext",
    "RecipeParams",
    "as_sequences",
    "build_recipe",
    "dense_rows",
    "info_list",
    "pad_rows",
    "read_numeric_mapping",
    "read_token_mapping",
    "read_vocab_lines",
    "sample_rng",
]


@attrs.frozen(kw_only=True)
class ModelInputs:
    """The model inputs a recipe made from one batch of ``n`` samples.

    Attributes:
        arrays: keyword arguments of the model's forward, one row per sample.
        constants: keyword arguments that are the same for every sample (e.g. LaBraM's
            ``input_chans``), passed as they are.
        optional: names in ``arrays`` that are dropped when the method does not take them
            (``attention_mask`` for a model whose forward has none).
        token_mask: (n, tokens), 1 for real tokens: mean pooling averages only those.
        truncated: how many samples were cut to the model's maximum length.
    """

    arrays: Mapping[str, np.ndarray]
    constants: Mapping[str, Any] = attrs.field(factory=dict)
    optional: frozenset[str] = frozenset()
    token_mask: np.ndarray | None = None
    truncated: int = 0

    def __attrs_post_init__(self) -> None:
        sizes = {name: len(array) for name, array in self.arrays.items()}
        if self.token_mask is not None:
            sizes["token_mask"] = len(self.token_mask)
        if not sizes or len(set(sizes.values())) != 1:
            raise ModelError(f"a recipe returned arrays of different lengths: {sizes}")

    @property
    def n(self) -> int:
        return len(next(iter(self.arrays.values())))


@attrs.frozen(kw_only=True)
class RecipeContext:
    """What the adapter knows when it builds a recipe.

    Attributes:
        source: the model config file (for error messages).
        adapter: the adapter type (``huggingface``, ``torch_module``).
        model_dir: the checkpoint folder (huggingface ``path``) or the weights file's folder
            (torch_module), where files such as ``vocab.txt`` are looked for by default.
        max_length: the adapter's ``max_length`` (tokens), a default for token recipes.
    """

    source: str
    adapter: str
    model_dir: Path | None = None
    max_length: int | None = None


class _ReadKeys(Mapping[str, Any]):
    """A mapping that remembers which keys were asked for (to find misspelt ones)."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = dict(data)
        self.read: set[str] = set()

    def __getitem__(self, key: str) -> Any:
        self.read.add(key)
        return self.data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)


class RecipeParams(Settings):
    """Typed access to a ``preprocess:`` block; keys nobody read are reported as unknown."""

    def __init__(self, values: Mapping[str, Any], *, source: str, adapter: str) -> None:
        super().__init__(_ReadKeys(values), source=source, adapter=adapter)

    def fail(self, key: str, message: str) -> ConfigError:
        """The one-line error for ``key`` (raise it)."""
        return self._fail(key, message)

    def optional_number(self, key: str) -> float | None:
        value = self.values.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self._fail(key, f"expected a number, got {value!r}")
        return float(value)

    def number(self, key: str, default: float, *, positive: bool = False) -> float:
        value = self.optional_number(key)
        if value is None:
            return default
        if positive and value <= 0:
            raise self._fail(key, f"expected a number > 0, got {value!r}")
        return value

    def pair(self, key: str) -> tuple[float, float] | None:
        value = self.values.get(key)
        if value is None:
            return None
        if (
            not isinstance(value, (list, tuple))
            or len(value) != 2
            or any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in value)
            or not value[0] < value[1]
        ):
            raise self._fail(key, f"expected [low, high] with low < high, got {value!r}")
        return float(value[0]), float(value[1])

    def file(self, key: str, *, default_name: str | None, folder: Path | None) -> Path | None:
        """A file named by ``key``, else ``default_name`` in ``folder`` when it exists there."""
        path = self.path(key, kind="file")
        if path is None and default_name and folder is not None:
            candidate = folder / default_name
            path = candidate if candidate.is_file() else None
        return path

    def required_file(self, key: str, *, default_name: str | None, folder: Path | None) -> Path:
        path = self.file(key, default_name=default_name, folder=folder)
        if path is None:
            where = f" (or {default_name} in the checkpoint folder)" if default_name else ""
            raise self._fail(key, f"required: the path of the file{where}")
        return path

    def check_unknown(self) -> None:
        assert isinstance(self.values, _ReadKeys)
        unknown = sorted(set(self.values.data) - self.values.read)
        if unknown:
            known = sorted(self.values.read)
            raise self._fail(
                unknown[0],
                f"unknown key{suggest(unknown[0], known)}; this recipe reads: {', '.join(known)}",
            )


@attrs.frozen
class FileRef:
    """A file a recipe read: its name (never the local path) and content hash."""

    name: str
    sha256: str

    @classmethod
    def of(cls, path: Path) -> FileRef:
        return cls(name=path.name, sha256=sha256_file(path))


class Recipe:
    """Base class of recipes: ``recipe(batch, info) -> ModelInputs``.

    Subclasses set ``name``, build themselves in ``from_config`` and say what they did in
    ``describe`` (it goes into ``eval.yaml``'s model block: no local paths there).
    """

    name: ClassVar[str] = "recipe"

    @classmethod
    def from_config(cls, params: RecipeParams, context: RecipeContext) -> Recipe:
        raise NotImplementedError

    def __call__(self, batch: Any, info: Mapping[str, Any]) -> ModelInputs:
        raise NotImplementedError

    def postprocess(self, embeddings: np.ndarray) -> np.ndarray:
        """What the model family does to pooled embeddings (identity unless overridden)."""
        return embeddings

    def describe(self) -> dict[str, Any]:
        return {"recipe": self.name}

    def code(self) -> Any:
        """The object whose source file is hashed into ``preprocess_sha256``."""
        return type(self)


class FunctionRecipe(Recipe):
    """``preprocess: "module:function"``: a plain function that encodes one batch of raw inputs.

    The function takes the batch (e.g. a list of DNA strings) and returns a numeric array (the
    model's one input) or a mapping of named arrays (a forward's keyword arguments, or an ONNX
    graph's named inputs). It runs once per sub-batch, so memory stays bounded by the batch.
    """

    name: ClassVar[str] = "function"

    def __init__(self, function: Any, reference: str) -> None:
        self.function = function
        self.reference = reference

    def encode(self, batch: Any) -> np.ndarray | Mapping[str, np.ndarray]:
        """The function's output for one batch: an array, or named arrays."""
        out = self.function(batch)
        if isinstance(out, Mapping):
            return {str(k): np.asarray(v) for k, v in out.items()}
        return np.asarray(out)

    def __call__(self, batch: Any, info: Mapping[str, Any]) -> ModelInputs:
        encoded = self.encode(batch)
        if not isinstance(encoded, Mapping):
            raise ModelError(
                f"preprocess {self.reference} returned one array; this adapter needs named "
                "inputs (return a mapping of name -> array)"
            )
        return ModelInputs(arrays=encoded)

    def code(self) -> Any:
        return self.function

    def describe(self) -> dict[str, Any]:
        return {"recipe": self.reference}


def build_recipe(spec: Any, context: RecipeContext) -> Recipe:
    """The recipe a ``preprocess:`` value names: ``name``, ``{recipe: name, ...params}``, a
    recipe class ``"module:Class"``, or a plain function ``"module:function"``."""
    from fmbench.adapters.recipes import RECIPES

    where = f"model config {context.source}: preprocess"
    if isinstance(spec, str):
        name, values = spec, {}
    elif isinstance(spec, Mapping):
        values = {str(k): v for k, v in spec.items()}
        name = values.pop("recipe", None)
        if not isinstance(name, str):
            raise ConfigError(
                f"{where}: give the recipe's name, e.g. preprocess: {{recipe: geneformer, ...}} "
                f"(one of {', '.join(sorted(RECIPES))}, or 'module:Class')"
            )
    else:
        raise ConfigError(f"{where}: expected a recipe name or a mapping, got {spec!r}")
    if name in RECIPES:
        cls = import_object(RECIPES[name], source=context.source, key="preprocess")
    elif ":" in name:
        cls = import_object(name, source=context.source, key="preprocess")
    else:
        raise ConfigError(
            f"{where}: unknown recipe {name!r}{suggest(name, RECIPES)}; known: "
            f"{', '.join(sorted(RECIPES))}, or 'module:Class' for your own"
        )
    if not isinstance(cls, type) and callable(cls) and ":" in name:
        if values:
            raise ConfigError(f"{where}: a function ({name}) takes no parameters; got {values}")
        return FunctionRecipe(cls, name)
    if not (isinstance(cls, type) and issubclass(cls, Recipe)):
        raise ConfigError(
            f"{where}: {name} is not a fmbench.adapters.recipes.base.Recipe class or a function"
        )
    params = RecipeParams(
        values, source=context.source, adapter=f"{context.adapter}, preprocess {name}"
    )
    recipe = cls.from_config(params, context)
    params.check_unknown()
    return recipe


def read_vocab_lines(path: Path) -> dict[str, int]:
    """A ``vocab.txt`` (one token per line; the id is the line number), as BERT/ESM save it."""
    tokens = path.read_text(encoding="utf-8").splitlines()
    vocab: dict[str, int] = {}
    for index, token in enumerate(tokens):
        token = token.strip()
        if token and token not in vocab:
            vocab[token] = index
    if not vocab:
        raise ModelError(f"vocabulary file {path}: no tokens")
    return vocab


def _read_pairs(path: Path) -> list[tuple[str, Any]]:
    """(key, value) pairs of a JSON object or a two-column TSV/CSV (a header row is skipped)."""
    if path.suffix == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ModelError(f"{path}: not valid JSON ({exc})") from None
        if not isinstance(data, dict):
            raise ModelError(f"{path}: expected a JSON object (key -> value)")
        return [(str(k), v) for k, v in data.items()]
    if path.suffix in {".tsv", ".txt", ".csv"}:
        sep = "," if path.suffix == ".csv" else "\t"
        pairs: list[tuple[str, Any]] = []
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            parts = line.split(sep)
            if len(parts) != 2:
                raise ModelError(f"{path}:{number}: expected two columns (key, value)")
            pairs.append((parts[0].strip(), parts[1].strip()))
        if pairs and not _is_number(pairs[0][1]):
            pairs = pairs[1:]  # a header row
        return pairs
    raise ModelError(
        f"{path}: fmbench reads JSON (.json) or two-column text (.tsv/.csv) dictionaries, "
        "never pickle files (convert the upstream .pkl once: see docs/adapters.md, Recipes)"
    )


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def read_numeric_mapping(path: Path) -> dict[str, float]:
    """A key -> number dictionary (JSON object, or two-column TSV/CSV)."""
    out: dict[str, float] = {}
    for key, value in _read_pairs(path):
        if not _is_number(value):
            raise ModelError(f"{path}: value of {key!r} is {value!r}, not a number")
        out[key] = float(value)
    if not out:
        raise ModelError(f"{path}: no entries")
    return out


def read_token_mapping(path: Path) -> dict[str, int]:
    """A key -> integer token id dictionary (JSON object, or two-column TSV/CSV)."""
    out: dict[str, int] = {}
    for key, value in read_numeric_mapping(path).items():
        if not value.is_integer() or value < 0:
            raise ModelError(f"{path}: value of {key!r} is {value!r}, not a token id")
        out[key] = int(value)
    return out


def pad_rows(rows: Sequence[np.ndarray], pad_id: int) -> tuple[np.ndarray, np.ndarray]:
    """Right-pad integer rows to the longest: (ids, mask) with mask 1 on real tokens."""
    width = max((len(r) for r in rows), default=0)
    ids = np.full((len(rows), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(rows), width), dtype=np.int64)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = row
        mask[i, : len(row)] = 1
    return ids, mask


def as_sequences(batch: Any, *, recipe: str) -> list[str]:
    """A batch of sequences (a list or an array of strings) as a list of str."""
    if isinstance(batch, np.ndarray) and batch.dtype.kind not in "OUS":
        raise DataError(
            f"the {recipe} recipe reads sequences (strings); got a numeric array of shape "
            f"{batch.shape}"
        )
    items = list(batch)
    bad = [type(s).__name__ for s in items if not isinstance(s, str)]
    if bad:
        raise DataError(f"the {recipe} recipe reads sequences (strings); got {bad[0]}")
    return [str(s) for s in items]


def dense_rows(batch: Any, *, ndim: int, recipe: str) -> np.ndarray:
    """A numeric batch as a float64 array of ``ndim`` dimensions (sparse rows made dense)."""
    if is_sparse(batch):
        batch = batch.toarray()
    try:
        array = np.asarray(batch, dtype=np.float64)
    except (TypeError, ValueError):
        raise DataError(f"the {recipe} recipe reads numeric arrays") from None
    if array.ndim != ndim:
        raise DataError(
            f"the {recipe} recipe expects inputs of {ndim} dimensions (samples first); got "
            f"shape {array.shape}"
        )
    return array


def info_list(info: Mapping[str, Any], key: str, *, recipe: str, n: int) -> list[str]:
    """``info[key]`` as ``n`` names (gene or channel names), or a one-line error."""
    value = info.get(key)
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise DataError(
            f"the {recipe} recipe needs the dataset's {key} (a list of names in info.json); "
            f"the dataset has {'none' if value is None else type(value).__name__}"
        )
    if len(value) != n:
        raise DataError(
            f"the dataset's {key} lists {len(value)} names but its inputs have {n} "
            f"({'genes' if 'gene' in key else 'channels'})"
        )
    return list(value)


def sample_rng(seed: int, *parts: np.ndarray) -> np.random.Generator:
    """A generator seeded by ``seed`` and a sample's content: the same sample always draws the
    same numbers, whatever batch it arrives in."""
    digest = hashlib.sha256(str(seed).encode())
    for part in parts:
        array = np.ascontiguousarray(part)
        digest.update(str(array.dtype).encode())
        digest.update(array.tobytes())
    return np.random.default_rng(int.from_bytes(digest.digest()[:8], "little"))
