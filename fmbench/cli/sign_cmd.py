"""``fmbench sign``: sign an eval file with your SSH key (``ssh-keygen -Y sign``)."""

from __future__ import annotations

import os
from pathlib import Path

import click


@click.command(name="sign")
@click.argument("eval_file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--key",
    required=True,
    type=click.Path(dir_okay=False),
    help="Your SSH key: a private key file (e.g. ~/.ssh/id_ed25519), or a public key whose "
    "private half ssh-agent holds.",
)
@click.option("--overwrite", is_flag=True, help="Replace a signature the file already has.")
def sign(eval_file: str, key: str, overwrite: bool) -> None:
    """Sign EVAL_FILE in place with your SSH key, so a leaderboard can show who submitted it.

    The signature (namespace fmbench-eval) covers the file's content digest and is stored in
    its digest block. Give the leaderboard your public key for its allowed-signers file.

    Example: fmbench sign results/my_first_run/eval.yaml --key ~/.ssh/id_ed25519
    """
    from fmbench.results.signing import NAMESPACE, sign_eval

    check = sign_eval(Path(eval_file), Path(key), overwrite=overwrite)
    click.echo(f"signed {eval_file} with {check.key}")
    expanded = Path(os.path.expanduser(key))
    public = expanded if expanded.suffix == ".pub" else expanded.with_name(expanded.name + ".pub")
    if public.is_file():
        text = " ".join(public.read_text(encoding="utf-8", errors="replace").split()[:2])
        click.echo(
            "the line for an allowed-signers file (put your e-mail first):\n"
            f'  you@example.org namespaces="{NAMESPACE}" {text}'
        )
    click.echo(
        "check it with: fmbench validate --verify-signature --allowed-signers FILE " + eval_file
    )
