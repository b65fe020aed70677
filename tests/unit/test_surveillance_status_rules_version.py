"""The rules version stored with each judgement is the same in every process."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace

from hipcare.content.surveillance import load_surveillance_rules
from hipcare.domain.surveillance import SurveillanceRules
from hipcare.services.surveillance_status import rules_version

_PRINT_VERSION = (
    "from hipcare.content.surveillance import load_surveillance_rules\n"
    "from hipcare.services.surveillance_status import rules_version\n"
    "print(rules_version(load_surveillance_rules()))\n"
)


def _version_in_a_process(hash_seed: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", _PRINT_VERSION],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env={**os.environ, "PYTHONHASHSEED": hash_seed},
    )
    return done.stdout.strip()


def test_rules_version_is_the_same_in_processes_with_different_string_hashes() -> None:
    """A rule's GMFCS levels are a set: its order must not leak into the version, or a
    second server process would find every stored judgement stale."""
    versions = {_version_in_a_process(seed) for seed in ("1", "2", "3", "4")}
    assert versions == {rules_version(load_surveillance_rules())}


def test_rules_version_changes_when_a_rule_changes() -> None:
    rules = load_surveillance_rules()
    first = rules.rules[0]
    changed = SurveillanceRules(
        (replace(first, citation=replace(first.citation, section="changed")), *rules.rules[1:])
    )
    assert rules_version(changed) != rules_version(rules)
