"""The command line with the plugin: listing, a run through a subprocess, clear errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml
from click.testing import CliRunner

from fmbench.cli import cli

from .conftest import CONFIGS

HEAVY = ("anndata", "sklearn", "scipy", "pandas", "h5py")


def test_plugins_list_shows_the_plugin() -> None:
    result = CliRunner().invoke(cli, ["plugins", "list"], obj={})
    assert result.exit_code == 0, result.output
    assert "fmbench-genomics" in result.output
    assert "[loaded]" in result.output
    assert "SUITE-GEN-CLASS-001" in result.output
    assert "genomics_kmer_baseline" in result.output


def test_listing_imports_no_field_library() -> None:
    code = (
        "import sys\nfrom fmbench.cli import main\n"
        "sys.argv = ['fmbench', 'plugins', 'list']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"print('HEAVY', sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert "fmbench-genomics" in out
    assert out.strip().splitlines()[-1] == "HEAVY []"


def test_dna_suite_end_to_end_in_a_subprocess(tmp_path: Path) -> None:
    env = {**os.environ, "FMBENCH_NO_PLUGINS": ""}
    fmbench = [sys.executable, "-m", "fmbench"]
    subprocess.run(
        [
            *fmbench,
            "generate-toy-data",
            "--only",
            "DS-TOY-DNA-PROMOTER",
            "--only",
            "DS-TOY-DNA-ENHANCER",
        ],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
    )
    done = subprocess.run(
        [
            *fmbench,
            "run",
            "--suite",
            "SUITE-DNA-CLASS",
            "--model",
            str(CONFIGS / "kmer.yaml"),
            "--out",
            "results/dna",
            "--no-progress",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    document = yaml.safe_load((tmp_path / "results/dna/eval.yaml").read_text())
    assert document["status"] == "Completed"
    assert document["model"]["baseline"] is True
    for record in document["benchmarks"]:
        assert record["metrics"]["AUROC"] > 0.7
    assert (tmp_path / "results/dna/report.md").is_file()


def test_malformed_fasta_is_one_clear_line(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "seqs.fa").write_text(">a label=1\nACGT\nAC!T\n")
    result = CliRunner().invoke(
        cli,
        [
            "run",
            "--suite",
            "SUITE-DNA-CLASS",
            "--model",
            str(CONFIGS / "kmer.yaml"),
            "--out",
            "out",
            "--dataset",
            "seqs.fa",
            "--no-progress",
        ],
        obj={},
    )
    document = yaml.safe_load((tmp_path / "out/eval.yaml").read_text())
    errors = {r["error"] for r in document["benchmarks"]}
    assert errors == {
        "seqs.fa: line 3: characters '!' are not DNA (IUPAC nucleotide codes ACGTURYSWKMBDHVN and '-') "
        "(plugin 'fmbench-genomics')"
    }
    assert "Traceback" not in result.output
