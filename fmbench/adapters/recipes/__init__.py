"""Preprocessing recipes: the inputs each foundation-model family expects, built from a dataset.

A model config of type ``huggingface`` or ``torch_module`` may name a recipe under
``preprocess:``; the adapter then hands each batch of the dataset (DNA strings, a cells x
genes count matrix, EEG windows, parcel time series) and the dataset's facts (``info``:
``gene_names``, ``ch_names``, ``sampling_freq``, ``unit``...) to the recipe, and calls the
model with what it returns::

    model_id: nt_v2_50m
    type: huggingface
    path: /data/models/nucleotide-transformer-v2-50m-multi-species
    preprocess: {recipe: nucleotide_transformer, max_length: 1000}

A name below, or ``"module:Class"`` for a recipe of your own (a subclass of
:class:`fmbench.adapters.recipes.base.Recipe`). This module only holds the table; each recipe
module imports numpy (and tokenizers, for ``dnabert2``) when a config uses it.

Example:
    >>> sorted(RECIPES)[:4]
    ['bendr', 'brainlm', 'dnabert', 'dnabert2']
"""

from __future__ import annotations

__all__ = ["RECIPES"]

_PKG = "fmbench.adapters.recipes"

#: recipe name -> "module:Class" (resolved only when a model config names it)
RECIPES: dict[str, str] = {
    "nucleotide_transformer": f"{_PKG}.dna:NucleotideTransformerRecipe",
    "dnabert": f"{_PKG}.dna:DNABERTKmerRecipe",
    "dnabert2": f"{_PKG}.dna:DNABERT2Recipe",
    "hyenadna": f"{_PKG}.dna:HyenaDNARecipe",
    "geneformer": f"{_PKG}.single_cell:GeneformerRecipe",
    "scgpt": f"{_PKG}.single_cell:ScGPTRecipe",
    "bendr": f"{_PKG}.eeg:BENDRRecipe",
    "labram": f"{_PKG}.eeg:LaBraMRecipe",
    "brainlm": f"{_PKG}.fmri:BrainLMRecipe",
}
