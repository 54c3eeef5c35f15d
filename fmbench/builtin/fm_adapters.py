"""Built-in plugin: the foundation-model adapter types ``torch_module``, ``huggingface``, ``onnx``.

Registering them imports neither torch, transformers nor onnxruntime: each ``load`` is a lazy
``"module:function"`` reference, and each implementation imports its library when a model is
loaded. When the library is missing, the run fails with the ``pip install 'fmbench-core[...]'``
line to fix it.

Example:
    >>> [spec.name for spec in fmbench_model_adapters()]
    ['torch_module', 'huggingface', 'onnx']
"""

from __future__ import annotations

from collections.abc import Iterator

from fmbench.adapters.config_keys import HUGGINGFACE_KEYS, ONNX_KEYS, TORCH_MODULE_KEYS
from fmbench.plugin_system.hookspecs import hookimpl
from fmbench.plugin_system.specs import ModelAdapterSpec

__all__ = ["fmbench_model_adapters"]


@hookimpl
def fmbench_model_adapters() -> Iterator[ModelAdapterSpec]:
    yield ModelAdapterSpec(
        name="torch_module",
        summary="a torch.nn.Module class + a local weights file, loaded safely and strictly",
        load="fmbench.adapters.torch_module:load_torch_module",
        config_keys=TORCH_MODULE_KEYS,
        requires=("fmbench-core[torch]",),
    )
    yield ModelAdapterSpec(
        name="huggingface",
        summary="a transformers checkpoint (local folder, or hub id + revision), AutoModel",
        load="fmbench.adapters.huggingface:load_huggingface",
        config_keys=HUGGINGFACE_KEYS,
        requires=("fmbench-core[hf]",),
    )
    yield ModelAdapterSpec(
        name="onnx",
        summary="an exported ONNX graph run through onnxruntime",
        load="fmbench.adapters.onnx:load_onnx",
        config_keys=ONNX_KEYS,
        requires=("fmbench-core[onnx]",),
    )
