"""schemathesis against the app's own OpenAPI schema, on a real server: thousands of
generated requests (every operation, odd values, stateful sequences), and not one 500.

The hooks (``schemathesis_hooks.py``) spoil about half of the JSON bodies with NaN,
Infinity, lone surrogates in texts and keys, nesting 100 deep and empty keys, and check that
every 4xx answer left the database's fingerprint as it was before the request."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow
HOOKS = Path(__file__).with_name("schemathesis_hooks.py")
SHAPES = ("nan", "infinity", "surrogate", "surrogate_key", "deep", "empty_key")


def schemathesis(server: Any, stats: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], dict[str, int]]:
    """Run schemathesis with the hooks against ``server``; its output and what it sent."""
    cli = shutil.which("schemathesis") or str(Path(sys.executable).with_name("schemathesis"))
    env = {**os.environ, "SCHEMATHESIS_HOOKS": str(HOOKS), "STUDIO_DATA_DIR": str(server.data_dir),
           "STUDIO_FUZZ_STATS": str(stats)}
    proc = subprocess.run(
        [cli, "run", f"{server.url}/openapi.json", "--checks", "not_a_server_error,db_unchanged_after_4xx",
         "--exclude-path", "/api/graphs/{graph_id}/run", "--workers", "1", *args],
        capture_output=True, text=True, timeout=900, env=env,
    )
    return proc, json.loads(stats.read_text()) if stats.exists() else {}


def assert_every_shape_was_sent_and_refused(stats: dict[str, int], at_least: int) -> None:
    for shape in SHAPES:
        assert stats.get(f"sent:{shape}", 0) >= at_least, (shape, stats)
    for shape in ("nan", "infinity", "surrogate", "surrogate_key", "deep"):
        assert stats.get(f"4xx:{shape}", 0) >= at_least, (shape, stats)
    assert stats["4xx_compared"] >= 10 * at_least and not stats.get("4xx_changed"), stats


def test_generated_requests_never_get_a_server_error(server, tmp_path):
    proc, stats = schemathesis(server, tmp_path / "stats.json", "--max-examples", "60", "--seed", "20261127")
    summary = proc.stdout[-3000:]
    assert proc.returncode == 0, summary
    generated = int(re.search(r"(\d+) generated", proc.stdout).group(1))
    assert generated >= 1000, summary
    assert_every_shape_was_sent_and_refused(stats, at_least=5)
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
        proc, stats = schemathesis(srv, tmp_path / "stats.json", "--max-examples", "15", "--seed", "20261128",
                                   "--header", f"Authorization: Bearer {token}")
        summary = proc.stdout[-3000:]
        assert proc.returncode == 0, summary
        assert int(re.search(r"(\d+) generated", proc.stdout).group(1)) >= 200, summary
        assert_every_shape_was_sent_and_refused(stats, at_least=1)
        assert "Traceback" not in srv.log.read_text()
        # the token it sent is live: the fuzzer was signed in, past the gate, at the owner checks
        import httpx

        assert httpx.get(f"{srv.url}/api/graphs", headers={"Authorization": f"Bearer {token}"}, timeout=60).status_code == 200
    finally:
        srv.stop()
