/** The studio: toolbar on top, palette left, canvas centre, side panel right. On a share
 * link's page (`/s/{token}`): a banner instead of the toolbar, no palette, read-only. The
 * sign-in dialog (a server in auth mode) goes over all of it, loading screen included. */

import { ReactFlowProvider } from "@xyflow/react";
import { Canvas } from "./canvas/Canvas";
import { Dialogs } from "./components/Dialogs";
import { Palette } from "./components/Palette";
import { ShareBanner, ShareMissing } from "./components/ShareBanner";
import { SignInDialog } from "./components/SignInDialog";
import { SidePanel } from "./components/SidePanel";
import { Toasts } from "./components/Toasts";
import { Toolbar } from "./components/Toolbar";
import { useShortcuts } from "./hooks/useShortcuts";
import { useAuth } from "./stores/authStore";
import { useCatalog } from "./stores/catalogStore";
import { useShare } from "./stores/shareStore";

function Loading() {
  const status = useCatalog((s) => s.status);
  const error = useCatalog((s) => s.error);
  const sharing = useShare((s) => s.status === "loading");
  const signIn = useAuth((s) => s.status === "signed-out" && s.prompt);
  return (
    <div className="loading">
      {status === "error" ? (
        <>
          <p className="error">Could not load the node catalog: {error}</p>
          <button type="button" className="btn" onClick={() => void useCatalog.getState().load()}>Try again</button>
        </>
      ) : (
        <p>{signIn && status === "idle" ? "Sign in to open the studio." : sharing && status === "ready" ? "Opening the shared graph…" : "Loading the node catalog…"}</p>
      )}
    </div>
  );
}

function Studio() {
  const ready = useCatalog((s) => s.status === "ready");
  const share = useShare((s) => s.status);
  const shareError = useShare((s) => s.error);
  useShortcuts();
  if (share === "missing" || share === "error") return <ShareMissing error={share === "error" ? shareError : null} />;
  if (!ready || share === "loading") return <Loading />;
  const shared = share === "ready";
  return (
    <ReactFlowProvider>
      <div className={`app${shared ? " read-only" : ""}`}>
        {shared ? <ShareBanner /> : <Toolbar />}
        {!shared && <Palette />}
        <Canvas />
        <SidePanel />
        <Toasts />
      </div>
      <Dialogs />
    </ReactFlowProvider>
  );
}

export function App() {
  return (
    <>
      <Studio />
      <SignInDialog />
    </>
  );
}
