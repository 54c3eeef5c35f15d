"""Write docs/cli.md from the click commands themselves (run by `make docs` and a test).

Usage: python docs/gen_cli_reference.py [--check]

``--check`` exits with status 1 when docs/cli.md differs from what would be written.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

CLI_MD = Path(__file__).resolve().parent / "cli.md"


def _help(command: click.Command, name: str, parent: click.Context | None) -> str:
    ctx = click.Context(command, info_name=name, parent=parent, terminal_width=100,
                        max_content_width=100)  # fmt: skip
    return command.get_help(ctx)


def render() -> str:
    """The whole page: the group's help, then every command's (sub-commands included)."""
    from fmbench.cli import COMMANDS, cli

    root = click.Context(
        cli, info_name="fmbench", terminal_width=100, max_content_width=100, **cli.context_settings
    )
    lines = [
        "# CLI reference",
        "",
        "Generated from the click commands by `docs/gen_cli_reference.py` (`make docs`); "
        "do not edit by hand.",
        "",
        "```text",
        cli.get_help(root),
        "```",
        "",
    ]
    for name in sorted(COMMANDS):
        command = cli.get_command(root, name)
        assert command is not None
        lines += [f"## fmbench {name}", "", "```text", _help(command, name, root), "```", ""]
        if isinstance(command, click.Group):
            sub_ctx = click.Context(command, info_name=name, parent=root)
            for sub in sorted(command.list_commands(sub_ctx)):
                child = command.get_command(sub_ctx, sub)
                assert child is not None
                lines += [
                    f"### fmbench {name} {sub}",
                    "",
                    "```text",
                    _help(child, sub, sub_ctx),
                    "```",
                    "",
                ]
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if not CLI_MD.exists() or CLI_MD.read_text(encoding="utf-8") != text:
            print(f"{CLI_MD} is stale: run `python docs/gen_cli_reference.py`", file=sys.stderr)
            return 1
        return 0
    CLI_MD.write_text(text, encoding="utf-8")
    print(f"wrote {CLI_MD}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
