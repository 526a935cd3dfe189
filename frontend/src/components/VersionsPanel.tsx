/** Every saved version of the open graph; restore one as the newest version. */

import { useEffect, useState } from "react";
import { api } from "../api/client";
import type { VersionPublic } from "../api/types";
import { restoreVersion } from "../graph/files";
import { useGraph } from "../stores/graphStore";
import { when } from "../format";


export function VersionsPanel() {
  const graphId = useGraph((s) => s.graphId);
  const current = useGraph((s) => s.version);
  const [versions, setVersions] = useState<VersionPublic[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!graphId) return;
    let live = true;
    api.listVersions(graphId).then((page) => live && setVersions(page.data), (err: Error) => live && setError(err.message));
    return () => { live = false; };
  }, [graphId, current]);
  if (!graphId) return <p className="panel-empty">Not saved yet: every save makes a version you can come back to.</p>;
  if (error) return <p className="panel-empty error">{error}</p>;
  if (!versions) return <p className="panel-empty">Loading…</p>;
  return (
    <ul className="versions" aria-label="versions">
      {versions.map((v) => (
        <li key={v.number} className={`version${v.number === current ? " current" : ""}`} data-version={v.number}>
          <span className="version-number">v{v.number}</span>
          <span className="version-when">{when(v.created_at)}</span>
          {v.number === current ? <span className="muted">open</span>
            : <button type="button" className="btn small" onClick={() => void restoreVersion(v.number)}>Restore</button>}
          {v.message && <div className="version-message">{v.message}</div>}
        </li>
      ))}
    </ul>
  );
}
