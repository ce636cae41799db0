// Small shared pieces: the one-line error, progress bar, stat card, confirm dialog, badges.
import { useEffect, useState, type ReactNode } from 'react';
import { ApiError, errorMessage } from '../api.ts';
import { Modal } from './Modal.tsx';
import { isOnline, onConnectivity } from '../connectivity.ts';

/**
 * An API error as ONE line (full text in the tooltip), with the HTTP status when there is one.
 * `wrap` shows the whole text on as many lines as it needs: for sentences a user must read in
 * full (what to do next), not for status lines.
 */
export function ErrorLine({ error, onRetry, testId = 'error', wrap = false }: { error: unknown; onRetry?: () => void; testId?: string; wrap?: boolean }) {
  if (error === undefined || error === null) return null;
  const message = errorMessage(error);
  const status = error instanceof ApiError && error.status > 0 ? `${error.status} ` : '';
  const code = error instanceof ApiError ? error.code : '';
  return (
    <div
      className={`error-line${wrap ? ' error-line--wrap' : ''}`}
      role="alert"
      data-testid={testId}
      data-status={error instanceof ApiError ? error.status : undefined}
      title={wrap ? undefined : message}
    >
      <span className="error-line__icon" aria-hidden="true">!</span>
      <span className="error-line__text">
        {status || code ? <span className="error-line__code">{status}{code}</span> : null}
        {message}
      </span>
      {onRetry ? (
        <button type="button" className="btn btn--small" onClick={onRetry}>
          Retry
        </button>
      ) : null}
    </div>
  );
}

export function ProgressBar({ value, max, label, state, testId }: { value: number; max: number; label: string; state?: string; testId?: string }) {
  const pct = max > 0 ? Math.min(100, (value / max) * 100) : 100;
  return (
    <div
      className={`progress${state ? ` progress--${state}` : ''}`}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={Math.floor(pct)}
      data-testid={testId}
    >
      <div className="progress__bar" style={{ width: `${pct}%` }} />
    </div>
  );
}

export function Card({ label, value, sub, tone, testId }: { label: string; value: ReactNode; sub?: ReactNode; tone?: 'good' | 'bad' | 'warn'; testId?: string }) {
  return (
    <div className={`card${tone ? ` card--${tone}` : ''}`} data-testid={testId}>
      <div className="card__label">{label}</div>
      <div className="card__value">{value}</div>
      {sub !== undefined ? <div className="card__sub">{sub}</div> : null}
    </div>
  );
}

export function HealthBadge({ health }: { health: string }) {
  return <span className={`badge badge--${health}`}>{health}</span>;
}

export function UpBadge({ up }: { up: boolean }) {
  return <span className={`badge badge--${up ? 'healthy' : 'lost'}`}>{up ? 'up' : 'down'}</span>;
}

export function Spinner({ label = 'Loading' }: { label?: string }) {
  return (
    <span className="spinner" role="status" aria-label={label}>
      <span aria-hidden="true" />
    </span>
  );
}

export interface ConfirmRequest {
  title: string;
  body: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  action: () => Promise<void>;
}

/** A modal confirmation that runs the action itself, so its error shows in the dialog. */
export function ConfirmDialog({ request, onClose }: { request: ConfirmRequest | undefined; onClose: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    setBusy(false);
    setError(undefined);
  }, [request]);
  if (!request) return null;
  const go = async (): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      await request.action();
      onClose();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <Modal title={request.title} busy={busy} onClose={onClose} testId="confirm-dialog">
      <div className="modal__body">{request.body}</div>
      <ErrorLine error={error} wrap />
      <div className="modal__actions">
        <button type="button" className="btn" onClick={onClose} disabled={busy}>
          Cancel
        </button>
        <button data-autofocus type="button" className={`btn ${request.danger ? 'btn--danger' : 'btn--primary'}`} onClick={() => void go()} disabled={busy} data-testid="confirm-button">
          {busy ? 'Working…' : request.confirmLabel}
        </button>
      </div>
    </Modal>
  );
}

/** Re-renders every `ms` (for "retrying in 3s" countdowns). */
export function useTicker(ms: number, active: boolean): void {
  const [, set] = useState(0);
  useEffect(() => {
    if (!active) return;
    const t = setInterval(() => set((n) => n + 1), ms);
    return () => clearInterval(t);
  }, [ms, active]);
}

export function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

export function useOnline(): boolean {
  const [online, setOnline] = useState(isOnline());
  useEffect(() => {
    setOnline(isOnline());
    return onConnectivity(setOnline);
  }, []);
  return online;
}
