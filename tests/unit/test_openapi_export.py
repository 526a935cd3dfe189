"""The canvas's API types are generated from ``frontend/openapi.json`` by its build
(openapi-typescript; the build fails when ``src/api/schema.gen.ts`` is stale). This keeps the
committed document itself current: an API shape the canvas has not seen fails here, with the
command that refreshes it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_committed_openapi_document_is_the_apis() -> None:
    check = subprocess.run([sys.executable, "scripts/export_openapi.py", "--check"], cwd=ROOT,
                           capture_output=True, text=True, timeout=300)
    assert check.returncode == 0, check.stderr

