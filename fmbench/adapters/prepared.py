"""Between a preprocessing recipe and a torch model: the recipe named by a model config's
``preprocess:``, and its :class:`~fmbench.adapters.recipes.base.ModelInputs` as one forward
call's tensors (used by the ``torch_module`` and ``huggingface`` adapters; imports torch only
inside functions).

Example:
    >>> def forward(input_ids, attention_mask=None): ...
    >>> sorted(parameter_names(forward))
    ['attention_mask', 'input_ids']
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs

from fmbench.adapters.recipes.base import ModelInputs, Recipe, RecipeContext, build_recipe
from fmbench.adapters.runtime import source_sha256, writable
from fmbench.errors import ModelError
from fmbench.hashing import json_sha256

__all__ = [
    "ForwardCall",
    "load_recipe",
    "masked_mean",
    "parameter_names",
    "recipe_description",
    "tensor_call",
]


@attrs.define
class ForwardCall:
    """One forward call: positional and keyword arguments, and the token mask for pooling."""

    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = attrs.field(factory=dict)
    token_mask: Any = None

    def __call__(self, method: Callable[..., Any]) -> Any:
        return method(*self.args, **self.kwargs)


def load_recipe(
    settings: dict[str, Any] | Any,
    *,
    source: str,
    adapter: str,
    model_dir: Path | None,
    max_length: int | None = None,
) -> Recipe | None:
    """The recipe a model config's ``preprocess`` names, or None when it names none."""
    spec = settings.get("preprocess")
    if spec is None:
        return None
    context = RecipeContext(
        source=source, adapter=adapter, model_dir=model_dir, max_length=max_length
    )
    return build_recipe(spec, context)


def recipe_description(recipe: Recipe) -> dict[str, Any]:
    """What ``describe()`` says about the recipe, and a hash of it and of the recipe's code
    (part of the embedding cache's key: a changed recipe never reuses old embeddings)."""
    described = recipe.describe()
    digest = json_sha256([described, source_sha256(recipe.code())])
    return {"preprocess": described, "preprocess_sha256": digest}


def parameter_names(method: Callable[..., Any]) -> set[str] | None:
    """The keyword names ``method`` takes; None when it takes any (``**kwargs``)."""
    parameters = inspect.signature(method).parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return None
    return {p.name for p in parameters if p.kind is not inspect.Parameter.VAR_POSITIONAL}


def tensor_call(
    inputs: ModelInputs,
    method: Callable[..., Any],
    *,
    device: str,
    float_dtype: Any,
    where: str,
) -> ForwardCall:
    """The recipe's arrays as tensors on ``device`` (floats in ``float_dtype``), checked
    against ``method``'s parameters; optional ones it does not take are left out."""
    import torch

    accepted = parameter_names(method)
    kwargs: dict[str, Any] = {}
    for name, value in [*inputs.arrays.items(), *inputs.constants.items()]:
        if accepted is not None and name not in accepted:
            if name in inputs.optional:
                continue
            raise ModelError(
                f"{where}: the preprocessing recipe gives {name!r}, which this method does not "
                f"take (it takes {', '.join(sorted(accepted)) or 'nothing'}); check "
                "embed_method or wrap the model so its forward takes the recipe's inputs"
            )
        if name in inputs.arrays:
            tensor = torch.from_numpy(writable(value)).to(device)
            value = tensor.to(float_dtype) if tensor.is_floating_point() else tensor
        kwargs[name] = value
    mask = None
    if inputs.token_mask is not None:
        mask = torch.from_numpy(writable(inputs.token_mask)).to(device)
    return ForwardCall(kwargs=kwargs, token_mask=mask)


def masked_mean(hidden: Any, mask: Any) -> Any:
    """Mean over the token axis of (n, tokens, dim), counting only tokens where mask is 1."""
    weights = mask.to(hidden.dtype).unsqueeze(-1)
    return (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1.0)
