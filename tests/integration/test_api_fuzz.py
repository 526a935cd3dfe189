"""schemathesis against the app's own OpenAPI schema, on a real server: thousands of
generated requests (every operation, odd values, stateful sequences), and not one 500."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def test_generated_requests_never_get_a_server_error(server):
    cli = shutil.which("schemathesis") or str(Path(sys.executable).with_name("schemathesis"))
    proc = subprocess.run(
        [cli, "run", f"{server.url}/openapi.json", "--checks", "not_a_server_error", "--max-examples", "60",
         "--seed", "20261127", "--exclude-path", "/api/graphs/{graph_id}/run"],
        capture_output=True, text=True, timeout=600,
    )
    summary = proc.stdout[-3000:]
    assert proc.returncode == 0, summary
    generated = int(re.search(r"(\d+) generated", proc.stdout).group(1))
    assert generated >= 1000, summary
    log = server.log.read_text()
    assert "Traceback" not in log, log[-3000:]


def test_generated_requests_as_a_signed_in_user_never_get_a_server_error(tmp_path):
    """The same in --auth mode, as a signed-in user: every owner check and 404 path is
    exercised with generated ids and bodies."""
    from studio_server import Server

    data = tmp_path / "data"
    added = subprocess.run([sys.executable, "-m", "app.cli", "users", "add", "fuzzer", "--data-dir", str(data)],
                           capture_output=True, text=True, check=True)
    token = added.stdout.strip().splitlines()[-1]
    srv = Server(data, env={"GENAISYS_AUTH": "1"}).start()
    try:
        cli = shutil.which("schemathesis") or str(Path(sys.executable).with_name("schemathesis"))
        proc = subprocess.run(
            [cli, "run", f"{srv.url}/openapi.json", "--checks", "not_a_server_error", "--max-examples", "15",
             "--seed", "20261128", "--exclude-path", "/api/graphs/{graph_id}/run",
             "--header", f"Authorization: Bearer {token}"],
            capture_output=True, text=True, timeout=600,
        )
        summary = proc.stdout[-3000:]
        assert proc.returncode == 0, summary
        assert int(re.search(r"(\d+) generated", proc.stdout).group(1)) >= 200, summary
        assert "Traceback" not in srv.log.read_text()
        # the token it sent is live: the fuzzer was signed in, past the gate, at the owner checks
        import httpx

        assert httpx.get(f"{srv.url}/api/graphs", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    finally:
        srv.stop()
