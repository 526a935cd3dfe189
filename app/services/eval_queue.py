"""The evaluation queue: accepted evaluations wait here and a worker thread runs them.

As for runs (``run_queue``), the event loop never runs node work: an evaluation is checked and
recorded (``queued``) on the request, then run case after case on this queue's thread through
the server's one executor, so the cases share the result cache the runs use. Each finished
case is written at once (a reader of the row sees the progress) and told to the evaluation's
watchers through the same ``LiveRun`` machinery the run websocket uses.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from app.engine.executor import Executor
from app.engine.validate import CheckedGraph
from app.engine.vocabulary import CaseStatus, EvalEventType, FailureCode, RunStatus
from app.services.evaluation import CaseResult, Dataset, check_against, evaluate, summarize_checks
from app.services.leases import DEFAULT_LEASE_S
from app.services.live_run import DONE, LiveRun
from storage import repo
from storage.errors import InvalidRunState

log = logging.getLogger("genaisys.evals")


class EvalManager:
    def __init__(self, executor: Executor, session_factory: Callable[[], Session], *,
                 show: Callable[[Any], Any] | None = None, replica_id: str | None = None,
                 lease_s: float = DEFAULT_LEASE_S) -> None:
        """``show`` makes an output JSON-safe for the stored case (the runs' artifact summary);
        evaluations are claimed for ``replica_id``, whose run manager's lease keeper renews them."""
        self.executor = executor
        self.replica_id, self.lease_s = replica_id, lease_s
        self.sessions = session_factory
        self.show = show
        self._queue: queue.SimpleQueue[tuple[LiveRun, Dataset, int] | None] = queue.SimpleQueue()
        self._live: dict[str, LiveRun] = {}
        self._thread = threading.Thread(target=self._worker, name="genaisys-eval", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        for live in list(self._live.values()):
            live.cancel.cancel("the server is shutting down")
        self._queue.put(None)
        self._thread.join(timeout)

    def submit(self, checked: CheckedGraph, dataset: Dataset, *, graph_id: str, version: int,
               owner_id: str | None) -> str:
        """Record an evaluation as queued and put it in line; CasesError (nothing recorded)
        for a dataset the graph cannot take."""
        check_against(checked, dataset)
        eval_id = uuid.uuid4().hex
        with self.sessions() as session, session.begin():
            row = repo.create_evaluation(session, evaluation_id=eval_id, graph_id=graph_id, version=version,
                                         checks=[c.to_json() for c in dataset.checks], cases_count=len(dataset.cases),
                                         owner_id=owner_id, claimed_by=self.replica_id,
                                         lease_until=repo.lease_until(session, self.lease_s) if self.replica_id else None)
            owner_id = row.owner_id
        live = LiveRun(eval_id, graph_id, checked, {}, owner_id=owner_id)
        self._live[eval_id] = live
        self._queue.put((live, dataset, version))
        return eval_id

    def live(self, eval_id: str) -> LiveRun | None:
        return self._live.get(eval_id)

    def cancel(self, eval_id: str) -> bool:
        """Stop an evaluation: no case starts after this, and the one running stops between or
        inside its nodes (it is kept, failed, with the cancel as its error)."""
        live = self._live.get(eval_id)
        if live is None or live.finished:
            return False
        live.cancel.cancel("the evaluation was cancelled")
        return True

    # -- work (the worker thread) ------------------------------------------------------------

    def _worker(self) -> None:
        while (item := self._queue.get()) is not None:
            live, dataset, version = item
            try:
                self._execute(live, dataset)
            except InvalidRunState as exc:  # settled by another replica while this one had lost its lease
                log.warning("evaluation %s was not recorded here: %s", live.id, exc)
            except Exception:  # a bug of ours: the evaluation fails, the worker lives on
                log.exception("evaluation %s crashed", live.id)
                with contextlib.suppress(InvalidRunState):
                    self._finish(live, RunStatus.FAILED, None,
                                 {"code": FailureCode.INTERNAL_ERROR, "message": "the evaluation stopped on an internal error; it is logged"})
            finally:
                live.publish(DONE)
                self._live.pop(live.id, None)

    def _event(self, live: LiveRun, type_: EvalEventType, **data: Any) -> None:
        live.publish({"type": type_, "evaluation_id": live.id, "seq": len(live.events) + 1, "ts": time.time(), "data": data},
                     saved=True)

    def _execute(self, live: LiveRun, dataset: Dataset) -> None:
        if live.cancel.cancelled:
            self._finish(live, RunStatus.CANCELLED, None, {"code": FailureCode.CANCELLED, "message": live.cancel.reason})
            return
        with self.sessions() as session, session.begin():
            repo.mark_evaluation_started(session, evaluation_id=live.id)
        self._event(live, EvalEventType.EVALUATION_STARTED, cases=len(dataset.cases))
        done: list[dict[str, Any]] = []

        def started(n: int, case_id: str) -> None:
            self._event(live, EvalEventType.CASE_STARTED, n=n, total=len(dataset.cases), case=case_id)

        def finished(n: int, total: int, case: CaseResult) -> None:
            result = case.to_json()
            done.append(result)
            with self.sessions() as session, session.begin():
                row = repo.record_case(session, evaluation_id=live.id, result=result, passed=case.status == CaseStatus.PASSED,
                                       summary=summarize_checks(dataset.checks, done))
                flush = getattr(self.executor.cache, "flush", None)
                if flush is not None:  # what the case computed is kept on disk too, with its record
                    flush(session, signatures=True)
                passed = row.passed_count
            self._event(live, EvalEventType.CASE_FINISHED, n=n, total=total, case=case.id, status=case.status,
                        passed=passed, failed=n - passed)

        result = evaluate(self.executor, live.checked, dataset, scope=live.graph_id or "evaluation", on_case=finished,
                          on_case_start=started, cancel=live.cancel, owner_id=live.owner_id, show=self.show)
        error = None
        if result.status == RunStatus.CANCELLED:
            error = {"code": FailureCode.CANCELLED, "message": live.cancel.reason or "the evaluation was cancelled"}
        self._finish(live, result.status, result.summary(), error)

    def _finish(self, live: LiveRun, status: RunStatus, summary: dict[str, Any] | None, error: Any) -> None:
        with self.sessions() as session, session.begin():
            row = repo.finish_evaluation(session, evaluation_id=live.id, status=status, summary=summary, error=error)
            counts = {"cases": row.cases_count, "done": row.done_count, "passed": row.passed_count}
        self._event(live, EvalEventType.EVALUATION_FINISHED, status=status, **counts)
