"""All settings in one place; each can come from a ``GENAISYS_*`` environment variable."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from nodes.runtime.config import (
    DEFAULT_DATA_DIR,
    DEFAULT_MODEL_BUDGET_BYTES,
    RuntimeConfig,
    configure,
    parse_budget,
    split_paths,
)

ROOT = Path(__file__).resolve().parents[1]
"""The installation: the repository (or the unpacked source) the studio runs from."""
EXAMPLES = ROOT / "examples"
"""The shipped example graphs, seeded into a new database."""
FRONTEND_DIST = ROOT / "frontend" / "dist"
"""The built canvas (``make install`` builds it)."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GENAISYS_", extra="ignore")

    data_dir: Path = Field(default=DEFAULT_DATA_DIR, description="database, artifacts, model cache")
    database_url: str | None = Field(default=None, description="any SQLAlchemy URL; SQLite under data_dir if unset")
    host: str = "127.0.0.1"
    allowed_hosts: str = Field(default="", description="more Host names the server answers to, comma-separated "
                               "(localhost, 127.0.0.1, [::1], address literals and --host always are); '*' for any, "
                               "behind a proxy that checks Host itself")
    port: int = 8000
    max_body_bytes: int = Field(default=8 * 1024 * 1024, description="largest JSON request body accepted")
    max_upload_bytes: int = Field(default=200 * 1024 * 1024, description="largest file upload accepted")
    demo_uploads_max_bytes: int = Field(default=2 * 1024**3, ge=0, description="most bytes the demo uploads folder "
                                        "(data_dir/gradio) may hold; a demo upload past it is refused")
    demo_uploads_max_files: int = Field(default=10_000, ge=0, description="most files the demo uploads folder may hold")
    demo_idle_s: float = Field(default=120.0, gt=0, description="seconds a live demo may go without requests before "
                               "it is unmounted (its Gradio queue stops polling); the next request builds it again")
    warm_start: bool = Field(default=True, description="after start-up, load in the background the models the "
                             "latest runs used, so the first run after a restart finds them loaded")
    demo_warmup: bool = Field(default=True, description="import gradio in the background a few seconds after "
                              "start-up, so the first demo link opens fast (GENAISYS_DEMO_WARMUP=0 to skip)")
    inline_output_bytes: int = Field(default=64 * 1024, description="larger node outputs are stored as artifacts")
    run_workers: int = Field(default=1, ge=1, description="runs executed at once; more runs wait in the queue")
    max_queued_runs_per_user: int = Field(default=20, ge=1, description="runs one user may have waiting (not "
                                          "started); more are refused with 429 until one starts or is cancelled")
    node_timeout_s: float | None = Field(default=1800.0, ge=0, description="seconds a node may run before it fails "
                                         "(30 minutes by default); 0 for no limit (GENAISYS_NODE_TIMEOUT_S=0)")
    max_text_output_bytes: int = Field(default=16 * 1024 * 1024, ge=1, description="largest text one node may "
                                       "produce (UTF-8 bytes); a larger one fails the node")
    auth: bool = Field(default=False, description="require a user's API token on every route (`genaisys users add`)")
    file_roots: str | None = Field(default=None, description="folders graphs may read, os.pathsep-separated; "
                                   "with auth, defaults to the uploads folder, the models folder and the examples")
    device: str = Field(default="", description="the device models run on: cuda, cuda:N, mps or cpu; "
                        "empty picks the best there is")
    model_budget_bytes: int = Field(default=DEFAULT_MODEL_BUDGET_BYTES, description="how much the loaded models "
                                    "may weigh together; the least recently used are dropped beyond it")
    custom_nodes: str = Field(default="", description="folders of custom node files (*.py), os.pathsep-separated")
    chroma_url: str = Field(default="", description="a Chroma server (http://host:port) for the store nodes; "
                            "empty: the embedded store in the data directory")
    backend: Literal["thread", "ray"] = Field(default="thread", description="where node work runs: threads in this "
                                             "process, or a Ray cluster (model nodes in long-lived actors; docs/ray.md)")
    ray_address: str = Field(default="", description="the Ray cluster to join (ray://host:10001, host:6379 or "
                             "'auto'); empty starts a local one")
    ray_workers: int = Field(default=0, ge=0, description="model actors on the Ray cluster; 0: one per GPU, or two "
                             "CPU actors on a cluster without GPUs")
    replica_id: str = Field(default="", description="this server's name among the replicas that share one database "
                            "(unique to each); empty: this machine's name, the data directory and a slot number held "
                            "while the server lives, the same at each restart, so a restarted server settles the runs "
                            "it was cut off from at once")
    run_lease_s: float = Field(default=15.0, ge=0.3, description="seconds a replica's claim on a run holds "
                               "without its heartbeat (renewed every third of it); a dead replica's runs are "
                               "settled as interrupted within about 4/3 of it")
    seed_examples: bool = True
    cache_entries: int = 1024
    cache_bytes: int = 2 * 1024**3
    cache_disk_bytes: int = Field(default=4 * 1024**3, ge=0, description="how much the persistent result cache may "
                                  "keep on disk (least recently used out first)")

    @field_validator("node_timeout_s")
    @classmethod
    def _zero_is_no_limit(cls, value: float | None) -> float | None:
        return value or None

    @field_validator("model_budget_bytes", mode="before")
    @classmethod
    def _budget_in_digits(cls, value: object) -> object:
        return parse_budget(value) if isinstance(value, str) else value  # "8G" is the default, as the nodes read it

    @property
    def read_roots(self) -> tuple[Path, ...]:
        """The folders graphs may read: ``file_roots``, or in auth mode the uploads, models and
        examples folders; empty (unfenced) otherwise. Blank roots count as unset: they never
        open the fence."""
        roots = split_paths(self.file_roots)
        if not roots and self.auth:
            roots = (self.uploads_dir, self.models_dir, EXAMPLES)
        return roots

    def runtime(self) -> RuntimeConfig:
        """What the nodes need of these settings (``nodes.runtime.config``)."""
        return RuntimeConfig(data_dir=self.data_dir, file_roots=self.read_roots, device=self.device,
                             model_budget_bytes=self.model_budget_bytes, custom_nodes=split_paths(self.custom_nodes),
                             chroma_url=self.chroma_url.strip())

    def configure_nodes(self) -> RuntimeConfig:
        """Make ``runtime()`` the nodes' configuration for the rest of this process."""
        config = self.runtime()
        configure(config)
        return config

    @cached_property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'genaisys.db'}"

    def result_cache(self, sessions: Any) -> Any:
        """The persistent result cache of this data directory (the server's and the CLI's)."""
        from app.services.durable_cache import DurableResultCache

        return DurableResultCache(sessions, self.data_dir / "cache", max_entries=self.cache_entries,
                                  max_bytes=self.cache_bytes, disk_bytes=self.cache_disk_bytes)

    def node_backend(self) -> Any:
        """The backend node work goes to (``app.engine.backend``); Ray is imported only for ``ray``."""
        if self.backend == "ray":
            from app.engine.ray_backend import RayBackend

            return RayBackend(address=self.ray_address or None, runtime=self.runtime(), workers=self.ray_workers)
        from app.engine.backend import ThreadBackend

        return ThreadBackend()

    @property
    def artifacts_dir(self) -> Path:
        return self.data_dir / "artifacts"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"
