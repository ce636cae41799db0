// A box that scrolls sideways when its content (a table) is wider than the screen, and shows it:
// a shadow on each edge that has more content beyond it, and a thin scrollbar. Phones hide
// scrollbars until touched, so without the shadows a clipped table looks complete. When it does
// scroll, it is focusable (arrow keys scroll it) and named for screen readers.
import { useEffect, useRef, useState, type ReactNode, type RefObject } from 'react';

interface Edges {
  left: boolean;
  right: boolean;
}

function useOverflowEdges(): [RefObject<HTMLDivElement | null>, Edges] {
  const ref = useRef<HTMLDivElement>(null);
  const [edges, setEdges] = useState<Edges>({ left: false, right: false });
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const measure = (): void => {
      // 1 px of slack: zoomed pages report fractional widths.
      const left = el.scrollLeft > 1;
      const right = el.scrollLeft + el.clientWidth < el.scrollWidth - 1;
      setEdges((e) => (e.left === left && e.right === right ? e : { left, right }));
    };
    measure();
    el.addEventListener('scroll', measure, { passive: true });
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    if (el.firstElementChild) observer.observe(el.firstElementChild);
    return () => {
      el.removeEventListener('scroll', measure);
      observer.disconnect();
    };
  }, []);
  return [ref, edges];
}

export function ScrollX({ label, children }: { label: string; children: ReactNode }) {
  const [ref, edges] = useOverflowEdges();
  const scrolls = edges.left || edges.right;
  return (
    <div className="scroll-x" data-testid="scroll-x" data-more-left={edges.left || undefined} data-more-right={edges.right || undefined}>
      <div
        ref={ref}
        className="scroll-x__box"
        {...(scrolls ? { tabIndex: 0, role: 'region', 'aria-label': `${label} (scrolls sideways)` } : {})}
      >
        {children}
      </div>
    </div>
  );
}
