"""Private by default: what files meant to be shared may say about where things were.

``eval.yaml``, ``report.md`` and the leaderboard are pasted into public places, so they name
local files by their last part only, never by a path that shows a home folder or a project.

Example:
    >>> public_path("/home/alice/secret-project/configs/my_model.yaml")
    'my_model.yaml'
    >>> public_path("baseline_kmer4")
    'baseline_kmer4'
    >>> public_command("fmbench run --model /home/alice/m.yaml --out results/run1 --dataset ../x/d")
    'fmbench run --model m.yaml --out results/run1 --dataset d'
"""

from __future__ import annotations

import re
import shlex
from pathlib import PurePath, PurePosixPath, PureWindowsPath

__all__ = ["is_local_path", "public_command", "public_path", "public_text"]

_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")
#: ``~``, ``~/x`` or ``~user/x`` (not ``~5``, an approximate number)
_HOME = re.compile(r"^~([\w.-]*[\\/]|$)")


def is_local_path(value: str) -> bool:
    """Does ``value`` look like a path that reveals where it lives (absolute, ``~`` or ``..``)?

    Example:
        >>> is_local_path("/tmp/x"), is_local_path("results/run"), is_local_path("../x")
        (True, False, True)
        >>> is_local_path("~/data"), is_local_path("~alice/x"), is_local_path("~5")
        (True, True, False)
    """
    if not value:
        return False
    if value.startswith(("/", "\\\\")) or _WINDOWS_DRIVE.match(value) or _HOME.match(value):
        return True
    parts = re.split(r"[\\/]", value)
    return ".." in parts


def _name(value: str) -> str:
    path: PurePath = PureWindowsPath(value) if _WINDOWS_DRIVE.match(value) else PurePosixPath(value)
    return path.name or value.strip("/\\") or value


def public_path(value: str | None) -> str:
    """A path as a shared file may show it: a file or folder name, never where it lives."""
    if not value:
        return ""
    text = str(value)
    return _name(text) if is_local_path(text) or "/" in text or "\\" in text else text


def public_command(command: str) -> str:
    """A command line with each local path (absolute, ``~``, ``..``) reduced to its name.

    Relative paths inside the working folder (``results/run1``) are kept: they say nothing
    about the machine.
    """
    if not command:
        return command
    try:
        words = shlex.split(command)
    except ValueError:  # unbalanced quotes: keep the words as they are split by spaces
        words = command.split()
    shown = []
    for word in words:
        option, equals, rest = word.partition("=")
        if equals and option.startswith("--") and is_local_path(rest):
            shown.append(f"{option}={_name(rest)}")
        else:
            shown.append(_name(word) if is_local_path(word) else word)
    return " ".join(shlex.quote(w) for w in shown)


#: A local path inside a message: absolute (``/x/y``, ``~/x``, ``C:\\x``) or climbing out
#: (``../x``), starting a word (after a space, a quote, ``(``, ``[``, ``=`` or the start).
_PATH_IN_TEXT = re.compile(
    r"""(?<![^\s'"(\[=<])(?:~|\.\.|[A-Za-z]:(?=[\\/]))?[\\/][^\s'"(),;<>\[\]]*"""
)


def public_text(message: str) -> str:
    """A message (an error recorded in ``eval.yaml``) with each local path reduced to its
    last part.

    Example:
        >>> public_text("cannot read '/home/alice/data/X.npy': empty file")
        "cannot read 'X.npy': empty file"
        >>> public_text("d_empty/X.npy: empty; see https://example.org/a/b")
        'd_empty/X.npy: empty; see https://example.org/a/b'
    """

    def shorten(match: re.Match[str]) -> str:
        text = match.group(0)
        trailing = len(text) - len(text.rstrip(".:"))
        body, tail = (text[:-trailing], text[-trailing:]) if trailing else (text, "")
        return _name(body) + tail if is_local_path(body) else text

    return _PATH_IN_TEXT.sub(shorten, message)
