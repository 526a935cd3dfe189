"""All repository functions in one namespace: ``from storage import repo``.

Queries live in ``graphs``, ``runs``, ``shares``, ``users`` and ``evaluations``; this module only gathers them, so
callers need not know how the repository is split.
"""

from __future__ import annotations

from storage.evaluations import (
    create_evaluation,
    finish_evaluation,
    get_evaluation,
    list_evaluations,
    mark_evaluation_started,
    mark_evaluations_interrupted,
    record_case,
)
from storage.graphs import (
    create_graph,
    get_graph,
    get_latest_version,
    get_version,
    list_graphs,
    list_versions,
    restore_version,
    save_version,
    soft_delete_graph,
    undelete_graph,
    update_graph_meta,
    version_to_run,
)
from storage.leases import (
    db_now,
    get_run_status,
    lease_until,
    renew_leases,
    request_cancel,
    run_claims,
    settle_lapsed,
)
from storage.node_results import Settled, add_settled, store_node_results, upsert_node_result
from storage.run_events import add_run_events, list_run_events
from storage.runs import (
    INTERRUPTED_ERROR,
    create_run,
    finish_run,
    get_artifact,
    get_run,
    list_runs,
    mark_interrupted,
    mark_run_started,
    record_artifact,
    record_run,
    run_outcome,
)
from storage.shares import create_share, get_share, list_shares, resolve_share, revoke_share
from storage.users import (
    create_user,
    get_user,
    issue_token,
    list_users,
    revoke_tokens,
    user_for_token,
)

__all__ = [
    "INTERRUPTED_ERROR",
    "add_run_events",
    "create_evaluation",
    "finish_evaluation",
    "get_evaluation",
    "list_evaluations",
    "mark_evaluation_started",
    "mark_evaluations_interrupted",
    "record_case",
    "create_graph",
    "create_run",
    "record_run",
    "run_outcome",
    "create_share",
    "create_user",
    "finish_run",
    "get_artifact",
    "get_graph",
    "get_latest_version",
    "get_run",
    "get_share",
    "get_user",
    "issue_token",
    "get_version",
    "list_graphs",
    "list_run_events",
    "list_runs",
    "list_shares",
    "list_users",
    "list_versions",
    "mark_interrupted",
    "mark_run_started",
    "db_now",
    "get_run_status",
    "lease_until",
    "renew_leases",
    "request_cancel",
    "run_claims",
    "settle_lapsed",
    "record_artifact",
    "resolve_share",
    "restore_version",
    "revoke_share",
    "revoke_tokens",
    "save_version",
    "soft_delete_graph",
    "undelete_graph",
    "update_graph_meta",
    "version_to_run",
    "store_node_results",
    "Settled",
    "add_settled",
    "upsert_node_result",
    "user_for_token",
]
