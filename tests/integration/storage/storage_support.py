"""Values the storage tests share (a plain module: test files import it by name).

Kept out of ``conftest.py`` on purpose: ``from storage_support import ...`` is ambiguous when pytest
collects several folders that each have a conftest (the web tests have one too). The values
themselves live in ``tests.support.staff``, shared with the service tests.
"""

from __future__ import annotations

from tests.support.staff import HARBOUR, NORTHERN, NOW, TODAY, Staff

__all__ = ["HARBOUR", "NORTHERN", "NOW", "TODAY", "Staff"]
