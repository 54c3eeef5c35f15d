"""Which accepted eval files are signed, and by whom (``build-leaderboard --allowed-signers``).

Each accepted file's signature is verified against the allowed-signers file
(:func:`fmbench.results.signing.verify_signature`): a valid one is shown on the pages as
"signed by <principal> (<key fingerprint>)"; a signature that does not match the content
rejects the file; with ``required``, so does an unsigned file or one signed by a key the
allowed-signers file does not list.

Example:
    >>> from fmbench.leaderboard.collect import Collected
    >>> apply_signatures(Collected(), None).accepted
    []
"""

from __future__ import annotations

from pathlib import Path

from fmbench.errors import FmbenchError
from fmbench.leaderboard.collect import Collected, Rejected
from fmbench.results.eval_file import read_eval
from fmbench.results.signing import verify_signature
from fmbench.results.validation import findings_of_signature

__all__ = ["apply_signatures"]


def apply_signatures(
    collected: Collected, allowed_signers: Path | None, *, required: bool = False
) -> Collected:
    """Verify the accepted files' signatures; set ``signed_by``, move failures to rejected."""
    if allowed_signers is None:
        if required:
            raise ValueError("a required signature needs an allowed-signers file")
        return collected
    kept = []
    for source in collected.accepted:
        try:
            doc = source.doc if source.doc is not None else read_eval(source.path)
        except FmbenchError as exc:  # changed since it was read
            collected.rejected.append(Rejected(display=source.display, reasons=(str(exc),)))
            continue
        check = verify_signature(doc, allowed_signers)
        errors = [
            f.message
            for f in findings_of_signature(check, required=required)
            if f.severity == "error"
        ]
        if errors:
            collected.rejected.append(Rejected(display=source.display, reasons=tuple(errors)))
            continue
        source.signed_by = check.signed_by
        kept.append(source)
    collected.accepted = kept
    collected.rejected.sort(key=lambda r: (r.display, r.kind))
    return collected
