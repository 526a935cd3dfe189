/** React Flow's node and edge types, at module scope so their identity never changes. */

import type { EdgeTypes, NodeTypes } from "@xyflow/react";
import GenericNode from "./GenericNode";
import TypedEdge from "./TypedEdge";

export const nodeTypes: NodeTypes = { studio: GenericNode };
export const edgeTypes: EdgeTypes = { typed: TypedEdge };
