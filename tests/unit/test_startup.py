"""The server's start-up path stays light: no ML library is imported until a node needs it."""

import json
import subprocess
import sys

HEAVY = ("torch", "transformers", "diffusers", "gradio", "chromadb", "faster_whisper")


def test_app_and_catalog_import_no_heavy_library(tmp_path):
    code = (
        "import sys, json\n"
        "from fastapi.testclient import TestClient\n"
        "from app.main import create_app\n"
        "from app.settings import Settings\n"
        f"app = create_app(Settings(data_dir={str(tmp_path)!r}))\n"
        "with TestClient(app, base_url='http://localhost') as c:\n"
        "    assert c.get('/api/nodes').status_code == 200\n"
        "    assert c.get('/api/graphs').status_code == 200\n"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
