// Copies a text to the clipboard (for names too long to show in full), and says so for a moment.
import { useEffect, useState } from 'react';

async function copyText(text: string): Promise<void> {
  if (navigator.clipboard?.writeText) {
    await navigator.clipboard.writeText(text);
    return;
  }
  // Without the Clipboard API (a page served over plain http to another host): the old way.
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.append(area);
  area.select();
  const ok = document.execCommand('copy');
  area.remove();
  if (!ok) throw new Error('copy refused');
}

/** `caption` is the button's text ("Copy name"), `title` its tooltip (what exactly it copies). */
export function CopyButton({ text, caption, title, testId, variant = 'ghost' }: { text: string; caption: string; title: string; testId?: string; variant?: 'ghost' | 'primary' }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (state === 'idle') return;
    const t = setTimeout(() => setState('idle'), 2000);
    return () => clearTimeout(t);
  }, [state]);
  return (
    <button
      type="button"
      className={`btn btn--small btn--${variant}`}
      onClick={() => copyText(text).then(() => setState('copied'), () => setState('failed'))}
      data-testid={testId}
      title={title}
    >
      <span aria-live="polite">{state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy failed' : caption}</span>
    </button>
  );
}
