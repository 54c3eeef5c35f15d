"""``fmbench build-leaderboard``: rank every eval file under some folders; write the pages."""

from __future__ import annotations

from pathlib import Path

import click

from fmbench.cli.common import registry_from

#: Where the page goes, without --output, when the default would be fmbench's own tracked docs.
#: Not under results/: build-leaderboard reads that folder, and would list the page's copies of
#: the eval files as duplicates the next time.
OWN_DOCS_FALLBACK = "leaderboard/index.md"


@click.command(name="build-leaderboard")
@click.option(
    "--results",
    "results",
    multiple=True,
    type=click.Path(file_okay=False),
    help="Folder to read eval files from (repeatable; more folders may follow as arguments). "
    "[default: --evals-dir, plus results/ when present]",
)
@click.argument("more_results", nargs=-1, metavar="[DIR]...", type=click.Path(file_okay=False))
@click.option(
    "--evals-dir",
    default="evals",
    show_default=True,
    type=click.Path(file_okay=False),
    help="The eval folder of the earlier project's layout (used when --results is not given).",
)
@click.option(
    "--output",
    default="docs/leaderboards/index.md",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="Markdown page for the documentation site. Inside an fmbench source checkout the "
    "default goes to leaderboard/index.md instead (that page is tracked): pass --output to "
    "rewrite it on purpose.",
)
@click.option(
    "--out",
    "out_dir",
    default=None,
    type=click.Path(file_okay=False),
    help="Write index.md, index.html, leaderboard.json, leaderboard.csv and rejected.md here "
    "(then --output is written only when given too).",
)
@click.option("--strict", is_flag=True, help="Exit with status 1 when any file is rejected.")
@click.option(
    "--allowed-signers",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="An allowed-signers file (ssh-keygen's and git's format): verify signed eval files "
    "(`fmbench sign`) and show who signed them; a signature that does not verify rejects "
    "the file.",
)
@click.option(
    "--require-signature",
    is_flag=True,
    help="Reject eval files without a valid signature by a key --allowed-signers lists.",
)
@click.option(
    "--benchmarks-dir",
    default=None,
    hidden=False,
    help="Accepted for compatibility with the earlier project; benchmark definitions now "
    "come from the installed plugins.",
)
@click.option(
    "--models-dir",
    default=None,
    help="Accepted for compatibility; model names come from the eval files.",
)
@click.option(
    "--datasets-dir",
    default=None,
    help="Accepted for compatibility; dataset facts come from the installed plugins.",
)
@click.pass_context
def build_leaderboard(
    ctx: click.Context,
    results: tuple[str, ...],
    more_results: tuple[str, ...],
    evals_dir: str,
    output: str,
    out_dir: str | None,
    strict: bool,
    allowed_signers: str | None,
    require_signature: bool,
    benchmarks_dir: str | None,
    models_dir: str | None,
    datasets_dir: str | None,
) -> int:
    """Validate and rank every eval file under the given folders; write the leaderboard.

    Example: fmbench build-leaderboard --results evals/ results/ --out site/leaderboard/
    """
    from fmbench.errors import ConfigError
    from fmbench.leaderboard import build, write_markdown, write_site

    folders = [*results, *more_results]
    if not folders:
        source = ctx.get_parameter_source("evals_dir")
        folders = [evals_dir] if Path(evals_dir).is_dir() else []
        if Path("results").is_dir():
            folders.append("results")
        if not folders:
            raise ConfigError(
                f"no eval folders found: {evals_dir}/ "
                + ("" if source == click.core.ParameterSource.COMMANDLINE else "and results/ ")
                + "do not exist here; pass --results DIR"
            )
    for ignored, name in (
        (benchmarks_dir, "--benchmarks-dir"),
        (models_dir, "--models-dir"),
        (datasets_dir, "--datasets-dir"),
    ):
        if ignored is not None:
            click.echo(f"note: {name} is accepted for compatibility and not used", err=True)
    output_asked = ctx.get_parameter_source("output") == click.core.ParameterSource.COMMANDLINE
    writes_output = out_dir is None or output_asked
    if writes_output and not output_asked:  # the default page: never fmbench's own docs
        from fmbench.leaderboard.own_docs import fmbench_source_tree

        tree = fmbench_source_tree(output)
        if tree is not None:
            click.echo(
                f"note: {output} is a page the {tree[0]} source tree ({tree[1].name}/) tracks; "
                f"writing the leaderboard to {OWN_DOCS_FALLBACK} instead (pass --output "
                f"{output} to rewrite that page on purpose)",
                err=True,
            )
            output = OWN_DOCS_FALLBACK
    if require_signature and allowed_signers is None:
        raise click.UsageError("--require-signature needs --allowed-signers FILE")
    signers = Path(allowed_signers) if allowed_signers is not None else None
    if signers is not None:
        from fmbench.results.signing import ssh_keygen

        ssh_keygen()  # missing: one clear error before anything is read
    registry = registry_from(ctx)
    board = build(
        sorted(dict.fromkeys(folders)),
        registry,
        progress=True,
        allowed_signers=signers,
        require_signature=require_signature,
    )
    written: list[Path] = []
    if out_dir is not None:
        written += write_site(board, Path(out_dir))
    if writes_output:
        written += write_markdown(board, Path(output))
    rows = sum(len(b.rows) for b in board.boards)
    click.echo(
        f"{len(board.boards)} benchmark(s), {rows} ranked row(s) from {', '.join(folders)}; "
        f"{len(board.rejected)} file(s) not used"
    )
    for item in board.rejected:
        if item.kind == "rejected":
            click.echo(f"rejected {item.display}: {item.reasons[0][:200]}", err=True)
    for path in written:
        click.echo(f"wrote {path}")
    return 1 if strict and any(r.kind == "rejected" for r in board.rejected) else 0
