"""Signed eval files (issue #21 F3): `fmbench sign` with the submitter's SSH key, `validate
--verify-signature --allowed-signers`, and "signed by" on the leaderboard.

Keys are throwaway ed25519 keys made with the machine's ssh-keygen; without ssh-keygen the
tests that need it are skipped (the clear error for a missing ssh-keygen is tested anyway).
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from fmbench.cli import cli
from fmbench.leaderboard.synthetic import synthetic_eval, write_synthetic
from fmbench.results.eval_file import dump_yaml, with_digest
from fmbench.results.signing import NAMESPACE, sign_eval, signed_message, verify_signature

SSH_KEYGEN = shutil.which("ssh-keygen")
needs_ssh_keygen = pytest.mark.skipif(
    SSH_KEYGEN is None, reason="ssh-keygen (OpenSSH) is not installed on this machine"
)


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--no-plugins", *args], obj={})
    return result.exit_code, result.output


def make_key(folder: Path, name: str) -> Path:
    assert SSH_KEYGEN is not None
    key = folder / name
    subprocess.run(
        [SSH_KEYGEN, "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(key)],
        check=True,
        timeout=60,
    )
    return key


@pytest.fixture
def keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    if SSH_KEYGEN is None:
        pytest.skip("ssh-keygen (OpenSSH) is not installed on this machine")
    monkeypatch.chdir(tmp_path)
    alice, mallory = make_key(tmp_path, "alice"), make_key(tmp_path, "mallory")
    public = (tmp_path / "alice.pub").read_text().strip()
    allowed = tmp_path / "allowed_signers"
    allowed.write_text(f'alice@example.org namespaces="{NAMESPACE}" {public}\n')
    write_synthetic(tmp_path / "evals" / "a.yaml", synthetic_eval("model-a", 0.8))
    write_synthetic(tmp_path / "evals" / "b.yaml", synthetic_eval("model-b", 0.7))
    return {"alice": alice, "mallory": mallory, "allowed": allowed}


def edit_and_redigest(path: Path, value: float) -> None:
    doc = yaml.safe_load(path.read_text())
    doc["benchmarks"][0]["metrics"]["AUROC"] = value
    doc["benchmarks"][0]["primary_metric"]["value"] = value
    signature = doc["digest"].get("signature")
    doc = with_digest({k: v for k, v in doc.items() if k != "digest"})
    if signature is not None:
        doc["digest"]["signature"] = signature  # the old signature kept, content changed
    path.write_text(dump_yaml(doc))


@needs_ssh_keygen
def test_sign_then_verify_names_the_signer(keys: dict[str, Path]) -> None:
    code, output = invoke("sign", "evals/a.yaml", "--key", str(keys["alice"]))
    assert code == 0, output
    assert output.startswith("signed evals/a.yaml with ED25519 SHA256:")
    assert f'you@example.org namespaces="{NAMESPACE}" ssh-ed25519 ' in output
    block = yaml.safe_load(Path("evals/a.yaml").read_text())["digest"]["signature"]
    assert block["format"] == "sshsig" and block["namespace"] == NAMESPACE
    assert base64.b64decode(block["sshsig"]).startswith(b"SSHSIG")
    code, output = invoke(
        "validate", "--verify-signature", "--allowed-signers", "allowed_signers", "evals/a.yaml"
    )
    assert code == 0, output
    assert "evals/a.yaml: info: signed by alice@example.org (ED25519 SHA256:" in output
    assert "evals/a.yaml: OK (eval)" in output


@needs_ssh_keygen
def test_an_edit_after_signing_breaks_the_signature(keys: dict[str, Path]) -> None:
    """The F3 attack on a signed file: edit the AUROC and recompute the digest."""
    sign_eval(Path("evals/a.yaml"), keys["alice"])
    edit_and_redigest(Path("evals/a.yaml"), 0.99)
    code, output = invoke("validate", "--allowed-signers", "allowed_signers", "evals/a.yaml")
    assert code == 1
    assert "evals/a.yaml: error: signature does not verify: the signature does not match" in output


@needs_ssh_keygen
def test_a_key_the_allowed_signers_do_not_list_is_not_trusted(keys: dict[str, Path]) -> None:
    sign_eval(Path("evals/a.yaml"), keys["mallory"])
    code, output = invoke("validate", "--allowed-signers", "allowed_signers", "evals/a.yaml")
    assert code == 0  # a good signature by an unknown key: a warning ...
    assert "warning: signature not trusted: signed by ED25519 key SHA256:" in output
    assert "which allowed_signers does not list" in output
    code, output = invoke(
        "validate", "--verify-signature", "--allowed-signers", "allowed_signers", "evals/a.yaml"
    )
    assert code == 1  # ... and an error when a signature is required
    assert "error: signature not trusted" in output


@needs_ssh_keygen
def test_unsigned_files_fail_only_when_a_signature_is_required(keys: dict[str, Path]) -> None:
    code, output = invoke("validate", "--allowed-signers", "allowed_signers", "evals/b.yaml")
    assert code == 0
    assert "evals/b.yaml: info: not signed" in output.splitlines()
    code, output = invoke(
        "validate", "--verify-signature", "--allowed-signers", "allowed_signers", "evals/b.yaml"
    )
    assert code == 1
    assert "error: not signed; the submitter signs it with `fmbench sign eval.yaml" in output


@needs_ssh_keygen
def test_a_signature_for_another_namespace_does_not_verify(keys: dict[str, Path]) -> None:
    """A signature the same key made for git (namespace "git") is not an eval signature."""
    assert SSH_KEYGEN is not None
    doc = yaml.safe_load(Path("evals/a.yaml").read_text())
    message = Path("message")
    message.write_bytes(signed_message(doc["digest"]["sha256"]))
    subprocess.run(
        [SSH_KEYGEN, "-Y", "sign", "-f", str(keys["alice"]), "-n", "git", str(message)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    armored = Path("message.sig").read_text().splitlines()
    sshsig = "".join(line for line in armored if "-----" not in line)
    doc["digest"]["signature"] = {"format": "sshsig", "namespace": NAMESPACE, "sshsig": sshsig}
    check = verify_signature(doc, keys["allowed"])
    assert check.status == "invalid", check


@needs_ssh_keygen
def test_malformed_signature_blocks_are_refused(keys: dict[str, Path]) -> None:
    doc = yaml.safe_load(Path("evals/a.yaml").read_text())
    bogus = base64.b64encode(b"NOTASIG" * 10).decode()
    doc["digest"]["signature"] = {"format": "sshsig", "namespace": NAMESPACE, "sshsig": bogus}
    check = verify_signature(doc, keys["allowed"])
    assert (check.status, check.reason) == (
        "invalid",
        "digest.signature.sshsig is not an SSH signature (no SSHSIG magic)",
    )
    Path("evals/bad.yaml").write_text(dump_yaml(doc))
    code, output = invoke("validate", "--allowed-signers", "allowed_signers", "evals/bad.yaml")
    assert code == 1
    assert "signature does not verify: digest.signature.sshsig is not an SSH signature" in output
    doc["digest"]["signature"] = {"format": "pgp", "namespace": NAMESPACE, "sshsig": bogus}
    Path("evals/bad.yaml").write_text(dump_yaml(doc))
    code, output = invoke("validate", "evals/bad.yaml")
    assert code == 1
    assert "schema: digest.signature.format" in output


@needs_ssh_keygen
def test_signing_refuses_an_edited_file_and_a_second_signature(keys: dict[str, Path]) -> None:
    edit_and_redigest(Path("evals/b.yaml"), 0.75)  # re-digested: signable
    doc = yaml.safe_load(Path("evals/a.yaml").read_text())
    doc["benchmarks"][0]["metrics"]["AUROC"] = 0.9  # digest left stale
    Path("evals/a.yaml").write_text(dump_yaml(doc))
    code, output = invoke("sign", "evals/a.yaml", "--key", str(keys["alice"]))
    assert code != 0
    assert "the digest does not match the content" in output
    assert invoke("sign", "evals/b.yaml", "--key", str(keys["alice"]))[0] == 0
    before = Path("evals/b.yaml").read_bytes()
    code, output = invoke("sign", "evals/b.yaml", "--key", str(keys["mallory"]))
    assert code != 0 and "is signed already; pass --overwrite" in output
    assert Path("evals/b.yaml").read_bytes() == before
    assert invoke("sign", "evals/b.yaml", "--key", str(keys["mallory"]), "--overwrite")[0] == 0
    code, output = invoke("sign", "evals/b.yaml", "--key", "no_such_key")
    assert code != 0 and "SSH key no_such_key not found" in output


@needs_ssh_keygen
def test_the_leaderboard_shows_who_signed(keys: dict[str, Path]) -> None:
    sign_eval(Path("evals/a.yaml"), keys["alice"])
    code, output = invoke(
        "build-leaderboard", "--results", "evals", "--out", "site",
        "--allowed-signers", "allowed_signers",
    )  # fmt: skip
    assert code == 0, output
    page = Path("site/index.md").read_text()
    line_a = next(line for line in page.splitlines() if "model-a" in line)
    line_b = next(line for line in page.splitlines() if "model-b" in line)
    assert "signed by alice@example.org (ED25519 SHA256:" in line_a
    assert "signed by" not in line_b
    assert (
        '<span class="signed">signed by alice@example.org (ED25519 SHA256:'
        in Path("site/index.html").read_text()
    )
    rows = json.loads(Path("site/leaderboard.json").read_text())["boards"][0]["rows"]
    signed = {r["model_id"]: r["signed_by"] for r in rows}
    assert signed["model-b"] is None
    assert signed["model-a"].startswith("alice@example.org (ED25519 SHA256:")
    assert "signed_by" in Path("site/leaderboard.csv").read_text().splitlines()[0]
    # --require-signature: the unsigned file is not on the board
    code, output = invoke(
        "build-leaderboard", "--results", "evals", "--out", "site2",
        "--allowed-signers", "allowed_signers", "--require-signature",
    )  # fmt: skip
    assert code == 0, output
    rows = json.loads(Path("site2/leaderboard.json").read_text())["boards"][0]["rows"]
    assert [r["model_id"] for r in rows] == ["model-a"]
    assert "evals/b.yaml (rejected)" in Path("site2/rejected.md").read_text()


@needs_ssh_keygen
def test_a_signed_file_edited_afterwards_is_rejected_by_the_leaderboard(
    keys: dict[str, Path],
) -> None:
    sign_eval(Path("evals/b.yaml"), keys["alice"])
    edit_and_redigest(Path("evals/b.yaml"), 0.99)  # would rank first
    code, output = invoke(
        "build-leaderboard", "--results", "evals", "--out", "site",
        "--allowed-signers", "allowed_signers",
    )  # fmt: skip
    assert code == 0, output
    rows = json.loads(Path("site/leaderboard.json").read_text())["boards"][0]["rows"]
    assert [r["model_id"] for r in rows] == ["model-a"]
    assert "signature does not verify" in Path("site/rejected.md").read_text()


def test_options_that_need_an_allowed_signers_file_say_so(tmp_path: Path) -> None:
    write_synthetic(tmp_path / "a.yaml", synthetic_eval("model-a", 0.8))
    code, output = invoke("validate", "--verify-signature", str(tmp_path / "a.yaml"))
    assert code == 2
    assert "--verify-signature needs --allowed-signers FILE" in output
    code, output = invoke(
        "build-leaderboard", "--results", str(tmp_path), "--out", str(tmp_path / "s"),
        "--require-signature",
    )  # fmt: skip
    assert code == 2
    assert "--require-signature needs --allowed-signers FILE" in output


def test_a_missing_ssh_keygen_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_synthetic(tmp_path / "a.yaml", synthetic_eval("model-a", 0.8))
    (tmp_path / "key").write_text("not used\n")
    (tmp_path / "allowed").write_text("\n")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    for args in (
        ("sign", str(tmp_path / "a.yaml"), "--key", str(tmp_path / "key")),
        ("validate", "--allowed-signers", str(tmp_path / "allowed"), str(tmp_path / "a.yaml")),
    ):
        code, output = invoke(*args)
        assert code == 1, output
        assert output.startswith("Error: ssh-keygen not found on PATH: signed eval files use")
        assert "Traceback" not in output
