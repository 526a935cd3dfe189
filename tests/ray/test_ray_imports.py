"""Without ``--backend ray`` nothing imports ray: the server, the CLI and the engine start as
they did (a subprocess, so no other test's import counts)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import sys
import app.main, app.cli.main, app.cli.running, app.engine.executor, app.engine.backend
from app.settings import Settings
backend = Settings().node_backend()
backend.shutdown()
print(type(backend).__name__, sorted(m for m in sys.modules if m == "ray" or m.startswith("ray.")))
"""


def test_the_thread_backend_is_the_default_and_nothing_imports_ray() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GENAISYS_BACKEND")}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["ThreadBackend", "[]"], done.stdout


def test_the_cli_takes_the_backend_for_serve_and_run() -> None:
    from app.cli.main import _parser

    parser = _parser()
    served = parser.parse_args(["serve", "--backend", "ray", "--ray-address", "auto"])
    ran = parser.parse_args(["run", "g.json", "--backend", "thread"])
    assert (served.backend, served.ray_address) == ("ray", "auto")
    assert (ran.backend, ran.ray_address) == ("thread", None)
