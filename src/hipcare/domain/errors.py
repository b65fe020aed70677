"""Errors the clinical core raises when it is given input it cannot honestly use."""

from __future__ import annotations

__all__ = ["ExternalSystemError", "HipcareError", "InvalidInputError", "OutsideRuleError"]


class HipcareError(Exception):
    """Base class for every error hipcare reports to a person rather than as a crash."""


class InvalidInputError(HipcareError):
    """Input that is impossible or malformed: names what was wrong and how to fix it.

    ``field`` is the dotted path of the offending field or landmark (for example
    ``landmarks.right.head_lateral``) so that a command line or a web form can point at it.
    """

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


class OutsideRuleError(HipcareError):
    """A question that no shipped rule was made for (an age, a GMFCS level, a measure).

    hipcare says so instead of extrapolating; callers show the message to the clinician.
    """

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


class ExternalSystemError(HipcareError):
    """Another system hipcare was set up to ask (a PACS) did not answer, or answered with an
    error: ``system`` names the setting or system (for example ``pacs``), ``problem`` says
    what happened in words a clinician can pass to the hospital's IT team.
    """

    def __init__(self, system: str, problem: str) -> None:
        self.field = system
        self.problem = problem
        super().__init__(f"{system}: {problem}")
