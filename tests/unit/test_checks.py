"""The shared checks: finite numbers, closed choices and JSON-shaped input."""

from __future__ import annotations

import math
from enum import StrEnum

import pytest

from hipcare.domain.checks import choices, finite_number, optional_finite_number
from hipcare.domain.errors import InvalidInputError
from hipcare.services.json_input import json_object, parse_date, refuse_unknown_keys

WORDING = {"not_a_number": "{value!r} is a {type}", "not_finite": "{value!r} is not finite"}


class Colour(StrEnum):
    RED = "red"
    BLUE = "blue"


def test_finite_number_gives_a_float() -> None:
    """An int or float comes back as a float."""
    assert finite_number(3, "x", **WORDING) == 3.0
    assert isinstance(finite_number(3, "x", **WORDING), float)


@pytest.mark.parametrize("value", [True, "3", None, [1]])
def test_finite_number_refuses_what_is_not_a_number(value: object) -> None:
    """A bool, text, None or a list is refused in the caller's words, naming the type."""
    with pytest.raises(InvalidInputError) as caught:
        finite_number(value, "x", **WORDING)
    assert caught.value.field == "x"
    assert caught.value.problem == f"{value!r} is a {type(value).__name__}"


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_finite_number_refuses_nan_and_infinity(value: float) -> None:
    """NaN and the infinities are refused with the caller's not-finite wording."""
    with pytest.raises(InvalidInputError) as caught:
        finite_number(value, "x", **WORDING)
    assert caught.value.problem == f"{value!r} is not finite"


def test_optional_finite_number_passes_none_and_names_the_unit() -> None:
    """None stays None; a wrong value's problem names the unit."""
    assert optional_finite_number(None, "weeks", "weeks") is None
    with pytest.raises(InvalidInputError, match=r"\(weeks\)"):
        optional_finite_number("x", "weeks", "weeks")


def test_choices_lists_the_values_plain_or_quoted() -> None:
    """The values in declaration order, quoted when asked."""
    assert choices(Colour) == "red, blue"
    assert choices(Colour, quoted=True) == "'red', 'blue'"


def test_json_object_refuses_a_list() -> None:
    """Anything but a mapping is refused with the caller's problem."""
    assert json_object({"a": 1}, "form", "must be an object") == {"a": 1}
    with pytest.raises(InvalidInputError, match="must be an object"):
        json_object([1], "form", "must be an object")


def test_refuse_unknown_keys_names_the_field_with_its_prefix() -> None:
    """The first unknown key is refused as prefix + key, listing the known keys."""
    refuse_unknown_keys({"a": 1}, ("a", "b"))
    with pytest.raises(InvalidInputError) as caught:
        refuse_unknown_keys({"a": 1, "c": 2}, ("a", "b"), "visit.")
    assert caught.value.field == "visit.c"
    assert caught.value.problem == "is not a known field; known fields: a, b"


@pytest.mark.parametrize("text", ["2026-02-30", "2026-2-3", " 2026-02-03", 20260203])
def test_parse_date_refuses_what_is_not_a_calendar_date(text: object) -> None:
    """Only a real YYYY-MM-DD date is accepted."""
    with pytest.raises(InvalidInputError):
        parse_date(text, "visit_date")
