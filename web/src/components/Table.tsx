// The tables of the UI: a sideways scroller that shows when it scrolls (ScrollX.tsx), one header
// row, the body rows the caller renders.
import type { ReactNode } from 'react';
import { formatCount } from '../format.ts';
import { ScrollX } from './ScrollX.tsx';

export interface Column {
  /** Header content: a label, or e.g. a sort button. */
  label: ReactNode;
  /** The header cell's class: `num` right-aligns numbers, `hide-narrow` hides it on phones. */
  className?: string | undefined;
  /** aria-sort of a sortable column. */
  sort?: 'ascending' | 'descending' | 'none' | undefined;
  /** React key when the label is not a string. */
  key?: string;
}

/** `label` names the table for screen readers (e.g. "Copies per backend"). */
export function Table({ className, label, columns, children }: { className: string; label: string; columns: readonly Column[]; children: ReactNode }) {
  return (
    <ScrollX label={label}>
      <table className={className} aria-label={label}>
        <thead>
          <tr>
            {columns.map((c, i) => (
              <th key={c.key ?? (typeof c.label === 'string' ? c.label : i)} scope="col" className={c.className} aria-sort={c.sort}>
                {c.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </ScrollX>
  );
}

/** The header of an actions column (its buttons say what they do). */
export const ACTIONS_COLUMN: Column = { key: 'actions', label: <span className="visually-hidden">Actions</span>, className: 'actions-col' };

/** A count of something wrong (missing or corrupt copies): red when it is not zero. */
export function ProblemCount({ n }: { n: number }) {
  return <td className={`num${n ? ' text-bad' : ''}`}>{formatCount(n)}</td>;
}
