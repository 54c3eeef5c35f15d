"""Shared pieces of the commands: the registry, error handling, JSON output."""

from __future__ import annotations

import json
from typing import Any

import click

__all__ = ["echo_json", "registry_from"]


def registry_from(ctx: click.Context) -> Any:
    """The registry for this invocation (honours --no-plugins)."""
    from fmbench.registry import get_registry

    root = ctx.find_root()
    external = (root.obj or {}).get("external")
    return get_registry(external)


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=False, default=str))
