// The tables of the UI: a scrolling wrapper, one header row, the body rows the caller renders.
import type { ReactNode } from 'react';
import { formatCount } from '../format.ts';

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

export function Table({ className, columns, children }: { className: string; columns: readonly Column[]; children: ReactNode }) {
  return (
    <div className="table-wrap">
      <table className={className}>
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
    </div>
  );
}

/** The header of an actions column (its buttons say what they do). */
export const ACTIONS_COLUMN: Column = { key: 'actions', label: <span className="visually-hidden">Actions</span>, className: 'actions-col' };

/** A count of something wrong (missing or corrupt copies): red when it is not zero. */
export function ProblemCount({ n }: { n: number }) {
  return <td className={`num${n ? ' text-bad' : ''}`}>{formatCount(n)}</td>;
}
