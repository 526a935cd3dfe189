"""One local Ray cluster for the Ray backend's tests (on loopback, no dashboard), and one
backend on it with two model actors that also know the probe nodes in ``custom_nodes/``;
both are shut down at the end. The cluster says it has four CPUs: each actor's share is two,
so it computes with as many threads as torch uses in this process on a two-core machine, and
float outputs can be compared bit for bit with a thread run's."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nodes.registry import Registry, discover, load_folder
from nodes.runtime.config import current

PROBES = Path(__file__).resolve().parent / "custom_nodes"


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[Any]:
    import ray  # installed with the test extra: missing, this fails rather than skips
    ray.init(num_cpus=4, include_dashboard=False, _node_ip_address="127.0.0.1", log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.fixture(scope="session")
def registry() -> Registry:
    return load_folder(discover(), PROBES)


@pytest.fixture(scope="session")
def ray_backend(ray_cluster: Any) -> Iterator[Any]:
    from app.engine.ray_backend import RayBackend

    backend = RayBackend(runtime=dataclasses.replace(current(), custom_nodes=(PROBES,)), workers=2)
    backend.workers()  # both actors up before any test times anything
    yield backend
    backend.shutdown()
