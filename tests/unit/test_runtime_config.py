"""The node runtime's one configuration object (``nodes.runtime.config``): read from the
environment with today's defaults, replaced by what the server configures, built from the
settings, and the only place in ``nodes/`` that reads a ``GENAISYS_*`` variable."""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path

import pytest

from app.settings import EXAMPLES, Settings
from nodes.runtime import config as runtime_config
from nodes.runtime.config import (
    DEFAULT_DATA_DIR,
    DEFAULT_MODEL_BUDGET_BYTES,
    VARIABLES,
    RuntimeConfig,
    configure,
    configured,
    current,
)

NODES = Path(__file__).resolve().parents[2] / "nodes"


@pytest.fixture(autouse=True)
def unconfigured() -> None:
    """Every test starts and ends with nothing configured (the environment in force)."""
    saved = configure(None)
    yield
    configure(saved)


def test_from_env_reads_each_variable(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    env = {
        "GENAISYS_DATA_DIR": str(tmp_path / "data"),
        "GENAISYS_FILE_ROOTS": os.pathsep.join((str(a), " ", str(b))),
        "GENAISYS_DEVICE": "cuda:1",
        "GENAISYS_MODEL_BUDGET_BYTES": "12345",
        "GENAISYS_CUSTOM_NODES": os.pathsep.join((str(b), "")),
    }
    assert RuntimeConfig.from_env(env) == RuntimeConfig(
        data_dir=tmp_path / "data", file_roots=(a, b), device="cuda:1", model_budget_bytes=12345, custom_nodes=(b,))
    assert set(env) == set(VARIABLES)


def test_from_env_keeps_todays_defaults() -> None:
    assert RuntimeConfig.from_env({}) == RuntimeConfig(
        data_dir=DEFAULT_DATA_DIR, file_roots=(), device="", model_budget_bytes=8 * 1024**3, custom_nodes=())
    assert Path.home() / ".genaisys" == DEFAULT_DATA_DIR and DEFAULT_MODEL_BUDGET_BYTES == 8 * 1024**3
    # a budget not written in digits is the default; an empty fence is no fence
    for budget in ("8G", "-1", " 5", ""):
        assert RuntimeConfig.from_env({"GENAISYS_MODEL_BUDGET_BYTES": budget}).model_budget_bytes == DEFAULT_MODEL_BUDGET_BYTES
    assert RuntimeConfig.from_env({"GENAISYS_FILE_ROOTS": os.pathsep}).file_roots == ()


def test_current_reads_the_environment_afresh_when_nothing_is_configured(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GENAISYS_DATA_DIR", str(tmp_path / "one"))
    assert current().data_dir == tmp_path / "one"
    monkeypatch.setenv("GENAISYS_DATA_DIR", str(tmp_path / "two"))
    monkeypatch.setenv("GENAISYS_FILE_ROOTS", str(tmp_path))
    assert current().data_dir == tmp_path / "two" and current().file_roots == (tmp_path,)


def test_configure_wins_over_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nodes.runtime import paths
    from nodes.runtime.cache import ModelRuntime

    monkeypatch.setenv("GENAISYS_DATA_DIR", str(tmp_path / "env"))
    monkeypatch.setenv("GENAISYS_FILE_ROOTS", "")
    monkeypatch.setenv("GENAISYS_MODEL_BUDGET_BYTES", "1")
    mine = RuntimeConfig(data_dir=tmp_path / "mine", file_roots=(tmp_path / "mine",), model_budget_bytes=77)
    assert configure(mine) is None
    assert current() is mine
    assert paths.data_dir() == tmp_path / "mine" and paths.fenced()
    assert paths.file_roots() == [(tmp_path / "mine").resolve()]
    assert ModelRuntime().budget_bytes == 77
    assert configure(None) is mine and current().data_dir == tmp_path / "env" and not paths.fenced()


def test_a_later_environment_write_is_the_newer_word(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A test that configures a server in-process and undoes its monkeypatching afterwards
    leaves the rest of the process as the environment says (what test_auth relies on), even
    when a later test writes the very value the server was configured over."""
    with monkeypatch.context() as patched:
        patched.setenv("GENAISYS_FILE_ROOTS", "")
        configure(RuntimeConfig(data_dir=tmp_path, file_roots=(tmp_path,)))
        assert current().file_roots == (tmp_path,)
    assert current() == RuntimeConfig.from_env()
    monkeypatch.setenv("GENAISYS_FILE_ROOTS", "")
    assert current().file_roots == () and configure(None) is None  # superseded, not in force
    # writes of other variables leave it alone
    mine = RuntimeConfig(device="cpu")
    configure(mine)
    monkeypatch.setenv("GENAISYS_SOMETHING_ELSE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert current() is mine


def test_configured_applies_for_the_block_only(tmp_path: Path) -> None:
    outer = RuntimeConfig(data_dir=tmp_path / "outer")
    configure(outer)
    inner = RuntimeConfig(data_dir=tmp_path / "inner", device="cpu")
    with configured(inner) as given:
        assert given is inner and current() is inner
    assert current() is outer


def test_settings_carry_into_the_runtime_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    a, b = tmp_path / "a", tmp_path / "b"
    settings = Settings(data_dir=tmp_path, file_roots=os.pathsep.join((str(a), str(b))), device="cpu",
                        model_budget_bytes=99, custom_nodes=str(b))
    assert settings.runtime() == RuntimeConfig(data_dir=tmp_path, file_roots=(a, b), device="cpu",
                                               model_budget_bytes=99, custom_nodes=(b,))
    # the same GENAISYS_ variables, read the same way
    monkeypatch.setenv("GENAISYS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("GENAISYS_DEVICE", "mps")
    monkeypatch.setenv("GENAISYS_MODEL_BUDGET_BYTES", "not-a-number")
    monkeypatch.setenv("GENAISYS_CUSTOM_NODES", str(a))
    monkeypatch.setenv("GENAISYS_FILE_ROOTS", str(b))
    assert Settings().runtime() == RuntimeConfig.from_env()
    # auth fences the uploads, models and examples folders unless roots are given; blank is not given
    fenced = Settings(data_dir=tmp_path, auth=True, file_roots=" ").runtime()
    assert fenced.file_roots == (tmp_path / "uploads", tmp_path / "models", EXAMPLES)
    assert Settings(data_dir=tmp_path, auth=False, file_roots="").runtime().file_roots == ()


def test_fence_files_configures_the_nodes_instead_of_the_environment(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from app.main import fence_files
    from nodes.runtime import paths

    monkeypatch.delenv("GENAISYS_FILE_ROOTS", raising=False)
    fence_files(Settings(data_dir=tmp_path, auth=False))
    assert not paths.fenced()  # a local studio: nothing to hand over
    fence_files(Settings(data_dir=tmp_path, auth=True))
    assert "GENAISYS_FILE_ROOTS" not in os.environ
    assert paths.file_roots() == [(tmp_path / "uploads").resolve(), (tmp_path / "models").resolve(), EXAMPLES.resolve()]
    assert paths.data_dir() == tmp_path and (tmp_path / "uploads").is_dir()


def _is_environ(node: ast.AST) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv")) or \
        (isinstance(node, ast.Name) and node.id in ("environ", "getenv"))


def environment_reads(source: str) -> list[tuple[int, str | None]]:
    """``(line, variable)`` of every use of ``os.environ`` / ``os.getenv`` in ``source``; the
    variable is None where no string is written there (a name, an f-string, the whole mapping)."""
    reads, covered = [], set()
    tree = ast.parse(source)
    for node in ast.walk(tree):
        key: ast.AST | None = None
        if isinstance(node, ast.Subscript) and _is_environ(node.value):
            covered.add(id(node.value))
            key = node.slice
        elif isinstance(node, ast.Call) and _is_environ(node.func):  # getenv(...)
            covered.add(id(node.func))
            key = node.args[0] if node.args else None
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and _is_environ(node.func.value):
            covered.add(id(node.func.value))  # environ.get(...), .setdefault(...), .pop(...)
            key = node.args[0] if node.args else None
        else:
            continue
        named = key.value if isinstance(key, ast.Constant) and isinstance(key.value, str) else None
        reads.append((node.lineno, named))
    reads += [(node.lineno, None) for node in ast.walk(tree) if _is_environ(node) and id(node) not in covered]
    return reads


def test_nothing_in_nodes_but_config_reads_a_genaisys_variable() -> None:
    config = Path(runtime_config.__file__).resolve()
    offenders = []
    for path in sorted(NODES.rglob("*.py")):
        if path.resolve() == config:
            continue
        where = path.relative_to(NODES.parent)
        source = path.read_text()
        offenders += [f"{where}:{line} reads {variable or 'the environment'}"
                      for line, variable in environment_reads(source) if variable is None or variable.startswith("GENAISYS_")]
        # nor looks one up by a name spelled out elsewhere (messages may name GENAISYS_DEVICE=cpu, say)
        offenders += [f"{where}:{i} names {name}" for i, text in enumerate(source.splitlines(), 1)
                      for name in re.findall(r"[\"'](GENAISYS_[A-Z_]*)[\"']", text)]
    assert not offenders, offenders
    config_source = config.read_text()
    assert all(f'"{name}"' in config_source for name in VARIABLES)  # where each of them is read
    # the grep would see a read of each kind
    assert environment_reads('import os\nos.environ["GENAISYS_X"]\nos.getenv("GENAISYS_Y")\n'
                             'os.environ.get(f"GENAISYS_{z}")\ndict(os.environ)\n') == [
        (2, "GENAISYS_X"), (3, "GENAISYS_Y"), (4, None), (5, None)]
