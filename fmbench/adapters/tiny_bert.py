"""A BertModel whose forward takes numeric inputs: the ``torch_module`` twin of the tiny BERT.

:func:`fmbench.adapters.tiny.save_tiny_bert` writes a checkpoint with ``save_pretrained``;
``TinyBertEncoder(**tiny_bert_config())`` has exactly its state dict, so the ``torch_module``
and ``huggingface`` adapters can run the very same weights (imports transformers).
"""

from __future__ import annotations

from typing import Any

import torch
from transformers import BertConfig, BertModel

__all__ = ["TinyBertEncoder"]


class TinyBertEncoder(BertModel):
    """forward(x (n, tokens*hidden)) -> last hidden state (n, tokens, hidden), x as inputs_embeds."""

    def __init__(self, **config: Any) -> None:
        super().__init__(BertConfig(**config))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hidden = self.config.hidden_size
        return super().forward(inputs_embeds=x.reshape(x.shape[0], -1, hidden)).last_hidden_state
