"""``fmbench download-weights``: model weights into the cache, verified (the earlier verb)."""

from __future__ import annotations

import click

__all__ = ["download_weights"]


@click.command(name="download-weights")
@click.option(
    "--model",
    "model",
    default=None,
    metavar="CONFIG|NAME",
    help="Model config (or a shipped model's name) naming weights_url + weights_sha256, or "
    "hf_repo_id + hf_revision.",
)
@click.option("--url", default=None, help="Weights URL (instead of --model).")
@click.option("--sha256", default=None, help="sha256 of the file at --url.")
@click.option("--filename", default=None, help="File name in the cache [default: from URL].")
@click.option("--extract", is_flag=True, help="Unpack the downloaded zip/tar archive.")
@click.option("--offline", is_flag=True, help="Never download; use files placed by hand.")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
def download_weights(
    model: str | None,
    url: str | None,
    sha256: str | None,
    filename: str | None,
    extract: bool,
    offline: bool,
    no_progress: bool,
) -> None:
    """Download model weights into the cache ($FMBENCH_DATA/weights) and print the path."""
    from fmbench.errors import ConfigError
    from fmbench.models import weights

    settings: dict[str, object]
    if model:
        from fmbench.models.config import resolve_model_config
        from fmbench.plugin_system.registry import get_registry

        config = resolve_model_config(get_registry(), model)
        settings = {**dict(config.settings), "model_id": config.model_id}
    elif url:
        if not sha256:
            raise ConfigError("--url needs --sha256 (the file's sha256) to verify the download")
        settings = {
            "weights_url": url,
            "weights_sha256": sha256,
            "weights_filename": filename,
            "weights_extract": extract,
        }
    else:
        raise ConfigError("give --model CONFIG, or --url URL --sha256 HASH")
    path = weights.download_weights(settings, offline=offline or None, progress=not no_progress)
    click.echo(str(path))
    click.echo(f"checkpoint_path: {path}", err=True)
