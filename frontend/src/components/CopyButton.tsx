/** Copy a text to the clipboard, saying so on the button for a moment. */

import { useEffect, useState } from "react";
import { toast } from "../stores/toastStore";

/** The Clipboard API where the page may use it, else the old select-and-copy. */
export async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // fall through to the old way
  }
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.appendChild(area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand("copy");
  } catch {
    ok = false;
  }
  area.remove();
  return ok;
}

export function CopyButton({ text, label = "Copy", what }: { text: string; label?: string; what: string }) {
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!copied) return;
    const t = setTimeout(() => setCopied(false), 1500);
    return () => clearTimeout(t);
  }, [copied]);
  const onClick = async (): Promise<void> => {
    if (await copyText(text)) setCopied(true);
    else toast.error(`Could not copy the ${what}: select it and copy by hand.`);
  };
  return (
    <button type="button" className="btn small" onClick={() => void onClick()} aria-label={`${label} ${what}`}>
      {copied ? "Copied ✓" : label}
    </button>
  );
}
