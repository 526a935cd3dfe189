/** The messages of the toast store, at the bottom centre of the canvas (a cell of the app's
 * grid: never over the palette, the side panel and its results, or the minimap); a click
 * dismisses one, its button (if any) acts. */

import { useToasts } from "../stores/toastStore";

export function Toasts() {
  const toasts = useToasts((s) => s.toasts);
  const dismiss = useToasts((s) => s.dismiss);
  return (
    <div className="toasts" role="status" aria-live="polite">
      {toasts.map((t) => (
        <div key={t.id} className={`toast toast-${t.kind}`} onClick={() => dismiss(t.id)}>
          <span className="toast-message">{t.message}</span>
          {t.action && (
            <button type="button" className="btn small toast-action" onClick={(e) => { e.stopPropagation(); dismiss(t.id); t.action!.run(); }}>
              {t.action.label}
            </button>
          )}
        </div>
      ))}
    </div>
  );
}
