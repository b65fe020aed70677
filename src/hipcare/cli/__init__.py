"""The ``hipcare`` command line: ``main(argv, environ)`` and its subcommands.

Each subcommand lives in its own module in this package and exposes
``register(subparsers)``, which adds its parser and sets ``handler`` to a function
``handler(args, io) -> int``. Handlers call services; they never compute clinical values
themselves. Any :class:`~hipcare.domain.errors.HipcareError` becomes exit status 2 and one
line on stderr naming the field at fault; a bad command line does the same.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Mapping, Sequence

from hipcare import __version__
from hipcare.domain.errors import HipcareError

# typing itself is not imported at run time: it costs the radiograph preview command
# 3 ms (ADR 0011). Type checkers treat any name TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NoReturn

    from hipcare.cli.command_io import CommandIO

__all__ = ["EXIT_BAD_INPUT", "EXIT_OK", "console_main", "main"]

EXIT_OK = 0
EXIT_BAD_INPUT = 2

# Subcommand modules, in the order `hipcare --help` lists them.
_SUBCOMMAND_MODULES = (
    "hipcare.cli.demo",
    "hipcare.cli.measure",
    "hipcare.cli.surveillance",
    "hipcare.cli.osteotomy",
    "hipcare.cli.plan",
    "hipcare.cli.calendar",
    "hipcare.cli.booklet",
    "hipcare.cli.catalog",
    "hipcare.cli.fhir",
    "hipcare.cli.serve",
    "hipcare.cli.migrate",
    "hipcare.cli.backup",
    "hipcare.cli.radiograph",
    "hipcare.cli.reminders",
    "hipcare.cli.report",
    "hipcare.cli.registry_export",
)


class _Parser(argparse.ArgumentParser):
    """An argument parser that reports a usage problem as one line instead of exiting."""

    def error(self, message: str) -> NoReturn:
        from hipcare.cli.command_io import UsageError

        raise UsageError(f"{self.prog}: {message} (see '{self.prog} --help')")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command-line grammar, built from the subcommand modules.

    With ``command`` naming a subcommand whose module has that name, only that module is
    imported and registered: its grammar, help and errors do not depend on the others, and
    importing all of them costs a short command like ``radiograph preview`` about 20 ms.
    """
    parser = _Parser(
        prog="hipcare",
        description=(
            "Hip surveillance and the VDRO care pathway for children with cerebral palsy. "
            "hipcare informs clinicians; it does not diagnose or decide."
        ),
    )
    parser.add_argument("--version", action="version", version=f"hipcare {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    modules: tuple[str, ...] = _SUBCOMMAND_MODULES
    if command is not None and f"hipcare.cli.{command}" in modules:
        modules = (f"hipcare.cli.{command}",)
    for module_name in modules:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name != module_name:
                raise
            continue  # a subcommand still being written is simply not offered yet
        module.register(subparsers)
    return parser


def main(
    argv: Sequence[str] | None = None,
    environ: Mapping[str, str] | None = None,
    io: CommandIO | None = None,
) -> int:
    """Run one ``hipcare`` command and return its exit status (0 ok, 2 bad input)."""
    from hipcare.cli.command_io import CommandIO, UsageError

    io = io or CommandIO.from_sys(environ if environ is not None else os.environ)
    arguments = list(argv) if argv is not None else sys.argv[1:]
    parser = build_parser(arguments[0] if arguments and not arguments[0].startswith("-") else None)
    try:
        args = parser.parse_args(arguments)
        handler = getattr(args, "handler", None)
        if handler is None:
            parser.print_help(io.stdout)
            return EXIT_BAD_INPUT
        status: int = handler(args, io)
        return status
    except UsageError as error:
        io.stderr.write(f"{error}\n")
        return EXIT_BAD_INPUT
    except HipcareError as error:
        command = getattr(locals().get("args"), "command", None) or "hipcare"
        io.stderr.write(f"hipcare {command}: error: {error}\n")
        return EXIT_BAD_INPUT


def console_main() -> NoReturn:
    """The ``hipcare`` console script."""
    sys.exit(main(sys.argv[1:], os.environ))
