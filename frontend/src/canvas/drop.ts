/** What may be dropped on the canvas: a node from the palette (added where it lands) or a
 * graph file (imported and opened). A read-only canvas takes neither. */

import { useReactFlow } from "@xyflow/react";
import { type DragEvent, useCallback } from "react";
import type { StudioEdge, StudioNode } from "../graph/document";
import { importFile, pickGraphFile } from "../graph/transfer";
import { useGraph } from "../stores/graphStore";
import { toast } from "../stores/toastStore";

export const DRAG_TYPE = "application/x-genaisys-node";
/** With a palette item of the user's graphs: the params of the subgraph node it adds. */
export const PARAMS_TYPE = "application/x-genaisys-params";

const carriesFiles = (e: DragEvent): boolean => e.dataTransfer.types.includes("Files");

export function useCanvasDrop(readOnly: boolean): { onDragOver: (e: DragEvent) => void; onDrop: (e: DragEvent) => void } {
  const flow = useReactFlow<StudioNode, StudioEdge>();
  const onDragOver = useCallback((e: DragEvent) => {
    if (readOnly) {
      if (carriesFiles(e)) {
        e.preventDefault(); // refuse the drop rather than let the browser open the file instead of the page
        e.dataTransfer.dropEffect = "none";
      }
      return;
    }
    if (e.dataTransfer.types.includes(DRAG_TYPE)) {
      e.preventDefault();
      e.dataTransfer.dropEffect = "move";
    } else if (carriesFiles(e)) {
      e.preventDefault();
      e.dataTransfer.dropEffect = "copy";
    }
  }, [readOnly]);
  const onDrop = useCallback((e: DragEvent) => {
    if (readOnly) {
      if (carriesFiles(e)) e.preventDefault();
      return;
    }
    const type = e.dataTransfer.getData(DRAG_TYPE);
    if (type) {
      e.preventDefault();
      const at = flow.screenToFlowPosition({ x: e.clientX, y: e.clientY });
      const params = e.dataTransfer.getData(PARAMS_TYPE);
      useGraph.getState().addNode(type, { x: at.x - 20, y: at.y - 16 }, undefined, params ? JSON.parse(params) : undefined);
      return;
    }
    if (!e.dataTransfer.files.length) return;
    e.preventDefault(); // never let the browser open the file in place of the studio
    const file = pickGraphFile(e.dataTransfer.files);
    if (file) void importFile(file);
    else toast.error("Drop a graph file (.json) to import it.");
  }, [flow, readOnly]);
  return { onDragOver, onDrop };
}
