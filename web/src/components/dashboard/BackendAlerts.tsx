// The dashboard's loud lines about backends: those down (first, red) and those holding missing or
// corrupt copies (a repair is due).
import type { Stats } from '../../api.ts';

export function BackendAlerts({ backends }: { backends: Stats['perBackend'] }) {
  const down = backends.filter((b) => !b.up);
  const damaged = backends.filter((b) => b.missing > 0 || b.corrupt > 0);
  return (
    <>
      {down.length > 0 ? (
        <div className="banner banner--bad" role="alert" data-testid="backends-down">
          <strong>
            {down.length} backend{down.length > 1 ? 's' : ''} down:
          </strong>{' '}
          {down.map((b) => (b.error ? `${b.backend} (${b.error})` : b.backend)).join(', ')} — chunks with copies only there cannot be read; uploads place
          copies on the backends that answer.
        </div>
      ) : null}
      {damaged.length > 0 ? (
        <div className="banner banner--warn" role="status" data-testid="backends-damaged">
          Missing or corrupt copies on {damaged.map((b) => `${b.backend} (${b.missing} missing, ${b.corrupt} corrupt)`).join(', ')} — run <code>dcs repair</code>.
        </div>
      ) : null}
    </>
  );
}
