"""Built-in evaluation protocols (see :mod:`fmbench.evaluation.protocols`)."""

from __future__ import annotations

from collections.abc import Iterator

from fmbench.capabilities import CLASSIFIES, EMBEDS
from fmbench.plugin_system.hookspecs import hookimpl
from fmbench.plugin_system.specs import ProtocolSpec


@hookimpl
def fmbench_protocols() -> Iterator[ProtocolSpec]:
    yield ProtocolSpec(
        name="zero_shot",
        summary="the model's own predict_proba / predict",
        evaluate="fmbench.evaluation.protocols:zero_shot",
        needs=(CLASSIFIES,),
    )
    yield ProtocolSpec(
        name="linear_probe",
        summary="logistic regression / ridge on frozen embeddings, tuned in training folds",
        evaluate="fmbench.evaluation.protocols:linear_probe",
        needs=(EMBEDS,),
    )
    yield ProtocolSpec(
        name="knn_probe",
        summary="k-nearest neighbours on frozen embeddings",
        evaluate="fmbench.evaluation.protocols:knn_probe",
        needs=(EMBEDS,),
    )
