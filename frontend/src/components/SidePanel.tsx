/** The right-hand panel: problems, analysis, results, run history, versions, evaluations (a share link's page:
 * problems only; it has no runs or versions to show). */

import { useShare } from "../stores/shareStore";
import { type PanelTab, useUi } from "../stores/uiStore";
import { useValidation } from "../stores/validationStore";
import { AnalysisPanel } from "./AnalysisPanel";
import { EvaluatePanel } from "./EvaluatePanel";
import { ProblemsPanel } from "./ProblemsPanel";
import { ResultPanel } from "./ResultPanel";
import { RunHistory } from "./RunHistory";
import { VersionsPanel } from "./VersionsPanel";

const TABS: { id: PanelTab; label: string }[] = [
  { id: "problems", label: "Problems" },
  { id: "analysis", label: "Analysis" },
  { id: "result", label: "Result" },
  { id: "runs", label: "Runs" },
  { id: "versions", label: "Versions" },
  { id: "evaluate", label: "Evaluate" },
];

export function SidePanel() {
  const shared = useShare((s) => s.token !== null);
  const chosen = useUi((s) => s.tab);
  const tab = shared ? "problems" : chosen;
  const tabs = shared ? TABS.slice(0, 1) : TABS;
  const open = useUi((s) => s.panelOpen);
  const count = useValidation((s) => s.problems.length);
  if (!open) return null;
  return (
    <aside className="side-panel" aria-label="side panel">
      <nav className="tabs" role="tablist">
        {tabs.map((t) => (
          <button key={t.id} type="button" role="tab" aria-selected={tab === t.id} className={`tab${tab === t.id ? " active" : ""}`}
            onClick={() => useUi.getState().showTab(t.id)} data-tab={t.id}>
            {t.label}{t.id === "problems" && count ? <span className="count">{count}</span> : null}
          </button>
        ))}
      </nav>
      <div className="tab-body">
        {tab === "problems" && <ProblemsPanel />}
        {tab === "analysis" && <AnalysisPanel />}
        {tab === "result" && <ResultPanel />}
        {tab === "runs" && <RunHistory />}
        {tab === "versions" && <VersionsPanel />}
        {tab === "evaluate" && <EvaluatePanel />}
      </div>
    </aside>
  );
}
