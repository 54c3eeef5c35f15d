"""Errors that fmbench shows to users as one line, without a traceback (unless ``--debug``)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "ConfigError",
    "DataError",
    "FmbenchError",
    "Interrupted",
    "MetricUndefined",
    "ModelError",
    "NonFiniteError",
    "PluginError",
    "ResultsError",
    "UnknownNameError",
    "suggest",
]


class FmbenchError(Exception):
    """An error caused by input the user can fix; its message says what and how."""

    exit_code = 1


class ConfigError(FmbenchError):
    """A YAML file (model config, suite, benchmark, eval file) is malformed or invalid."""

    exit_code = 2


class UnknownNameError(FmbenchError):
    """An id that no plugin registered."""

    exit_code = 2


class DataError(FmbenchError):
    """A dataset could not be found, read or used."""


class NonFiniteError(DataError, ValueError):
    """A metric was given NaN or infinite labels or scores (it refuses them instead of
    returning a number that looks valid)."""


class ModelError(FmbenchError):
    """The model under test could not be loaded, or misbehaved."""


class PluginError(FmbenchError):
    """A plugin failed, or two plugins registered the same name."""


class ResultsError(FmbenchError):
    """An output folder or result file cannot be written or read as asked."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during a run; ``hint`` says how to continue it (``--resume``), when it can be.

    Example:
        >>> Interrupted("run it again with --resume").hint
        'run it again with --resume'
    """

    def __init__(self, hint: str = "") -> None:
        super().__init__(hint)
        self.hint = hint


class MetricUndefined(Exception):
    """Raised by a metric that cannot be computed on the data; the reason is reported.

    Example:
        >>> raise MetricUndefined("only one class present in y_true")
        Traceback (most recent call last):
        ...
        fmbench.errors.MetricUndefined: only one class present in y_true
    """


def suggest(word: str, choices: Iterable[str]) -> str:
    """Return ``" (did you mean 'x'?)"`` for the closest choice, or ``""``.

    Example:
        >>> suggest("SUITE-TOY-CLAS", ["SUITE-TOY-CLASS", "SUITE-DNA-CLASS"])
        " (did you mean 'SUITE-TOY-CLASS'?)"
    """
    choices = list(choices)
    lowered = {c.lower(): c for c in choices}
    if word.lower() in lowered:
        return f" (did you mean {lowered[word.lower()]!r}?)"
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
