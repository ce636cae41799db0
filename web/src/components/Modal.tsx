// The frame of every dialog: a backdrop, a titled box, Escape and a click outside to close (not
// while `busy`, so a running request is never left without its answer), and focus moved into the
// dialog when it opens (to the element marked data-autofocus, else the first field or button).
import { useEffect, useId, useRef, type ReactNode } from 'react';

export function Modal({ title, busy = false, onClose, testId, wide = false, children }: {
  title: ReactNode;
  busy?: boolean;
  onClose: () => void;
  testId?: string;
  /** Room for a form or a link (the share dialog), not just a sentence. */
  wide?: boolean;
  children: ReactNode;
}) {
  const titleId = useId();
  const boxRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const box = boxRef.current;
    const first = box?.querySelector<HTMLElement>('[data-autofocus]') ?? box?.querySelector<HTMLElement>('input, select, textarea, button');
    first?.focus();
  }, []);
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.key === 'Escape' && !busy) onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [busy, onClose]);
  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && !busy && onClose()}>
      <div ref={boxRef} className={`modal${wide ? ' modal--wide' : ''}`} role="dialog" aria-modal="true" aria-labelledby={titleId} data-testid={testId}>
        <h2 id={titleId}>{title}</h2>
        {children}
      </div>
    </div>
  );
}
