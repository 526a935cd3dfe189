/** Run the open graph and follow it: `POST /api/runs`, then the run's websocket, whose
 * events the run store folds into per-node state. */

import { ApiError, api, eventsUrl } from "../api/client";
import type { RunDetail, RunEvent, ValidationReport } from "../api/types";
import { useCatalog } from "../stores/catalogStore";
import { isDirty, useGraph } from "../stores/graphStore";
import { isActive, useRun } from "../stores/runStore";
import { toast } from "../stores/toastStore";
import { useUi } from "../stores/uiStore";
import { useValidation } from "../stores/validationStore";

let socket: WebSocket | null = null;

export async function startRun(): Promise<void> {
  const g = useGraph.getState();
  if (isActive(useRun.getState().phase) || g.readOnly) return;
  const doc = g.document();
  if (!doc.nodes.length) {
    toast.info("Add some nodes first: drag them from the palette, or double-click the canvas.");
    return;
  }
  useRun.getState().starting();
  // a saved, unchanged graph runs as its version; an edited one as its document, still
  // tied to the graph, so either way the run shows in the graph's history
  const body = g.graphId && g.version && !isDirty(g)
    ? { graph_id: g.graphId, version: g.version }
    : g.graphId ? { graph_id: g.graphId, document: doc } : { document: doc };
  try {
    const accepted = await api.startRun(body);
    useRun.getState().begin(accepted.id, doc.nodes.map((n) => n.id));
    follow(accepted.id);
  } catch (err) {
    const message = (err as Error).message;
    useRun.getState().failedToStart(message);
    if (err instanceof ApiError && err.code === "invalid_graph" && err.details) {
      useValidation.getState().setReport(err.details as ValidationReport, g.structureRevision);
      useUi.getState().showTab("problems");
    }
    toast.error(`Not run: ${message}`);
  }
}

function follow(runId: string): void {
  socket?.close();
  const ws = new WebSocket(eventsUrl(runId));
  socket = ws;
  ws.onmessage = (msg) => {
    let events: RunEvent[];
    try {
      // each message is a list of events in order; an error is one object (and no event)
      const parsed: unknown = JSON.parse(String(msg.data));
      if (!Array.isArray(parsed)) return;
      events = parsed as RunEvent[];
    } catch {
      return;
    }
    useRun.getState().applyAll(events);
    const finished = events.find((e) => e.type === "run_finished");
    if (!finished) return;
    if (useRun.getState().replay) void showVerdicts(runId);
    else announce(String(finished.data?.status ?? ""));
  };
  ws.onclose = () => {
    if (socket === ws) socket = null;
    const run = useRun.getState();
    if (run.runId === runId && isActive(run.phase)) void settle(runId);
  };
}

/** The socket closed before the run finished: follow the stored run instead, each node
 * as it settles, until the run ends. */
async function settle(runId: string): Promise<void> {
  try {
    const run = await api.readRun(runId);
    if (useRun.getState().runId !== runId) return;
    if (isActive(run.status)) {
      useRun.getState().mergeStored(run);
      setTimeout(() => void settle(runId), 1000);
      return;
    }
    useRun.getState().showStored(run);
    useRun.setState({ past: null });
    if (run.replay) sayVerdicts(run);
    else announce(run.status);
  } catch (err) {
    toast.error(`Lost the run's events: ${(err as Error).message}`);
  }
}

/** The graph's output nodes that the run gave a value. */
function outputsShown(): string[] {
  const { nodes } = useRun.getState();
  const byType = useCatalog.getState().byType;
  return useGraph.getState().nodes.filter((n) => byType[n.data.type]?.role === "output" && nodes[n.id]?.outputs).map((n) => n.id);
}

function announce(status: string): void {
  const run = useRun.getState();
  if (status === "succeeded") {
    const finished = `Run finished${run.duration !== null ? ` in ${run.duration.toFixed(1)} s` : ""}`;
    const ui = useUi.getState();
    if (!outputsShown().length) toast.success(finished);
    else if (ui.panelOpen) {
      // what the user ran for: the results, not the problems tab they may have left open
      ui.showTab("result");
      toast.success(finished);
    } else {
      toast.success(finished, { label: "Show result", run: () => useUi.getState().showTab("result") });
    }
  } else if (status === "cancelled") toast.info("Run cancelled");
  else {
    const failed = Object.entries(run.nodes).find(([, n]) => n.status === "failed");
    toast.error(failed ? `Node '${failed[0]}' failed: ${failed[1].error ?? ""}` : "The run failed");
  }
}

/** Replay stored run `runId`: the server runs it again as it ran, past the result cache, and
 * each node gets a verdict badge (identical, or what changed) when the replay ends. */
export async function replayRun(runId: string): Promise<void> {
  if (isActive(useRun.getState().phase)) return;
  useRun.getState().starting();
  try {
    const accepted = await api.replayRun(runId);
    for (const note of accepted.preflight) toast.info(String(note.message ?? `model ${String(note.model)} changed`));
    useRun.getState().begin(accepted.id, useGraph.getState().nodes.map((n) => n.id), runId);
    useUi.getState().showTab("runs");
    follow(accepted.id);
  } catch (err) {
    const message = (err as Error).message;
    useRun.getState().failedToStart(message);
    toast.error(`Not replayed: ${message}`);
  }
}

async function showVerdicts(runId: string): Promise<void> {
  try {
    const run = await api.readRun(runId);
    useRun.getState().showVerdicts(run);
    sayVerdicts(run);
  } catch (err) {
    toast.error(`Could not read the replay's verdicts: ${(err as Error).message}`);
  }
}

function sayVerdicts(run: RunDetail): void {
  const verdicts = Object.values(run.replay?.nodes ?? {});
  const differ = verdicts.filter((v) => v.verdict !== "identical").length;
  if (run.status !== "succeeded") toast.error(`Replay ${run.status}: ${run.error?.message ?? ""}`);
  else if (!differ) toast.success(`Replay: all ${verdicts.length} nodes identical`);
  else toast.info(`Replay: ${differ} of ${verdicts.length} nodes not identical (see the badges)`);
}

export async function cancelRun(): Promise<void> {
  const { runId, phase } = useRun.getState();
  if (!runId || !isActive(phase)) return;
  try {
    await api.cancelRun(runId);
  } catch (err) {
    if (!(err instanceof ApiError && err.code === "not_running")) toast.error(`Could not cancel: ${(err as Error).message}`);
  }
}

export async function openStoredRun(runId: string): Promise<void> {
  try {
    useRun.getState().showStored(await api.readRun(runId));
  } catch (err) {
    toast.error(`Could not open the run: ${(err as Error).message}`);
  }
}
