/** The React Flow canvas: drop nodes from the palette (or a graph file to import), double-click
 * to quick-add, connect ports (refused with a reason when the types disagree; a wire dropped
 * on the empty canvas offers the nodes that can take it) and the zoom controls (the minimap sits
in the palette: see Overview). Read-only (a share link): look, select, pan and zoom; nothing else. */

import {
  Background,
  BackgroundVariant,
  type Connection,
  ControlButton,
  Controls,
  type Edge,
  type FinalConnectionState,
  ReactFlow,
  useReactFlow,
  useStore,
  useStoreApi,
} from "@xyflow/react";
import { type MouseEvent, useCallback, useEffect, useRef, useState } from "react";
import { Breadcrumbs } from "../components/Breadcrumbs";
import type { StudioEdge, StudioNode } from "../graph/document";
import { SUBGRAPH } from "../graph/grouping";
import { openSubgraph } from "../graph/subgraphs";
import { edgeTypes, nodeTypes } from "../nodes/nodeTypes";
import { useCatalog } from "../stores/catalogStore";
import { useGraph } from "../stores/graphStore";
import { toast } from "../stores/toastStore";
import { useUi } from "../stores/uiStore";
import { type WireCandidate, type WireEnd, wireCandidates } from "../types/compat";
import { ConnectionLine } from "./ConnectionLine";
import { checkLive, liveView, refusal } from "./connection";
import { useCanvasDrop } from "./drop";
import { HOME_VIEWPORT, fitGraph, fitOpened } from "./fit";
import { Overview } from "./Overview";
import { QuickAdd } from "./QuickAdd";

const DELETE_KEYS = ["Delete", "Backspace"];

/** Below this zoom, nodes draw only their frame and title (as LiteGraph's low-quality mode):
 * widgets too small to read cost most of the painting of a big graph. */
export const LOW_DETAIL_ZOOM = 0.5;
/** ...and below this one, a coloured box each: titles are unreadable there anyway. */
export const TINY_DETAIL_ZOOM = 0.25;
const detail = (s: { transform: [number, number, number] }): string =>
  s.transform[2] < TINY_DETAIL_ZOOM ? " low-detail tiny-detail" : s.transform[2] < LOW_DETAIL_ZOOM ? " low-detail" : "";

const isValidConnection = (c: Connection | Edge): boolean =>
  checkLive({ source: c.source, sourceHandle: c.sourceHandle, target: c.target, targetHandle: c.targetHandle }).ok;

/** Where a drag ended, in page coordinates, and whether that is the empty canvas. */
function dropPoint(event: globalThis.MouseEvent | TouchEvent): { x: number; y: number; onPane: boolean } {
  const p = "changedTouches" in event ? event.changedTouches[0] : event;
  if (!p) return { x: 0, y: 0, onPane: false };
  const under = document.elementFromPoint(p.clientX, p.clientY);
  return { x: p.clientX, y: p.clientY, onPane: !!under?.classList.contains("react-flow__pane") };
}

/** Where a node added for a dropped wire goes: its input side at the drop point, or (a wire
 * dragged back from an input) its output side there. */
const NEW_NODE_WIDTH = 260;
const placeFor = (side: WireEnd["side"], at: { x: number; y: number }): { x: number; y: number } =>
  side === "source" ? { x: at.x, y: at.y - 40 } : { x: at.x - NEW_NODE_WIDTH, y: at.y - 40 };

/** The quick-add's corner for a point of the page: the point itself, moved in when the box
 * (280 × ~340 px) would run past the canvas's right or bottom edge. */
const QUICK_SIZE = { width: 290, height: 350 };
const inCanvas = (box: DOMRect, x: number, y: number): { x: number; y: number } => ({
  x: Math.max(0, Math.min(x - box.left, box.width - QUICK_SIZE.width)),
  y: Math.max(0, Math.min(y - box.top, box.height - QUICK_SIZE.height)),
});

interface QuickState {
  screen: { x: number; y: number };
  flow: { x: number; y: number };
  wire?: WireEnd;
  candidates?: WireCandidate[];
}

function useViewRequests(): void {
  const flow = useReactFlow<StudioNode, StudioEdge>();
  const store = useStoreApi();
  const fitRequest = useUi((s) => s.fitRequest);
  const focus = useUi((s) => s.focusRequest);
  // a graph may arrive before the pane is measured (a share page mounts the canvas with it)
  const sized = useStore((s) => s.width > 0 && s.height > 0);
  useEffect(() => {
    if (!fitRequest || !sized) return;
    // a graph just opened: readable at its inputs; a new one: home (zoom 1)
    const frame = requestAnimationFrame(() => fitOpened(flow, store.getState()));
    return () => cancelAnimationFrame(frame);
  }, [fitRequest, sized, flow, store]);
  useEffect(() => {
    if (!focus) return;
    const node = flow.getInternalNode(focus.id);
    if (!node) return;
    useGraph.getState().selectOnly(focus.id);
    const w = node.measured.width ?? 240;
    const h = node.measured.height ?? 120;
    void flow.setCenter(node.internals.positionAbsolute.x + w / 2, node.internals.positionAbsolute.y + h / 2, { zoom: Math.max(flow.getZoom(), 1), duration: 300 });
  }, [focus, flow]);
}

export function Canvas() {
  const nodes = useGraph((s) => s.nodes);
  const edges = useGraph((s) => s.edges);
  const onNodesChange = useGraph((s) => s.onNodesChange);
  const onEdgesChange = useGraph((s) => s.onEdgesChange);
  const onConnect = useGraph((s) => s.connect);
  const readOnly = useGraph((s) => s.readOnly);
  const flow = useReactFlow<StudioNode, StudioEdge>();
  const store = useStoreApi();
  const detailClass = useStore(detail);
  const [quick, setQuick] = useState<QuickState | null>(null);
  const wrapper = useRef<HTMLDivElement>(null);
  useViewRequests();
  const { onDragOver, onDrop } = useCanvasDrop(readOnly);

  const onDoubleClick = useCallback((e: MouseEvent<HTMLDivElement>) => {
    if (readOnly || !(e.target as Element).classList.contains("react-flow__pane")) return;
    const box = e.currentTarget.getBoundingClientRect();
    setQuick({ screen: inCanvas(box, e.clientX, e.clientY), flow: flow.screenToFlowPosition({ x: e.clientX, y: e.clientY }) });
  }, [flow, readOnly]);

  // a subgraph node opens its graph (not from its title, which renames it, nor its widgets)
  const onNodeDoubleClick = useCallback((e: MouseEvent, node: StudioNode) => {
    if (node.data.type !== SUBGRAPH || (e.target as Element).closest(".node-title, input, textarea, select, button")) return;
    void openSubgraph(node.id);
  }, []);

  // a refused drop says why; a wire dropped on the empty canvas asks which node to add there
  const onConnectEnd = useCallback((event: globalThis.MouseEvent | TouchEvent, state: FinalConnectionState) => {
    if (!state.fromHandle) return;
    if (state.toHandle) {
      const reason = state.isValid === false ? refusal(state.fromHandle, state.toHandle) : null;
      if (reason) toast.error(`Not connected — ${reason}`);
      return;
    }
    const drop = dropPoint(event);
    const box = wrapper.current?.getBoundingClientRect();
    if (readOnly || !drop.onPane || !box || !state.fromHandle.id) return;
    const wire: WireEnd = { nodeId: state.fromHandle.nodeId, handle: state.fromHandle.id, side: state.fromHandle.type };
    setQuick({
      screen: inCanvas(box, drop.x, drop.y),
      flow: placeFor(wire.side, flow.screenToFlowPosition({ x: drop.x, y: drop.y })),
      wire,
      candidates: wireCandidates(liveView(), wire, useCatalog.getState().nodes),
    });
  }, [flow, readOnly]);

  return (
    <div className={`canvas${detailClass}`} onDoubleClick={onDoubleClick} data-testid="canvas" ref={wrapper}>
      <ReactFlow<StudioNode, StudioEdge>
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={readOnly ? undefined : onConnect}
        nodesDraggable={!readOnly}
        nodesConnectable={!readOnly}
        edgesReconnectable={false}
        isValidConnection={isValidConnection}
        onConnectEnd={onConnectEnd}
        connectionLineComponent={ConnectionLine}
        onDragOver={onDragOver}
        onDrop={onDrop}
        onNodeDoubleClick={onNodeDoubleClick}
        colorMode="dark"
        zoomOnDoubleClick={false}
        deleteKeyCode={readOnly ? null : DELETE_KEYS}
        selectionKeyCode="Shift"
        multiSelectionKeyCode={["Control", "Meta"]}
        connectionRadius={24}
        onlyRenderVisibleElements
        minZoom={0.05}
        maxZoom={2.5}
        defaultViewport={HOME_VIEWPORT}
      >
        <Background variant={BackgroundVariant.Dots} gap={22} size={1.4} color="#2f3542" />
        <Controls showInteractive={false} showFitView={false}>
          <ControlButton onClick={() => fitGraph(flow, store.getState(), 300)} title="Fit the graph in view" aria-label="Fit the graph in view">
            <svg viewBox="0 0 16 16" width="12" height="12" fill="none" stroke="currentColor" strokeWidth="1.8" aria-hidden="true">
              <path d="M1 5V1h4M11 1h4v4M15 11v4h-4M5 15H1v-4" />
            </svg>
          </ControlButton>
        </Controls>
      </ReactFlow>
      <Breadcrumbs />
      {readOnly && <Overview floating />}
      {quick && (
        <QuickAdd at={quick.screen} candidates={quick.candidates} side={quick.wire?.side} onClose={() => setQuick(null)}
          onPick={(type, port) => {
            useGraph.getState().addNode(type, quick.flow, quick.wire && port ? { ...quick.wire, port } : undefined);
            setQuick(null);
          }} />
      )}
    </div>
  );
}
