/** The open saved graph as an API: `POST /api/graphs/{id}/run` with its io inputs, as a
 * ready-to-copy curl command and Python snippet. */

import { useMemo, useState } from "react";
import { TOKEN_VAR, curlSnippet, exampleInputs, pythonSnippet } from "../graph/snippets";
import { useAuth } from "../stores/authStore";
import { useCatalog } from "../stores/catalogStore";
import { isDirty, useGraph } from "../stores/graphStore";
import { CopyButton } from "./CopyButton";
import { Modal } from "./Modal";

type Lang = "curl" | "python";

export function ApiDialog() {
  const graphId = useGraph((s) => s.graphId);
  const version = useGraph((s) => s.version);
  const dirty = useGraph(isDirty);
  const revision = useGraph((s) => s.revision);
  const byType = useCatalog((s) => s.byType);
  const [lang, setLang] = useState<Lang>("curl");
  const auth = useAuth((s) => s.status === "signed-in");
  // the document changes exactly when the revision does
  const inputs = useMemo(() => exampleInputs(useGraph.getState().document(), byType), [revision, byType]);
  if (!graphId) return <Modal title="API"><p>Save the graph first: the API runs a saved graph.</p></Modal>;
  const code = lang === "curl" ? curlSnippet(location.origin, graphId, inputs, auth) : pythonSnippet(location.origin, graphId, inputs, auth);
  const ids = Object.keys(inputs);
  return (
    <Modal title="Run this graph from a program" wide>
      <p className="muted">
        <code>POST /api/graphs/{graphId}/run</code> runs the latest saved version{version ? ` (now v${version})` : ""} with{" "}
        {ids.length ? <>the io inputs <b>{ids.join(", ")}</b> set from <code>inputs</code></> : "its saved values (it has no io input nodes)"};
        it answers with the outputs, or 202 and the run id to poll if it takes longer than <code>timeout_s</code>.
      </p>
      {auth && (
        <p className="muted">
          This server requires an API token: set <code>{TOKEN_VAR}</code> to yours (<code>genaisys users add NAME</code> makes one).
        </p>
      )}
      {dirty && <p className="note">Unsaved edits are not what the API runs: save first. The example inputs are the canvas's current values.</p>}
      <nav className="tabs snippet-tabs" role="tablist">
        {(["curl", "python"] as const).map((l) => (
          <button key={l} type="button" role="tab" aria-selected={lang === l} className={`tab${lang === l ? " active" : ""}`} onClick={() => setLang(l)}>
            {l === "curl" ? "curl" : "Python (httpx)"}
          </button>
        ))}
      </nav>
      <pre className="snippet" data-lang={lang} aria-label={`${lang} snippet`}>{code}</pre>
      <div className="dialog-actions">
        <CopyButton text={code} what={`${lang} snippet`} />
      </div>
    </Modal>
  );
}
