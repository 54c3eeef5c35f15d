"""The ``huggingface`` adapter: a ``transformers`` checkpoint through AutoModel / AutoTokenizer.

Example configs::

    # a checkpoint in a local folder (config.json + model.safetensors, tokenizer files)
    model_id: my_dna_lm
    type: huggingface
    path: checkpoints/my_dna_lm
    max_length: 512           # tokens; longer sequences are truncated (and counted)
    pooling: mean             # mean (attention-mask aware) | cls
    batch_size: 16
    device: auto

    # a hub id, for users who have the network, pinned to a revision
    model_id: nucleotide_transformer_500m
    type: huggingface
    hub_id: InstaDeepAI/nucleotide-transformer-500m-human-ref
    revision: main            # better: a commit hash, so the run can be repeated
    trust_remote_code: false  # true runs Python code from the repository

Sequences (lists of strings: DNA, protein, text) are tokenised with ``max_length`` and
``padding``; numeric inputs (EEG/fMRI arrays) go to the model as ``inputs_embeds`` (or the
keyword ``input_name`` names), reshaped per sample to ``input_shape`` when given. With
``preprocess:`` a model family's recipe (:mod:`fmbench.adapters.recipes`) makes the inputs
instead: ``preprocess: {recipe: geneformer, token_dictionary: ..., ...}`` turns a count
matrix into Geneformer's rank-value token ids.

Weights are loaded strictly: a parameter that the checkpoint lacks (and that transformers would
initialise at random) fails the run unless ``allow_missing`` lists it on purpose (for example
an unused ``pooler.*``).

Example:
    >>> from fmbench.adapters.huggingface import CONFIG_KEYS
    >>> "revision" in CONFIG_KEYS
    True
"""

from __future__ import annotations

import fnmatch
import inspect
import time
from pathlib import Path
from typing import Any

import numpy as np

from fmbench.adapters.config_keys import HUGGINGFACE_KEYS
from fmbench.adapters.prepared import load_recipe, recipe_description, tensor_call
from fmbench.adapters.recipes.base import Recipe
from fmbench.adapters.runtime import (
    Settings,
    require_modules,
    sha256_files,
    sub_batches,
)
from fmbench.adapters.runtime import (
    writable as _writable,
)
from fmbench.adapters.torch_module import TorchRunner, select_output
from fmbench.errors import ConfigError, ModelError
from fmbench.hashing import json_sha256
from fmbench.models.config import ModelConfig

__all__ = ["CONFIG_KEYS", "HuggingFaceModel", "load_huggingface"]

CONFIG_KEYS = HUGGINGFACE_KEYS

_WEIGHT_PATTERNS = ("*.safetensors", "*.bin", "*.pt", "*.pth", "*.safetensors.index.json")
_VOLATILE_CONFIG_KEYS = {"_commit_hash", "transformers_version", "_name_or_path"}


def _config_sha256(model_config: Any) -> str:
    data = {k: v for k, v in model_config.to_dict().items() if k not in _VOLATILE_CONFIG_KEYS}
    return json_sha256(data)


class _Quiet:
    """Silence transformers' progress bars and load report while we check loading ourselves."""

    def __enter__(self) -> None:
        from transformers.utils import logging

        self.level = logging.get_verbosity()
        self.bars = logging.is_progress_bar_enabled()
        logging.set_verbosity_error()
        logging.disable_progress_bar()

    def __exit__(self, *exc: object) -> None:
        from transformers.utils import logging

        logging.set_verbosity(self.level)
        if self.bars:
            logging.enable_progress_bar()


class HuggingFaceModel:
    """A loaded checkpoint: ``embed(X)`` for sequences (strings) or numeric arrays."""

    def __init__(
        self,
        model: Any,
        runner: TorchRunner,
        *,
        tokenizer_source: str,
        tokenizer_kwargs: dict[str, Any],
        settings: Settings,
        description: dict[str, Any],
        recipe: Recipe | None = None,
    ) -> None:
        self.model = model
        self.recipe = recipe
        self.info: dict[str, Any] = {}
        self.runner = runner
        self.settings = settings
        self.pooling = settings.choice("pooling", ("mean", "cls"), "mean") or "mean"
        self.padding = settings.choice("padding", ("longest", "max_length"), "longest")
        layer = settings.values.get("layer")
        if layer is not None and (isinstance(layer, bool) or not isinstance(layer, int)):
            raise ConfigError(f"model config {settings.source}: layer must be an integer index")
        self.layer: int | None = layer
        self.output_key = settings.string("output_key")
        self.input_name = settings.string("input_name", "inputs_embeds") or "inputs_embeds"
        self.input_shape = settings.shape("input_shape")
        self.max_length = settings.integer("max_length", self._default_max_length())
        self._tokenizer: Any = None
        self._tokenizer_source = tokenizer_source
        self._tokenizer_kwargs = tokenizer_kwargs
        self._forward_names = set(inspect.signature(model.forward).parameters)
        self.truncated = 0
        self._description = description

    def prepare(self, info: Any) -> None:
        """Keep the dataset's facts (gene names, ...) for the preprocessing recipe."""
        self.info = dict(info)

    def _default_max_length(self) -> int:
        positions = getattr(self.model.config, "max_position_embeddings", None)
        return min(512, int(positions)) if isinstance(positions, int) and positions > 0 else 512

    @property
    def tokenizer(self) -> Any:
        if self._tokenizer is None:
            from transformers import AutoTokenizer

            try:
                with _Quiet():
                    self._tokenizer = AutoTokenizer.from_pretrained(
                        self._tokenizer_source, **self._tokenizer_kwargs
                    )
            except (OSError, ValueError) as exc:
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                raise ModelError(
                    f"{self.runner.where('embed')}: sequences need a tokenizer, and none loads "
                    f"from {self._tokenizer_source} ({first}); set tokenizer_path"
                ) from None
        return self._tokenizer

    def _hidden(self, inputs: dict[str, Any]) -> Any:
        where = self.runner.where("forward()")
        if self.layer is not None:
            output = self.model(**inputs, output_hidden_states=True)
            states = getattr(output, "hidden_states", None)
            if states is None:
                raise ModelError(f"{where}: the model returns no hidden_states for layer")
            if not -len(states) <= self.layer < len(states):
                raise ConfigError(
                    f"model config {self.settings.source}: layer {self.layer} is out of range; "
                    f"the model gives {len(states)} hidden states (embeddings + layers)"
                )
            return states[self.layer]
        return select_output(self.model(**inputs), self.output_key, where=where)

    def _pool(self, hidden: Any, mask: Any | None) -> Any:
        where = self.runner.where("forward()")
        if hidden.ndim == 2:
            return hidden
        if hidden.ndim != 3:
            raise ModelError(f"{where}: hidden states have shape {tuple(hidden.shape)}")
        if self.pooling == "cls":
            return hidden[:, 0, :]
        if mask is None:
            return hidden.mean(dim=1)
        weights = mask.to(hidden.dtype).unsqueeze(-1)
        return (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1.0)

    def _sequence_inputs(self, batch: list[str]) -> dict[str, Any]:
        tokenizer = self.tokenizer
        lengths = [len(ids) for ids in tokenizer(batch, truncation=False)["input_ids"]]
        self.truncated += sum(n > self.max_length for n in lengths)
        encoded = tokenizer(
            batch,
            padding=self.padding,
            truncation=True,
            max_length=self.max_length,
            return_tensors="pt",
        )
        return {k: v.to(self.runner.device) for k, v in encoded.items() if k in self._forward_names}

    def _numeric_inputs(self, batch: np.ndarray) -> dict[str, Any]:
        import torch

        array = np.asarray(batch, dtype=np.float32)
        if self.input_shape is not None:
            try:
                array = array.reshape(len(array), *self.input_shape)
            except ValueError:
                raise ModelError(
                    f"{self.runner.where('embed')}: inputs of shape {array.shape[1:]} cannot be "
                    f"reshaped to input_shape {list(self.input_shape)}"
                ) from None
        if self.input_name == "inputs_embeds":
            hidden = getattr(self.model.config, "hidden_size", None)
            if array.ndim != 3 or (hidden is not None and array.shape[2] != hidden):
                raise ModelError(
                    f"{self.runner.where('embed')}: inputs_embeds must be (n, tokens, "
                    f"{hidden}); got {array.shape}; set input_shape: [tokens, {hidden}]"
                )
        tensor = torch.from_numpy(_writable(array)).to(self.runner.device)
        return {self.input_name: tensor.to(self.runner.dtype)}

    def _recipe_inputs(self, batch: Any) -> tuple[dict[str, Any], Any]:
        assert self.recipe is not None
        prepared = self.recipe(batch, self.info)
        self.truncated += prepared.truncated
        call = tensor_call(
            prepared,
            self.model.forward,
            device=self.runner.device,
            float_dtype=self.runner.dtype,
            where=self.runner.where("forward()"),
        )
        return call.kwargs, call.token_mask

    def embed(self, X: Any) -> np.ndarray:
        """Pooled hidden states, one vector per input (string or numeric array row)."""
        import torch

        sequences = isinstance(X, list) or (isinstance(X, np.ndarray) and X.dtype.kind in "OUS")
        parts = []
        with torch.inference_mode():
            for rows in sub_batches(len(X), self.runner.batch_size):
                batch = X[rows]
                with self.runner.meter.timed(rows.stop - rows.start):
                    if self.recipe is not None:
                        inputs, mask = self._recipe_inputs(batch)
                    elif sequences:
                        inputs = self._sequence_inputs([str(s) for s in batch])
                        mask = inputs.get("attention_mask")
                    else:
                        inputs, mask = self._numeric_inputs(batch), None
                    hidden = self._hidden(inputs)
                    pooled = self._pool(hidden, mask)
                    parts.append(pooled.float().cpu().numpy())
        embeddings = np.concatenate(parts).astype(np.float64)
        return embeddings if self.recipe is None else self.recipe.postprocess(embeddings)

    def describe(self) -> dict[str, Any]:
        return {
            **self._description,
            "pooling": self.pooling,
            "layer": self.layer,
            "max_length": self.max_length,
            **self.runner.common_description(self.model),
        }

    def resources(self) -> dict[str, Any]:
        return {**self.runner.meter.report(), "truncated_sequences": self.truncated}


def _check_loading(info: dict[str, Any], allow: list[str], where: str) -> list[str]:
    missing = sorted(
        k for k in info.get("missing_keys", ()) if not any(fnmatch.fnmatch(k, p) for p in allow)
    )
    mismatched = sorted(
        str(m[0] if isinstance(m, tuple) else m) for m in info.get("mismatched_keys", ())
    )
    if missing or mismatched or info.get("error_msgs"):
        shown = ", ".join(missing[:5]) + (
            f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        )
        problems = [f"missing weights {shown}"] if missing else []
        if mismatched:
            problems.append(f"shape mismatch {', '.join(mismatched[:5])}")
        problems += [str(e).splitlines()[0] for e in info.get("error_msgs", ())[:2]]
        hint = (
            " (list missing parts that you do not use in allow_missing, e.g. ['pooler.*'])"
            if missing
            else " (check that config.json belongs to these weights)"
        )
        raise ModelError(
            f"{where}: the checkpoint does not match the model: {'; '.join(problems)}; "
            f"transformers would initialise these at random, so the run stops{hint}"
        )
    return sorted(info.get("unexpected_keys", ()))


def load_huggingface(config: ModelConfig) -> HuggingFaceModel:
    """Load a local folder or a pinned hub revision, strictly, onto the chosen device."""
    require_modules(("torch", "transformers", "safetensors"), extra="hf", adapter="huggingface")
    from transformers import AutoModel

    started = time.perf_counter()
    settings = Settings(config.settings, source=config.source, adapter="huggingface")
    hub_id = settings.string("hub_id")
    path = settings.path("path", kind="checkpoint folder")
    if (path is None) == (hub_id is None):
        raise ConfigError(
            f"model config {config.source}: give exactly one of path (a local checkpoint "
            "folder) or hub_id (with revision)"
        )
    revision = settings.string("revision")
    if hub_id is not None and revision is None:
        raise ConfigError(
            f"model config {config.source}: hub_id {hub_id} needs revision (a commit hash or "
            "tag; 'main' accepts whatever the hub serves today)"
        )
    weight_files: list[Path] = []
    if hub_id is not None and revision is not None:
        from fmbench.models.weights import cached_weights_path

        cached = cached_weights_path({"hub_id": hub_id, "revision": revision})
        if (cached / "config.json").is_file():
            path = cached  # fetched earlier by `fmbench download-weights`
    if path is not None:
        if not (path / "config.json").is_file():
            raise ModelError(
                f"model config {config.source}: path {path} holds no config.json; expected a "
                "folder written by save_pretrained"
            )
        weight_files = [p for pat in _WEIGHT_PATTERNS for p in path.glob(pat)]
        if not weight_files:
            raise ModelError(
                f"model config {config.source}: path {path} holds no weights "
                "(model.safetensors or pytorch_model.bin); the model is not run without them"
            )
    trust = settings.boolean("trust_remote_code", False)
    # Typed as Any: the keyword types of from_pretrained differ between transformers releases.
    common: dict[str, Any] = {
        "revision": revision,
        "trust_remote_code": trust,
        "local_files_only": path is not None or settings.boolean("local_files_only", False),
    }
    source = str(path) if path is not None else str(hub_id)
    allow = config.settings.get("allow_missing") or []
    if not isinstance(allow, list) or not all(isinstance(a, str) for a in allow):
        raise ConfigError(f"model config {config.source}: allow_missing must be a list of names")
    runner = TorchRunner(settings, config.model_id)
    max_length = config.settings.get("max_length")
    recipe = load_recipe(
        config.settings,
        source=config.source,
        adapter="huggingface",
        model_dir=path,
        max_length=max_length if isinstance(max_length, int) else None,
    )
    where = f"model {config.model_id!r} (huggingface {source})"
    try:
        with _Quiet():
            # mismatched shapes are collected (not raised) so that the error can name them
            model, info = AutoModel.from_pretrained(
                source, output_loading_info=True, ignore_mismatched_sizes=True, **common
            )
    except (OSError, ValueError, RuntimeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"{where}: cannot load the checkpoint: {first}") from None
    unexpected = _check_loading(info, list(allow), where)
    model.to(device=runner.device, dtype=runner.dtype).eval()
    resolved = getattr(model.config, "_commit_hash", None)
    tokenizer_path = settings.path("tokenizer_path", kind="tokenizer folder")
    description: dict[str, Any] = {
        "source": "local folder" if path is not None else f"hub {hub_id}",
        "revision": revision,
        "resolved_revision": resolved if isinstance(resolved, str) else None,
        "weights_sha256": sha256_files(weight_files, path) if path is not None else None,
        "model_type": getattr(model.config, "model_type", None),
        "architecture": type(model).__name__,
        "model_config_sha256": _config_sha256(model.config),
        "unused_checkpoint_keys": len(unexpected),
        "allowed_missing": list(allow),
        "trust_remote_code": trust,
    }
    import transformers

    description["transformers_version"] = transformers.__version__
    if recipe is not None:
        description.update(recipe_description(recipe))
    loaded = HuggingFaceModel(
        model,
        runner,
        tokenizer_source=str(tokenizer_path) if tokenizer_path else source,
        tokenizer_kwargs=common,
        settings=settings,
        description=description,
        recipe=recipe,
    )
    runner.meter.load_s = time.perf_counter() - started
    return loaded
