// A titled panel: a section labelled by its heading (ids `${id}-title`).
import type { ReactNode } from 'react';

export function Panel({ id, title, testId, children }: { id: string; title: ReactNode; testId?: string; children: ReactNode }) {
  return (
    <section className="panel" aria-labelledby={`${id}-title`} data-testid={testId}>
      <h2 id={`${id}-title`}>{title}</h2>
      {children}
    </section>
  );
}
