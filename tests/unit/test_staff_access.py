"""HIPCARE_OIDC_ROLE_MAP and the other single sign-on settings: parsed, or refused naming the
variable; groups give one role at a set of sites."""

from __future__ import annotations

import pytest

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.records import Profession, Role
from hipcare.domain.staff_access import GroupMap, StaffAccess
from hipcare.settings import OidcSettings, Settings

FIELD = "HIPCARE_OIDC_ROLE_MAP"
OIDC = {
    "HIPCARE_OIDC_ISSUER": "https://login.example-hospital.org/realms/staff",
    "HIPCARE_OIDC_CLIENT_ID": "hipcare",
    "HIPCARE_OIDC_CLIENT_SECRET": "s3cret-from-the-provider",
    "HIPCARE_OIDC_ROLE_MAP": "hip-nurses=nurse@north,hip-admins=site-administrator@north",
}


def test_the_short_form_and_json_give_the_same_map() -> None:
    short = GroupMap.parse("a=nurse@north, a=nurse@south\nb=site-administrator@north", FIELD)
    as_json = GroupMap.parse(
        '{"a": ["nurse@north", "nurse@south"], "b": "site-administrator@north"}', FIELD
    )
    assert short == as_json
    assert short.site_ids == {"north", "south"}


def test_a_group_name_may_hold_commas_and_equals_signs_in_json() -> None:
    group = "cn=hip nurses,ou=groups,dc=example,dc=org"
    found = GroupMap.parse(f'{{"{group}": "nurse@north"}}', FIELD)
    assert found.access_for([group]) == StaffAccess(
        Role.CLINICIAN, Profession.NURSE, frozenset({"north"})
    )


def test_access_is_one_role_at_every_mapped_site_or_none() -> None:
    found = GroupMap.parse("a=surgeon@north, b=surgeon@south, c=nurse@north", FIELD)
    assert found.access_for(["a", "b", "x"]) == StaffAccess(
        Role.CLINICIAN, Profession.SURGEON, frozenset({"north", "south"})
    )
    assert found.access_for(["x"]) is None
    assert found.access_for(["a", "c"]) is None
    assert len(found.roles_for(["a", "c"])) == 2


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "maps no group"),
        ("nurses", "is not group=role@site"),
        ("nurses=nurse", "is not ROLE@SITE"),
        ("nurses=family@north", "is not ROLE@SITE"),
        ("nurses=nurse@North Site", "is not a site id"),
        ("=nurse@north", "is not a group name"),
        ("{not json", "is not valid JSON"),
        ('{"a": [1]}', "is not text"),
    ],
)
def test_a_bad_map_is_refused_naming_the_variable(text: str, problem: str) -> None:
    with pytest.raises(InvalidInputError) as refused:
        GroupMap.parse(text, FIELD)
    assert refused.value.field == FIELD
    assert problem in refused.value.problem


def test_settings_read_single_sign_on() -> None:
    settings = Settings.from_environ({**OIDC, "HIPCARE_OIDC_NAME": "Harbour Health"})
    assert settings.oidc is not None
    assert settings.oidc.display_name == "Harbour Health"
    assert settings.oidc.group_claim == "groups"
    assert "s3cret" not in repr(settings)
    assert Settings.from_environ({}).oidc is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"HIPCARE_OIDC_ISSUER": ""}, "HIPCARE_OIDC_ISSUER"),
        ({"HIPCARE_OIDC_ISSUER": "http://login.example-hospital.org"}, "HIPCARE_OIDC_ISSUER"),
        ({"HIPCARE_OIDC_ISSUER": "https://login.example.org/?a=b"}, "HIPCARE_OIDC_ISSUER"),
        ({"HIPCARE_OIDC_CLIENT_ID": ""}, "HIPCARE_OIDC_CLIENT_ID"),
        ({"HIPCARE_OIDC_CLIENT_SECRET": ""}, "HIPCARE_OIDC_CLIENT_SECRET"),
        ({"HIPCARE_OIDC_ROLE_MAP": ""}, "HIPCARE_OIDC_ROLE_MAP"),
        ({"HIPCARE_OIDC_ROLE_MAP": "x=boss@north"}, "HIPCARE_OIDC_ROLE_MAP"),
        ({"HIPCARE_OIDC_GROUP_CLAIM": "a..b"}, "HIPCARE_OIDC_GROUP_CLAIM"),
    ],
)
def test_bad_single_sign_on_settings_name_the_variable(change: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidInputError) as refused:
        OidcSettings.from_environ({**OIDC, **change})
    assert refused.value.field == field


def test_http_is_only_for_a_provider_on_this_machine() -> None:
    found = OidcSettings.from_environ({**OIDC, "HIPCARE_OIDC_ISSUER": "http://127.0.0.1:9000"})
    assert found is not None
