"""Signed eval files: the submitter's SSH key, the scheme ``ssh-keygen -Y`` and git use.

The digest of an eval file (:mod:`fmbench.results.eval_file`) is a plain SHA-256: it catches a
value changed by accident or by hand, but anyone can recompute it after editing a metric. A
signature says *who* vouches for the content. ``fmbench sign eval.yaml --key ~/.ssh/id_ed25519``
signs the line ::

    fmbench eval.yaml digest sha256:<digest.sha256>

with ``ssh-keygen -Y sign -n fmbench-eval`` and stores the signature inside the file, in the
``digest`` block (which the digest itself leaves out)::

    digest:
      algorithm: sha256
      sha256: 5a21...
      results_sha256: 9f3c...
      signature:
        format: sshsig
        namespace: fmbench-eval
        sshsig: U1NIU0lH...   # the armored signature's base64, on one line

Verification recomputes the digest from the content (so any edit breaks the signature) and
asks ``ssh-keygen -Y find-principals`` / ``-Y verify`` against an *allowed signers* file, the
same file format git uses for ``gpg.ssh.allowedSignersFile``::

    alice@example.org namespaces="fmbench-eval" ssh-ed25519 AAAAC3Nz...

Embedded rather than a sidecar ``eval.yaml.sig``: the signature travels with the one file a
submitter pastes into an issue and with the copies the leaderboard publishes, and it survives
re-serialisation (line endings, indentation) because it covers the parsed content's digest,
not the file's bytes.

Example:
    >>> signed_message("ab" * 32)
    b'fmbench eval.yaml digest sha256:abababababababababababababababababababababababababababababababab\\n'
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import shutil
import subprocess
import tempfile
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
import yaml

from fmbench.errors import ResultsError

__all__ = [
    "NAMESPACE",
    "SignatureCheck",
    "SigningError",
    "has_signature",
    "sign_eval",
    "signed_message",
    "ssh_keygen",
    "verify_signature",
]

#: The ``ssh-keygen -Y`` namespace of eval-file signatures (a signature made for git, or for
#: any other namespace, never verifies as one of these).
NAMESPACE = "fmbench-eval"

_GOOD = re.compile(
    r'Good "[^"]*" signature (?:for (?P<who>.+?) )?with (?P<key>\S+) key (?P<fp>\S+)'
)
_SSHSIG = re.compile(r"[A-Za-z0-9+/]+={0,2}")
_TIMEOUT_S = 60


class SigningError(ResultsError):
    """Signing or verifying could not be done (no ssh-keygen, no key, a malformed block)."""


@attrs.frozen(kw_only=True)
class SignatureCheck:
    """What verifying an eval file's signature found.

    ``status`` is ``unsigned``; ``valid``; ``unknown_key`` (a good signature by a key the
    allowed-signers file does not list: it proves nothing about who); or ``invalid`` (the
    signature does not match the content, or is malformed: edited after signing). ``signer``
    is the principal of the allowed-signers file, ``key`` the key's type and fingerprint
    (``ED25519 SHA256:...``).
    """

    status: str
    signer: str | None = None
    key: str | None = None
    reason: str | None = None

    @property
    def signed_by(self) -> str | None:
        """``alice@example.org (ED25519 SHA256:...)`` for a valid signature, else None."""
        if self.status != "valid":
            return None
        return f"{self.signer} ({self.key})" if self.signer else self.key


def signed_message(digest_sha256: str) -> bytes:
    """The bytes that are signed: one line naming the eval file's content digest."""
    return f"fmbench eval.yaml digest sha256:{digest_sha256}\n".encode("ascii")


def ssh_keygen() -> str:
    """The ``ssh-keygen`` program, or a :class:`SigningError` saying how to get it."""
    found = shutil.which("ssh-keygen")
    if found is None:
        raise SigningError(
            "ssh-keygen not found on PATH: signed eval files use OpenSSH's `ssh-keygen -Y "
            "sign/verify` (OpenSSH 8.2 or later; e.g. `apt install openssh-client`, or the "
            "ssh-keygen of Git for Windows)"
        )
    return found


def _run(args: list[str], *, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(  # noqa: S603 - a fixed program, arguments as a list
            [ssh_keygen(), *args],
            input=stdin,
            capture_output=True,
            timeout=_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise SigningError(
            f"ssh-keygen {args[0]} {args[1]} took longer than {_TIMEOUT_S} s"
        ) from None
    except OSError as exc:
        raise SigningError(f"cannot run ssh-keygen: {exc}") from None


def _said(done: subprocess.CompletedProcess[bytes]) -> str:
    text = (done.stderr or b"").decode("utf-8", "replace").strip().splitlines()
    useful = [line for line in text if line and not line.startswith(("Signing file", "Write "))]
    return (useful[-1] if useful else f"exit status {done.returncode}")[:300]


def _content_digest(doc: Mapping[str, Any]) -> str:
    from fmbench.results.eval_file import with_digest

    return str(with_digest(doc)["digest"]["sha256"])


def has_signature(doc: Mapping[str, Any]) -> bool:
    """Does the document carry a signature block?"""
    digest = doc.get("digest")
    return isinstance(digest, Mapping) and "signature" in digest


def _armor(sshsig: str) -> str:
    body = "\n".join(textwrap.wrap(sshsig, 70))
    return f"-----BEGIN SSH SIGNATURE-----\n{body}\n-----END SSH SIGNATURE-----\n"


def _block(doc: Mapping[str, Any]) -> str:
    """The signature's base64 from the document, checked (raises SigningError)."""
    block = doc["digest"]["signature"]
    if not isinstance(block, Mapping):
        raise SigningError("digest.signature must be a mapping (format, namespace, sshsig)")
    if block.get("format") != "sshsig":
        raise SigningError(f"digest.signature.format {block.get('format')!r} is not 'sshsig'")
    if block.get("namespace") != NAMESPACE:
        raise SigningError(
            f"digest.signature.namespace {str(block.get('namespace'))[:80]!r} is not {NAMESPACE!r}"
        )
    sshsig = block.get("sshsig")
    if not isinstance(sshsig, str) or not _SSHSIG.fullmatch(sshsig) or len(sshsig) > 20_000:
        raise SigningError("digest.signature.sshsig is not a base64 SSH signature")
    try:
        raw = base64.b64decode(sshsig, validate=True)
    except (binascii.Error, ValueError):
        raise SigningError("digest.signature.sshsig is not valid base64") from None
    if not raw.startswith(b"SSHSIG"):
        raise SigningError("digest.signature.sshsig is not an SSH signature (no SSHSIG magic)")
    return sshsig


def verify_signature(doc: Mapping[str, Any], allowed_signers: Path | str) -> SignatureCheck:
    """Check the document's signature against an allowed-signers file.

    Never raises for a bad signature (that is ``status="invalid"`` with the reason); raises
    :class:`SigningError` only when ssh-keygen cannot be run at all.
    """
    if not has_signature(doc):
        return SignatureCheck(status="unsigned")
    allowed = Path(allowed_signers)
    if not allowed.is_file():
        raise SigningError(f"allowed signers file {allowed} not found")
    try:
        sshsig = _block(doc)
    except SigningError as exc:
        return SignatureCheck(status="invalid", reason=str(exc))
    message = signed_message(_content_digest(doc))
    ssh_keygen()
    with tempfile.TemporaryDirectory(prefix="fmbench-sig-") as folder:
        signature = Path(folder) / "eval.sig"
        signature.write_text(_armor(sshsig), encoding="ascii")
        found = _run(["-Y", "find-principals", "-s", str(signature), "-f", str(allowed)])
        principals = (found.stdout or b"").decode("utf-8", "replace").split()
        if found.returncode != 0 or not principals:
            checked = _run(["-Y", "check-novalidate", "-n", NAMESPACE, "-s", str(signature)],
                           stdin=message)  # fmt: skip
            good = _GOOD.search((checked.stdout or b"").decode("utf-8", "replace"))
            if checked.returncode == 0 and good:
                return SignatureCheck(
                    status="unknown_key",
                    key=f"{good['key']} {good['fp']}",
                    reason=f"signed by {good['key']} key {good['fp']}, which {allowed.name} "
                    "does not list (for this namespace)",
                )
            return SignatureCheck(
                status="invalid",
                reason=f"the signature does not match the content ({_said(checked)})",
            )
        principal = principals[0]
        done = _run(
            ["-Y", "verify", "-f", str(allowed), "-I", principal, "-n", NAMESPACE,
             "-s", str(signature)],
            stdin=message,
        )  # fmt: skip
    good = _GOOD.search((done.stdout or b"").decode("utf-8", "replace"))
    if done.returncode != 0 or good is None:
        return SignatureCheck(
            status="invalid",
            signer=principal,
            reason=f"the signature does not match the content ({_said(done)})",
        )
    return SignatureCheck(
        status="valid", signer=good["who"] or principal, key=f"{good['key']} {good['fp']}"
    )


def sign_eval(path: Path | str, key: Path | str, *, overwrite: bool = False) -> SignatureCheck:
    """Sign an eval file in place with an SSH key (a private key file, or a public key whose
    private half is in ssh-agent); returns the key's type and fingerprint.

    The file's digest must match its content (only what fmbench wrote is signed). A file that
    is signed already is re-signed only with ``overwrite``.
    """
    from fmbench.io import atomic_write_text
    from fmbench.results.eval_file import dump_yaml, read_eval, verify_digest

    path, key = Path(path), Path(os.path.expanduser(str(key)))
    doc = read_eval(path)
    if "eval_id" not in doc or not isinstance(doc.get("digest"), Mapping):
        raise SigningError(f"{path} is not an eval file (no eval_id or digest)")
    if not verify_digest(doc):
        raise SigningError(
            f"{path}: the digest does not match the content (the file was edited after fmbench "
            "wrote it); only an unedited eval file can be signed"
        )
    if not key.is_file():
        raise SigningError(f"SSH key {key} not found (e.g. --key ~/.ssh/id_ed25519)")
    if has_signature(doc) and not overwrite:
        raise SigningError(f"{path} is signed already; pass --overwrite to replace the signature")
    message = signed_message(_content_digest(doc))
    with tempfile.TemporaryDirectory(prefix="fmbench-sign-") as folder:
        target = Path(folder) / "eval"
        target.write_bytes(message)
        # stdin is the terminal, so that ssh-keygen can ask for the key's passphrase
        try:
            done = subprocess.run(  # noqa: S603 - a fixed program, arguments as a list
                [ssh_keygen(), "-Y", "sign", "-f", str(key), "-n", NAMESPACE, str(target)],
                capture_output=True,
                timeout=600,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise SigningError(f"ssh-keygen -Y sign failed: {exc}") from None
        signature = Path(folder) / "eval.sig"
        if done.returncode != 0 or not signature.is_file():
            raise SigningError(f"ssh-keygen -Y sign with {key} failed: {_said(done)}")
        armored = signature.read_text(encoding="ascii")
        checked = _run(["-Y", "check-novalidate", "-n", NAMESPACE, "-s", str(signature)],
                       stdin=message)  # fmt: skip
    sshsig = "".join(
        line.strip() for line in armored.splitlines() if line.strip() and "-----" not in line
    )
    good = _GOOD.search((checked.stdout or b"").decode("utf-8", "replace"))
    if checked.returncode != 0 or good is None:
        raise SigningError(f"the new signature does not check: {_said(checked)}")
    digest = {k: v for k, v in doc["digest"].items() if k != "signature"}
    digest["signature"] = {"format": "sshsig", "namespace": NAMESPACE, "sshsig": sshsig}
    signed = {**doc, "digest": digest}
    text = dump_yaml(signed)
    if yaml.safe_load(text) != signed:  # the rewrite must keep the content exactly
        raise SigningError(f"{path}: the signed file would not read back the same; please report")
    atomic_write_text(path, text)
    return SignatureCheck(status="valid", key=f"{good['key']} {good['fp']}")
