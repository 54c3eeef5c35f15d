"""Write ``keras_reference.json``: SpliceAI outputs computed by the ORIGINAL code and weights.

This script is not part of fmbench and is not run by the tests. It was run once, by hand, in
a scratch virtual environment that has the original SpliceAI package and a Keras 2 that loads
its HDF5 files (nothing of it is a dependency of fmbench)::

    python3.11 -m venv /tmp/tfref
    /tmp/tfref/bin/pip install "tensorflow-cpu==2.15.1" pandas pyfaidx   # Keras 2.15.0
    /tmp/tfref/bin/pip download --no-deps spliceai==1.3.1 -d /tmp/spliceai
    /tmp/tfref/bin/pip install --no-deps /tmp/spliceai/spliceai-1.3.1-py2.py3-none-any.whl
    /tmp/tfref/bin/python fmbench-genomics/tests/data/spliceai/make_reference.py

Each sequence is encoded with the package's own ``spliceai.utils.one_hot_encode``, flanked by
5,000 ``N`` on each side as the SpliceAI README does for custom sequences, and given to each
of the five published models (``keras.models.load_model`` on ``spliceai/models/spliceaiK.h5``
from the installed wheel) with ``model.predict``, one sequence at a time. Recorded per model
and sequence: the per-position probabilities (the model's output: no splice site, acceptor,
donor) and the mean over positions of the penultimate layer (``cropping1d_1``, the cropped
sum of the skip connections, 32 channels: the input of the final 1x1 convolution). For the
first sequence and model 1 the whole penultimate map is kept too.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # the Keras 2 that ships with tensorflow-cpu 2.15
import numpy as np
import tensorflow as tf
from keras.models import Model, load_model
from pkg_resources import resource_filename
from spliceai.utils import one_hot_encode

OUT = Path(__file__).with_name("keras_reference.json")
CONTEXT = 10_000
DIGITS = 8

# Made up for this test (no genome needed): a short random stretch; an exon-like stretch with
# a canonical acceptor (polypyrimidine tract, CAG) and donor (GTAAGT); lower case and N inside
# (the encoding upper-cases and gives N all zeros); and a longer GC-rich random stretch.
_RNG = np.random.default_rng(20240607)
SEQUENCES = {
    "random40": "".join(_RNG.choice(list("ACGT"), size=40)),
    "exon_like": (
        "".join(_RNG.choice(list("ACGT"), size=30))
        + "TTTCTTTTCCTTTCCTTTTCAG"
        + "GATCCAGCTGAAGGAGCTGCAGAAGATCCTGGACAAGAAGCTG"
        + "GTAAGTATGACTTGGAGG"
        + "".join(_RNG.choice(list("ACGT"), size=30))
    ),
    "lower_and_n": "acgtNNNNacgtTTAGGCNNACGTacgtgcatgcaTGCATGCAnnnnGGCCAATT",
    "gc_rich160": "".join(_RNG.choice(list("ACGT"), size=160, p=[0.15, 0.35, 0.35, 0.15])),
}


def _round(array: np.ndarray) -> list:
    return np.vectorize(lambda v: float(f"{v:.{DIGITS}g}"), otypes=[float])(array).tolist()


def main() -> None:
    wheel_files = {}
    out: dict = {
        "how": (
            "spliceai 1.3.1 (PyPI wheel) one_hot_encode('N'*5000 + seq + 'N'*5000) and "
            "keras.models.load_model(spliceai/models/spliceaiK.h5).predict, one sequence "
            "at a time; see make_reference.py"
        ),
        "versions": {
            "python": platform.python_version(),
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "numpy": np.__version__,
            "spliceai": "1.3.1",
        },
        "context": CONTEXT,
        "penultimate_layer": "cropping1d_1",
        "digits": DIGITS,
        "sequences": SEQUENCES,
        "models": {},
    }
    for k in range(1, 6):
        member = f"models/spliceai{k}.h5"
        path = resource_filename("spliceai", member)
        wheel_files[f"spliceai/{member}"] = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        model = load_model(path)
        penultimate = Model(inputs=model.input, outputs=model.get_layer("cropping1d_1").output)
        per_sequence = {}
        for name, seq in SEQUENCES.items():
            pad = "N" * (CONTEXT // 2)
            x = one_hot_encode(pad + seq + pad)[None, :]
            proba = model.predict(x, verbose=0)[0]
            features = penultimate.predict(x, verbose=0)[0]
            assert proba.shape == (len(seq), 3), proba.shape
            entry = {
                "proba": _round(proba),
                "penultimate_mean": _round(features.mean(axis=0)),
            }
            if k == 1 and name == "random40":
                entry["penultimate"] = _round(features)
            per_sequence[name] = entry
        out["models"][f"spliceai{k}"] = per_sequence
        out.setdefault("count_params", {})[f"spliceai{k}"] = int(model.count_params())
        print(f"spliceai{k}: {model.count_params()} parameters", file=sys.stderr)
    out["member_sha256"] = wheel_files
    OUT.write_text(json.dumps(out, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
