"""What :class:`fmbench.models.handle.ModelHandle` accepts from ``embed`` (issue #21 item 5)."""

from __future__ import annotations

import numpy as np
import pytest

from fmbench.errors import ModelError
from fmbench.models.config import parse_model_config
from fmbench.models.handle import ModelHandle


class Embedder:
    def __init__(self, shape_of_one: tuple[int, ...]) -> None:
        self.shape_of_one = shape_of_one

    def embed(self, X):  # type: ignore[no-untyped-def]
        return np.ones((len(X), *self.shape_of_one))


def handle(shape_of_one: tuple[int, ...]) -> ModelHandle:
    config = parse_model_config({"model_id": "e", "type": "python_class"}, source="<t>")
    return ModelHandle(model=Embedder(shape_of_one), config=config)


def test_a_1d_embedding_is_refused_with_the_fix() -> None:
    with pytest.raises(ModelError) as caught:
        handle(()).embed(np.zeros((5, 3)))
    assert str(caught.value) == (
        "model 'e': embed() returned shape (5,) for 5 inputs; an embedding is one row of "
        "features per input, shape (5, n_features) (for a single feature, return it as shape "
        "(5, 1))"
    )


@pytest.mark.parametrize(("shape_of_one", "width"), [((1,), 1), ((4,), 4), ((3, 2), 6)])
def test_embeddings_of_two_or_more_dimensions_give_one_row_per_input(
    shape_of_one: tuple[int, ...], width: int
) -> None:
    assert handle(shape_of_one).embed(np.zeros((5, 3))).shape == (5, width)
