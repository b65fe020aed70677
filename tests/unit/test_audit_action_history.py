"""The audit actions' history the migrations share: it follows their chain to the code's set."""

from __future__ import annotations

import hashlib

import pytest
from alembic.script import Script, ScriptDirectory

from hipcare.domain.records import AuditAction
from hipcare.storage.audit_action_history import ADDED, actions_after, actions_before
from hipcare.storage.migrate import alembic_config

# A column of VARCHAR(32) holds them (revision 0001).
ACTION_LENGTH = 32

# SHA-256 (first 16 hex digits) of each revision's added names joined by newlines, as the
# migrations held them when they each copied the whole list (commit f93273d). Databases hold
# these CHECKs: an entry's names never change. A new revision needs no line here.
FROZEN = {
    "0001": "fd36e910c2dbf4c7",
    "0003": "f35b4b96757008f7",
    "0004": "ead1e091e540506a",
    "0005": "b85c1efbc58d444d",
    "0006": "3c64c3f44d4e6568",
    "0011_p2_referrals": "bc93c5d6668185ee",
    "0013_p4": "eba33f2744998405",
    "0014_p7": "ff1d8c5eae05337d",
    "0015_clinical": "48af2db7d2a5cbfd",
    "0016_sso": "bb419ff7dc459415",
    "0017_pacs": "41de7df2ef4512dd",
    "0018_alerts": "042300d3957579a2",
    "0019_accounts": "ca27af3a17b87bed",
    "0020_family": "d9b04d994caaaa3c",
    "0021_childpage": "7e6bb33403df2ef0",
    "0022_fhir": "a9dab2ce09dbb28a",
    "0023_family2": "49dbe55d65aec0fa",
}


def _chain() -> list[Script]:
    """Every revision shipped, from the first to head."""
    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return list(reversed(list(scripts.walk_revisions("base", "heads"))))


def _declared(script: Script, name: str) -> tuple[str, ...] | None:
    value = getattr(script.module, name, None)
    return None if value is None else tuple(value)


def test_the_history_lists_revisions_of_the_chain_in_the_order_they_run() -> None:
    chain = [script.revision for script in _chain()]
    listed = list(ADDED)
    assert listed[0] == chain[0] == "0001"
    assert [revision for revision in chain if revision in ADDED] == listed


def test_each_migration_declares_the_actions_before_and_after_it_from_the_history() -> None:
    """Before: what the last revision that changed the set left; after: that plus its own."""
    allowed = actions_after("0001")
    for script in _chain()[1:]:
        before = _declared(script, "_ACTIONS_BEFORE")
        after = _declared(script, "_ACTIONS_AFTER")
        if script.revision not in ADDED:
            assert (before, after) == (None, None), script.revision
            continue
        assert before == allowed == actions_before(script.revision), script.revision
        allowed = (*allowed, *ADDED[script.revision])
        assert after == allowed == actions_after(script.revision), script.revision


def test_the_names_of_a_revision_already_shipped_never_change() -> None:
    for revision, digest in FROZEN.items():
        names = "\n".join(ADDED[revision]).encode()
        assert hashlib.sha256(names).hexdigest()[:16] == digest, revision


def test_a_revision_adds_actions_and_removes_none() -> None:
    """Each revision's set is the previous one and its additions, no name added twice."""
    previous: tuple[str, ...] = ()
    for revision, added in ADDED.items():
        assert added, revision
        assert actions_before(revision) == previous
        assert actions_after(revision) == (*previous, *added)
        assert not set(added) & set(previous), revision
        assert len(set(added)) == len(added), revision
        assert all(len(action) <= ACTION_LENGTH for action in added), revision
        previous = actions_after(revision)


def test_at_head_the_check_allows_exactly_the_audit_actions_the_code_writes() -> None:
    """The newest entry's set (no later revision changed it) is ``AuditAction``'s values."""
    assert sorted(actions_after(list(ADDED)[-1])) == sorted(action.value for action in AuditAction)


def test_a_revision_outside_the_history_is_refused_by_name() -> None:
    with pytest.raises(KeyError, match="0012_p1"):
        actions_after("0012_p1")
    with pytest.raises(KeyError, match="0012_p1"):
        actions_before("0012_p1")
