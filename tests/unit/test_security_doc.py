"""SECURITY.md's promises each name the tests that keep them: every test it names exists, so
a renamed or deleted test cannot leave a promise resting on nothing."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NAMED = re.compile(r"`((?:tests/\S*/)?(test_\w+\.py))?(?:::(\w+))?`")


def test_every_test_security_md_names_exists() -> None:
    files = {p.name: p for p in (ROOT / "tests").rglob("test_*.py")}
    missing, named = [], 0
    for row in (ROOT / "SECURITY.md").read_text().splitlines():
        current = None  # a bare ::name refers to the last file named in its row
        for match in NAMED.finditer(row):
            _, file_name, test = match.groups()
            if not (file_name or test):
                continue
            current = file_name or current
            if current not in files:
                missing.append(f"{current} (no such test file)")
                continue
            named += 1
            if test and not re.search(rf"^(?:async )?def {test}\b", files[current].read_text(), re.MULTILINE):
                missing.append(f"{current}::{test}")
    assert named > 50 and not missing, missing
