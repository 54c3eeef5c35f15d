"""The ``fmbench`` command line: thin click commands that call the library.

Commands are imported only when used, so ``fmbench --help`` stays fast.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click

from fmbench._version import __version__

__all__ = ["main"]

#: command name -> "module:function" (imported lazily)
COMMANDS: dict[str, str] = {
    "datasets": "fmbench.cli.datasets_cmd:datasets",
    "download-weights": "fmbench.cli.weights_cmd:download_weights",
    "generate-toy-data": "fmbench.cli.toy_cmd:generate_toy_data",
    "list-suites": "fmbench.cli.listing:list_suites",
    "list-benchmarks": "fmbench.cli.benchmarks_cmd:list_benchmarks",
    "list-probes": "fmbench.cli.listing:list_probes",
    "list-metrics": "fmbench.cli.listing:list_metrics",
    "list-datasets": "fmbench.cli.listing:list_datasets",
    "list-adapters": "fmbench.cli.listing:list_adapters",
    "list-models": "fmbench.cli.listing:list_models",
    "list-protocols": "fmbench.cli.listing:list_protocols",
    "plugins": "fmbench.cli.listing:plugins",
    "run": "fmbench.cli.run_cmd:run",
    "compare": "fmbench.cli.compare_cmd:compare",
    "run-robustness": "fmbench.cli.robustness_cmd:run_robustness",
    "validate": "fmbench.cli.validate_cmd:validate",
    "sign": "fmbench.cli.sign_cmd:sign",
    "build-leaderboard": "fmbench.cli.leaderboard_cmd:build_leaderboard",
}

#: one-line help shown by `fmbench --help` without importing the commands
SHORT_HELP: dict[str, str] = {
    "datasets": "Public and toy datasets: list, fetch (download, verify, cache), verify.",
    "download-weights": "Download model weights named by a model config into the cache.",
    "generate-toy-data": "Write the deterministic toy datasets of every installed plugin.",
    "list-suites": "List the registered suites.",
    "list-benchmarks": "List the registered benchmarks.",
    "list-probes": "List the registered robustness probes.",
    "list-metrics": "List the registered metrics.",
    "list-datasets": "List the registered datasets and file readers.",
    "list-adapters": "List the model-config types (adapters).",
    "list-models": "List the models plugins ship, runnable as --model NAME.",
    "list-protocols": "List the evaluation protocols.",
    "plugins": "Show and manage plugins (plugins list, plugins new).",
    "run": "Run a suite on a model and write eval.yaml and report.md.",
    "compare": "Compare runs: paired differences; with 3+ runs Friedman, Nemenyi, CD diagram.",
    "run-robustness": "Score a model under robustness probes on a dataset (rAUC curves).",
    "validate": "Check eval.yaml files (schema, digest) or suite/benchmark/model YAML.",
    "sign": "Sign an eval file with your SSH key (ssh-keygen -Y sign).",
    "build-leaderboard": "Validate and rank eval files; write Markdown, HTML, JSON and CSV.",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, _, attr = target.partition(":")
        command: click.Command = getattr(importlib.import_module(module_name), attr)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; fmbench errors become one line on stderr and a non-zero exit."""
        from fmbench.errors import FmbenchError

        debug = bool(ctx.params.get("debug")) or bool(os.environ.get("FMBENCH_DEBUG"))
        try:
            result = super().invoke(ctx)
            if isinstance(result, int) and not isinstance(result, bool) and result != 0:
                ctx.exit(result)  # a command may return its exit code
            return result
        except FmbenchError as exc:
            if debug:
                raise
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except KeyboardInterrupt as exc:
            click.echo("Interrupted.", err=True)
            hint = getattr(exc, "hint", "")
            if hint:
                click.echo(hint, err=True)
            ctx.exit(130)
        except Exception as exc:
            if isinstance(exc, BrokenPipeError) and _reader_gone():
                # whoever read the output stopped (`fmbench plugins list | head`): stop
                # quietly, with the status of a command that SIGPIPE ended
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                ctx.exit(141)
            if debug:
                raise
            click.echo(f"Error: {_unexpected(exc, (ctx.obj or {}).get('external'))}", err=True)
            ctx.exit(3)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, SHORT_HELP.get(name, "")) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="fmbench")
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.option(
    "--no-plugins",
    is_flag=True,
    help="Load only fmbench's built-in plugins (also: FMBENCH_NO_PLUGINS=1).",
)
@click.pass_context
def cli(ctx: click.Context, debug: bool, no_plugins: bool) -> None:
    """fmbench: evaluate foundation models for neurology and genomics, locally.

    Your model stays on your machine; only metrics (eval.yaml) are meant to be shared.
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    ctx.obj["external"] = False if no_plugins else None
    if debug:
        # worker processes of this command inherit the setting; it ends with the command, so a
        # caller that runs several commands in one process (a notebook, CliRunner) is unaffected
        before = os.environ.get("FMBENCH_DEBUG")
        os.environ["FMBENCH_DEBUG"] = "1"
        ctx.call_on_close(lambda: _restore_env("FMBENCH_DEBUG", before))


def _unexpected(exc: BaseException, external: bool | None) -> str:
    """One line for an exception that is not fmbench's own: the plugin it came from, or an
    internal error to report."""
    from fmbench.plugin_system.blame import failure_message
    from fmbench.plugin_system.registry import get_registry

    try:
        registry = get_registry(external)  # built already by the failed command (cached)
    except Exception:
        registry = None
    message = failure_message(exc, registry)
    if message.startswith("internal error"):
        return f"{message} (run with --debug for the traceback, and please report it)"
    return f"{message} (run with --debug for the traceback)"


def _reader_gone() -> bool:
    """Whether standard output is a pipe whose reader has closed it (POSIX: poll reports an
    error on the writing end)."""
    import select

    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & select.POLLERR for _, events in poller.poll(0))
    except (AttributeError, OSError, ValueError):  # no poll (Windows), no real stdout
        return False


def _restore_env(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


def main(argv: list[str] | None = None) -> Any:
    """Entry point of ``fmbench`` and ``python -m fmbench``."""
    return cli.main(args=argv, prog_name="fmbench", obj={})
