"""What a model can do, as :class:`typing.Protocol` classes checked once when the model loads.

A model object offers some of ``predict``, ``predict_proba``, ``embed`` (or ``encode``,
``get_embeddings``), ``encode_sequences``, ``fit`` and ``prepare``. Each is a runtime-checkable
protocol here; a :class:`~fmbench.ProtocolSpec` says what it ``needs`` as a tuple of groups,
each group satisfied by any one of its protocols (:data:`CLASSIFIES` = a model that
``predict_proba`` or ``predict``).

Example:
    >>> class Model:
    ...     def predict(self, X): return X
    >>> sorted(p.__name__ for p in capabilities_of(Model()))
    ['Predicts']
    >>> [describe_group(g) for g in missing(capabilities_of(Model()), (CLASSIFIES, EMBEDS))]
    ['embed() or encode() or get_embeddings() or encode_sequences()']
    >>> describe_group(CLASSIFIES)
    'predict_proba() or predict()'
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "ALL",
    "CLASSIFIES",
    "EMBEDS",
    "Capabilities",
    "Embeds",
    "Encodes",
    "EncodesSequences",
    "Fits",
    "GetsEmbeddings",
    "Group",
    "Predicts",
    "PredictsProba",
    "Prepares",
    "as_group",
    "capabilities_of",
    "describe_group",
    "method_name",
    "missing",
]


@runtime_checkable
class Predicts(Protocol):
    """``predict(X)``: labels (classification) or values (regression), one row per input."""

    def predict(self, X: Any) -> Any: ...


@runtime_checkable
class PredictsProba(Protocol):
    """``predict_proba(X)``: class probabilities, shape (n, n_classes)."""

    def predict_proba(self, X: Any) -> Any: ...


@runtime_checkable
class Embeds(Protocol):
    """``embed(X)``: frozen embeddings, one row per input."""

    def embed(self, X: Any) -> Any: ...


@runtime_checkable
class Encodes(Protocol):
    """``encode(X)``: frozen embeddings (another common name for ``embed``)."""

    def encode(self, X: Any) -> Any: ...


@runtime_checkable
class GetsEmbeddings(Protocol):
    """``get_embeddings(X)``: frozen embeddings (the earlier project's name)."""

    def get_embeddings(self, X: Any) -> Any: ...


@runtime_checkable
class EncodesSequences(Protocol):
    """``encode_sequences(list_of_strings)``: embeddings of sequences (DNA, protein)."""

    def encode_sequences(self, sequences: list[str]) -> Any: ...


@runtime_checkable
class Fits(Protocol):
    """``fit(X, y)``: the model trains on the training folds (the ``fit_predict`` protocol)."""

    def fit(self, X: Any, y: Any) -> Any: ...


@runtime_checkable
class Prepares(Protocol):
    """``prepare(info)``: told the dataset's facts (n_classes, modality...) before use."""

    def prepare(self, info: Any) -> Any: ...


#: One need: any one of these protocols satisfies it.
Group = tuple[type, ...]
Capabilities = frozenset[type]

#: Every capability, in the order the model handle prefers them.
ALL: tuple[type, ...] = (
    PredictsProba,
    Predicts,
    Embeds,
    Encodes,
    GetsEmbeddings,
    EncodesSequences,
    Fits,
    Prepares,
)

#: Class predictions: probabilities, or labels.
CLASSIFIES: Group = (PredictsProba, Predicts)
#: Frozen embeddings, under any of their names, or of sequences.
EMBEDS: Group = (Embeds, Encodes, GetsEmbeddings, EncodesSequences)


def as_group(need: type | Iterable[type]) -> Group:
    """One protocol, or a group of alternatives, as a group."""
    group = (need,) if isinstance(need, type) else tuple(need)
    for protocol in group:
        if protocol not in ALL:
            raise ValueError(
                f"{protocol!r} is not a model capability; use those of fmbench.capabilities"
            )
    return group


def capabilities_of(model: object) -> Capabilities:
    """The capabilities a model object offers (its methods, checked once)."""
    return frozenset(p for p in ALL if isinstance(model, p))


def missing(capabilities: Capabilities, needs: Iterable[type | Group]) -> list[Group]:
    """The needs (protocols or groups of them) that none of ``capabilities`` satisfies."""
    groups = [as_group(need) for need in needs]
    return [group for group in groups if not capabilities.intersection(group)]


def method_name(protocol: type) -> str:
    """The method a capability protocol stands for (``Predicts`` -> ``"predict"``)."""
    return next(n for n, v in vars(protocol).items() if callable(v) and not n.startswith("_"))


def describe_group(group: Group) -> str:
    """A group as people read it: ``predict_proba() or predict()``."""
    return " or ".join(f"{method_name(p)}()" for p in group)
