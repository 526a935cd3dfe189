"""Write the API's OpenAPI document to ``frontend/openapi.json``, from which the canvas's
build generates its API types (``frontend/src/api/schema.gen.ts``, openapi-typescript).

    .venv/bin/python scripts/export_openapi.py          # rewrite it
    .venv/bin/python scripts/export_openapi.py --check  # exit 1 if it is stale

``tests/unit/test_openapi_export.py`` fails while the committed file is stale, so a change to
the API's shapes that the canvas has not seen fails the tests, and one the canvas's code does
not fit fails its build (tsc on the generated types)."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TARGET = ROOT / "frontend" / "openapi.json"


def openapi_text() -> str:
    from app.main import create_app
    from app.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:  # the document needs no database: nothing is opened
        app = create_app(Settings(data_dir=Path(tmp), seed_examples=False))
        return json.dumps(app.openapi(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if frontend/openapi.json is stale")
    args = ap.parse_args()
    text = openapi_text()
    if args.check:
        current = TARGET.read_text() if TARGET.exists() else ""
        if current != text:
            print(f"{TARGET.relative_to(ROOT)} is stale: run  .venv/bin/python scripts/export_openapi.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text)
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
