"""What a command handler is given to talk to the outside world, and input readers."""

from __future__ import annotations

import sys
from collections.abc import Mapping

from hipcare.domain.errors import HipcareError, InvalidInputError

# typing itself is not imported at run time: it costs the radiograph preview command
# 3 ms (ADR 0011). Type checkers treat any name TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any, TextIO

__all__ = ["CommandIO", "UsageError", "empty_folder", "read_json", "read_text"]


class UsageError(HipcareError):
    """The command line itself is wrong (unknown option, missing argument)."""


class CommandIO:
    """Streams and environment handed to a command, so tests can run it in-process.

    A plain class, not a dataclass: importing :mod:`dataclasses` (with :mod:`inspect`) costs
    a short command such as ``hipcare radiograph preview`` 7 ms (ADR 0009). Json and pathlib
    are imported by the readers that use them, for the same reason.
    """

    __slots__ = ("environ", "stderr", "stdin", "stdout")

    def __init__(
        self, stdin: TextIO, stdout: TextIO, stderr: TextIO, environ: Mapping[str, str]
    ) -> None:
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.environ = environ

    @classmethod
    def from_sys(cls, environ: Mapping[str, str]) -> CommandIO:
        return cls(stdin=sys.stdin, stdout=sys.stdout, stderr=sys.stderr, environ=environ)


def read_text(path: str | None, io: CommandIO, what: str) -> str:
    """Read ``path`` (or standard input when ``path`` is None or ``-``) as UTF-8 text."""
    if path is None or path == "-":
        return io.stdin.read()
    from pathlib import Path

    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInputError(what, f"file {path!r} does not exist") from None
    except IsADirectoryError:
        raise InvalidInputError(what, f"{path!r} is a folder; give a file") from None
    except UnicodeDecodeError:
        raise InvalidInputError(what, f"file {path!r} is not UTF-8 text") from None
    except OSError as error:
        raise InvalidInputError(what, f"cannot read {path!r}: {error.strerror}") from None


def read_json(path: str | None, io: CommandIO, what: str = "input") -> Any:
    """Read one JSON document from ``path`` or standard input, or say where it is broken."""
    text = read_text(path, io, what)
    if not text.strip():
        source = "standard input" if path in (None, "-") else repr(path)
        raise InvalidInputError(what, f"{source} is empty; expected a JSON object")
    import json

    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidInputError(
            what,
            f"not valid JSON at line {error.lineno} column {error.colno}: {error.msg}",
        ) from None


def empty_folder(path: Path, option: str = "--output") -> Path:
    """``path`` as a new or empty folder, or a one-line error naming ``option``."""
    if path.exists() and not path.is_dir():
        raise InvalidInputError(option, f"{str(path)!r} is a file; give a folder")
    if path.is_dir() and any(path.iterdir()):
        raise InvalidInputError(option, f"{str(path)!r} is not empty; give a new or empty folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InvalidInputError(option, f"cannot create {str(path)!r}: {error.strerror}") from None
    return path
