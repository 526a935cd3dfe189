/** An edge coloured by the type it carries; red, with the message on hover, when the
 * validator pinned a problem to it. */

import { BaseEdge, type EdgeProps, getBezierPath } from "@xyflow/react";
import { memo } from "react";
import type { StudioEdge } from "../graph/document";
import { typeColorVar } from "../stores/catalogStore";
import { useValidation } from "../stores/validationStore";

function TypedEdge(props: EdgeProps<StudioEdge>) {
  const { id, sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, data, selected, markerEnd } = props;
  const problems = useValidation((s) => s.byEdge[id]);
  const [path] = getBezierPath({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition });
  const stroke = problems ? "var(--danger)" : typeColorVar(data?.typeName ?? "Any");
  return (
    <>
      <BaseEdge id={id} path={path} markerEnd={markerEnd} className={problems ? "edge-problem" : undefined}
        style={{ stroke, strokeWidth: selected ? 3.5 : 2.25, opacity: selected ? 1 : 0.85 }} />
      {problems && <title>{problems.map((p) => p.message).join("\n")}</title>}
    </>
  );
}

export default memo(TypedEdge);
