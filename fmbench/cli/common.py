"""Shared pieces of the commands: the registry, error handling, JSON output."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import click

from fmbench.errors import FmbenchError

__all__ = ["echo_json", "handle_errors", "registry_from"]


def registry_from(ctx: click.Context) -> Any:
    """The registry for this invocation (honours --no-plugins)."""
    from fmbench.registry import get_registry

    root = ctx.find_root()
    external = (root.obj or {}).get("external")
    return get_registry(external)


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=False, default=str))


def handle_errors(call: Callable[[], Any], *, debug: bool) -> Any:
    """Run ``call``; print fmbench and click errors as one line and exit non-zero."""
    try:
        result = call()
    except FmbenchError as exc:
        if debug:
            raise
        click.echo(f"Error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except Exception as exc:
        if debug:
            raise
        first = str(exc).splitlines()[0] if str(exc) else ""
        click.echo(
            f"Error: internal error {type(exc).__name__}: {first} (run with --debug for the "
            "traceback, and please report it)",
            err=True,
        )
        sys.exit(3)
    if isinstance(result, int) and result != 0:
        sys.exit(result)
    return result
