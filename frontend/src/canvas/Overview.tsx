/** The minimap, collapsible. It lives at the foot of the palette, off the canvas, so it never
 * covers a node or a result; on a share link's page (no palette) it floats at the canvas's
 * bottom left, beside the zoom controls, away from the outputs at the graph's right end. */

import { MiniMap } from "@xyflow/react";
import type { StudioNode } from "../graph/document";
import { useUi } from "../stores/uiStore";

const minimapColor = (n: StudioNode): string => (n.selected ? "#e5e7eb" : "#4b5563");
const SIZE = { width: 208, height: 132 };

export function Overview({ floating = false }: { floating?: boolean }) {
  const shown = useUi((s) => s.overview);
  return (
    <section className={`overview${floating ? " floating" : ""}${shown ? "" : " collapsed"}`} aria-label="Overview">
      <button type="button" className="overview-toggle" aria-expanded={shown} onClick={() => useUi.getState().toggleOverview()}
        title={shown ? "Hide the minimap" : "Show the minimap"}>
        <span className="overview-caret" aria-hidden="true">{shown ? "▾" : "▸"}</span> Minimap
      </button>
      {shown && (
        <MiniMap pannable zoomable nodeColor={minimapColor} bgColor="#101217" maskColor="rgba(10,12,16,0.7)" maskStrokeColor="#454d5e"
          style={SIZE} />
      )}
    </section>
  );
}
