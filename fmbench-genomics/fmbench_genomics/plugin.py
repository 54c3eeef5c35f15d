"""The fmbench-genomics plugin: what it registers (imports nothing heavy).

Entry point ``fmbench-genomics = "fmbench_genomics.plugin"``. Every heavy callable is a lazy
``"module:attr"`` reference, so ``fmbench plugins list`` imports neither anndata nor
scikit-learn nor scipy.

Example:
    >>> from fmbench_genomics import plugin
    >>> sorted(p.name for p in plugin.fmbench_probes())[:3]
    ['batch_shift', 'expression_noise', 'gene_dropout']
"""

from __future__ import annotations

from collections.abc import Iterator

from fmbench.capabilities import CLASSIFIES, EMBEDS, Fits
from fmbench.plugin_system.hookspecs import hookimpl
from fmbench.plugin_system.specs import (
    BenchmarkSpec,
    DatasetSpec,
    MetricSpec,
    ModelAdapterSpec,
    ModelSpec,
    ProbeSpec,
    ProtocolSpec,
    SuiteSpec,
)
from fmbench_genomics.public import public_datasets
from fmbench_genomics.sequence_layouts import READ_PATTERNS as SEQUENCE_READ_PATTERNS

_PKG = "fmbench_genomics"
_TOY = f"{_PKG}.toy:"
_SYNTHETIC = "CC0-1.0 (synthetic)"


@hookimpl
def fmbench_datasets() -> Iterator[DatasetSpec]:
    yield DatasetSpec(
        name="DS-TOY-SC-CELLTYPE",
        summary="toy single-cell counts, 600 cells x 200 genes, 6 cell types, 3 batches",
        modality="single_cell",
        load=f"{_PKG}.expression:load_expression_folder",
        toy_path="genomics/sc_celltype",
        generate=_TOY + "generate_sc_celltype",
        license=_SYNTHETIC,
        data_kind="synthetic",
    )
    yield DatasetSpec(
        name="DS-TOY-GENE-EXPRESSION",
        summary="toy expression table of the earlier project, 200 x 50, 3 classes",
        modality="expression",
        load=f"{_PKG}.expression:load_expression_folder",
        toy_path="genomics/gene_expression_classification",
        generate=_TOY + "generate_gene_expression_classification",
        license=_SYNTHETIC,
        data_kind="synthetic",
    )
    yield DatasetSpec(
        name="DS-PBMC68K-REDUCED",
        summary="real 10x PBMC 68k (reduced), 700 cells x 765 genes, 10 cell types (h5ad)",
        modality="single_cell",
        load=f"{_PKG}.realdata:load_pbmc68k_reduced",
        license="10x Genomics data as shipped by scanpy (BSD-3-Clause)",
        citation="Zheng et al. 2017, Nat. Commun. 8:14049",
        data_kind="real",
    )
    yield from public_datasets()  # downloaded by `fmbench datasets fetch` (public.py)
    yield DatasetSpec(
        name="DS-TOY-DNA-PROMOTER",
        summary="toy promoter vs background, 150-300 bp, train.tsv / test.tsv",
        modality="dna",
        load="fmbench.data.dataset:load_sequence_folder",
        toy_path="genomics/dna_promoter",
        generate=_TOY + "generate_dna_promoter",
        license=_SYNTHETIC,
        data_kind="synthetic",
    )
    yield DatasetSpec(
        name="DS-TOY-DNA-ENHANCER",
        summary="toy enhancer vs background, 200-500 bp, train.fa / test.fa",
        modality="dna",
        load=f"{_PKG}.sequences:load_fasta",
        toy_path="genomics/dna_enhancer",
        generate=_TOY + "generate_dna_enhancer",
        license=_SYNTHETIC,
        data_kind="synthetic",
    )
    yield DatasetSpec(
        name="DS-TOY-VARIANT-POP",
        summary="toy VCF, 150 samples x 400 variants, 3 populations (samples.tsv)",
        modality="variant",
        load=f"{_PKG}.vcf:load_vcf",
        toy_path="genomics/variant_population",
        generate=_TOY + "generate_variant_population",
        license=_SYNTHETIC,
        data_kind="synthetic",
    )
    # file-format readers: a path given to --dataset goes to the first that matches
    yield DatasetSpec(
        name="h5ad",
        summary="AnnData .h5ad (options: label_key, layer, batch_key, dense); needs anndata",
        modality="single_cell",
        load=f"{_PKG}.expression:load_h5ad",
        reads=("*.h5ad",),
    )
    yield DatasetSpec(
        name="dna-sequences",
        summary=(
            "DNA sequences: FASTA (>id label=...), train.fa / test.fa, train_<class>.fa, "
            "train/<class>.fa, Genomic Benchmarks train/<class>/*.txt, train.tsv / test.tsv"
        ),
        modality="dna",
        load=f"{_PKG}.sequence_datasets:load_sequences",
        reads=SEQUENCE_READ_PATTERNS,
    )
    yield DatasetSpec(
        name="vcf",
        summary="VCF genotypes (plain or gzip) + samples.tsv labels (option label_key)",
        modality="variant",
        load=f"{_PKG}.vcf:load_vcf",
        reads=("*.vcf", "*.vcf.gz", "*.vcf.bgz"),
    )


@hookimpl
def fmbench_model_adapters() -> Iterator[ModelAdapterSpec]:
    yield ModelAdapterSpec(
        name="genomics_expression_baseline",
        summary="BASELINE: log1p-CP10k expression (embed); PCA + logistic regression (fit)",
        load=f"{_PKG}.baselines:load_expression_baseline",
        config_keys=("n_components", "target_sum", "seed"),
        baseline=True,
        modalities=("single_cell", "expression"),
    )
    yield ModelAdapterSpec(
        name="genomics_kmer_baseline",
        summary="BASELINE: k-mer frequency vectors of DNA sequences (encode_sequences)",
        load=f"{_PKG}.baselines:load_kmer_baseline",
        config_keys=("k",),
        baseline=True,
        modalities=("dna",),
    )
    yield ModelAdapterSpec(
        name="genomics_genotype_baseline",
        summary="BASELINE: allele dosages as features (missing = 0)",
        load=f"{_PKG}.baselines:load_genotype_baseline",
        baseline=True,
        modalities=("variant",),
    )


_M = f"{_PKG}.metrics:"


@hookimpl
def fmbench_metrics() -> Iterator[MetricSpec]:
    yield MetricSpec(
        name="ARI",
        summary="adjusted Rand index of k-means clusters vs labels (label conservation)",
        needs="label",
        compute=_M + "ari",
        resampling="subsample",  # compares cells with each other: a duplicated cell biases it
        range=(-1.0, 1.0),
        chance=0.0,
    )
    yield MetricSpec(
        name="NMI",
        summary="normalised mutual information of k-means clusters vs labels",
        needs="label",
        compute=_M + "nmi",
        range=(0.0, 1.0),
        chance=_M + "nmi_chance",
    )
    yield MetricSpec(
        name="SilhouetteLabel",
        summary="mean silhouette width of the labels in the embedding",
        needs="value",
        compute=_M + "silhouette_label",
        resampling="subsample",  # compares cells with each other: a duplicated cell biases it
        range=(-1.0, 1.0),
        chance=0.0,
    )
    yield MetricSpec(
        name="BatchASW",
        summary="1 - |silhouette| by batch label (1 = batches well mixed)",
        needs="value",
        compute=_M + "batch_asw",
        resampling="subsample",  # compares cells with each other: a duplicated cell biases it
        range=(0.0, 1.0),
    )


@hookimpl
def fmbench_protocols() -> Iterator[ProtocolSpec]:
    yield ProtocolSpec(
        name="fit_predict",
        summary="the model's own fit on each training split, then predict_proba on its test",
        evaluate=f"{_PKG}.protocols:fit_predict",
        needs=(Fits, CLASSIFIES),
    )
    yield ProtocolSpec(
        name="embedding_clustering",
        summary="k-means on frozen embeddings (labels) + the embeddings (values); no training",
        evaluate=f"{_PKG}.protocols:embedding_clustering",
        needs=(EMBEDS,),
    )


_PE = f"{_PKG}.probes_expression:"
_PD = f"{_PKG}.probes_dna:"
_EXPR = ("single_cell", "expression")


@hookimpl
def fmbench_probes() -> Iterator[ProbeSpec]:
    yield ProbeSpec(
        name="gene_dropout",
        summary="each non-zero expression value set to 0 with probability level",
        perturb=_PE + "gene_dropout",
        levels=(0.0, 0.1, 0.2, 0.3, 0.5, 0.7),
        modalities=_EXPR,
        unit="fraction of non-zero values",
    )
    yield ProbeSpec(
        name="library_downsampling",
        summary="binomial thinning of integer counts: a fraction level of reads removed",
        perturb=_PE + "library_downsampling",
        levels=(0.0, 0.25, 0.5, 0.75, 0.9),
        modalities=_EXPR,
        unit="fraction of reads removed",
    )
    yield ProbeSpec(
        name="expression_noise",
        summary="each value multiplied by exp(N(0, level))",
        perturb=_PE + "expression_noise",
        levels=(0.0, 0.1, 0.25, 0.5, 1.0),
        modalities=_EXPR,
        unit="log-scale standard deviation",
    )
    yield ProbeSpec(
        name="batch_shift",
        summary="every gene multiplied by one factor exp(N(0, level)) shared by all cells",
        perturb=_PE + "batch_shift",
        levels=(0.0, 0.1, 0.25, 0.5, 1.0),
        modalities=_EXPR,
        unit="log-scale standard deviation of the per-gene factor",
    )
    yield ProbeSpec(
        name="snp_noise",
        summary="each base substituted by another with probability level",
        perturb=_PD + "snp_noise",
        levels=(0.0, 0.01, 0.02, 0.05, 0.1, 0.2),
        modalities=("dna",),
        unit="substitution rate per base",
    )
    yield ProbeSpec(
        name="reverse_complement",
        summary="a fraction level of sequences replaced by their reverse complement",
        perturb=_PD + "reverse_complement",
        levels=(0.0, 0.25, 0.5, 0.75, 1.0),
        modalities=("dna",),
        unit="fraction of sequences",
    )
    yield ProbeSpec(
        name="indels",
        summary="random insertions and deletions at rate level per base",
        perturb=_PD + "indels",
        levels=(0.0, 0.01, 0.02, 0.05, 0.1),
        modalities=("dna",),
        unit="indel rate per base",
    )


@hookimpl
def fmbench_benchmarks() -> list[BenchmarkSpec]:
    from fmbench.plugin_system.definitions import load_definitions

    return load_definitions(_PKG, "benchmarks")


@hookimpl
def fmbench_suites() -> list[SuiteSpec]:
    from fmbench.plugin_system.definitions import load_definitions

    return load_definitions(_PKG, "suites")


@hookimpl
def fmbench_models() -> list[ModelSpec]:
    """The package's baseline model configs (``definitions/models/``), runnable by name."""
    from fmbench.plugin_system.definitions import load_definitions

    return load_definitions(_PKG, "models")
