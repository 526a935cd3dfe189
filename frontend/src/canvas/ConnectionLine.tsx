/** The line drawn while connecting; over a port that refuses it, it turns red and says why. */

import { type ConnectionLineComponentProps, getBezierPath } from "@xyflow/react";
import type { StudioNode } from "../graph/document";
import { refusal } from "./connection";

export function ConnectionLine(props: ConnectionLineComponentProps<StudioNode>) {
  const { fromX, fromY, toX, toY, fromPosition, toPosition, connectionStatus, fromHandle, toHandle } = props;
  const [path] = getBezierPath({ sourceX: fromX, sourceY: fromY, sourcePosition: fromPosition, targetX: toX, targetY: toY, targetPosition: toPosition });
  const reason = connectionStatus === "invalid" && toHandle ? refusal(fromHandle, toHandle) : null;
  return (
    <g className={`connection-line ${connectionStatus ?? ""}`}>
      <path d={path} fill="none" strokeWidth={2.5} stroke={reason ? "var(--danger)" : "var(--accent)"} strokeDasharray={reason ? "6 4" : undefined} />
      {reason && (
        <foreignObject x={toX + 14} y={toY + 10} width={300} height={120} className="connection-refusal-box">
          <div className="connection-refusal">{reason}</div>
        </foreignObject>
      )}
    </g>
  );
}
