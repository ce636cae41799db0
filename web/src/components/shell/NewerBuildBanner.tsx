// The shell's prompt when the server serves a newer build than this tab's (newer-build.ts).
import { useEffect } from 'react';
import { useNewerBuild, watchForNewerBuild } from '../../newer-build.ts';

export function NewerBuildBanner() {
  const newer = useNewerBuild();
  useEffect(() => watchForNewerBuild(), []);
  if (!newer) return null;
  return (
    <div className="banner banner--info" role="status" data-testid="newer-build">
      <span>A newer version of dcs is available.</span>
      <button type="button" className="btn btn--small btn--primary" onClick={() => window.location.reload()}>
        Reload
      </button>
    </div>
  );
}
