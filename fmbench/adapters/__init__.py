"""Adapters for real foundation models: PyTorch modules, Hugging Face checkpoints, ONNX graphs.

Each adapter type is a model-config ``type:`` registered by the built-in plugin
:mod:`fmbench.builtin.fm_adapters`; its implementation lives in one module here and imports
its heavy library (torch, transformers, onnxruntime) only inside functions, so listing
plugins stays light. Install the libraries with the extras ``fmbench[torch]``,
``fmbench[hf]`` or ``fmbench[onnx]``.

Example:
    >>> from fmbench.adapters.runtime import POOLINGS
    >>> POOLINGS
    ('mean', 'cls', 'flatten', 'none')
"""

from __future__ import annotations

__all__: list[str] = []
