// Keeps a page's failure inside the page: when a page throws while rendering — most often because
// its lazily loaded code could not be fetched (the server restarting, or an upgrade that removed
// this tab's chunks) — the navigation stays and the page area says what happened, with Retry.
// A failed code load also asks the server whether it now serves a newer build (newer-build.ts).
// The shell keys it by path, so going to another page starts clean.
import { Component, type ReactNode } from 'react';
import { isChunkLoadError } from '../../lazy-page.tsx';
import { checkForNewerBuild } from '../../newer-build.ts';
import { PageFailed } from './PageFailed.tsx';

interface State {
  /** What the page threw; `failed` tells "nothing thrown" apart from a thrown undefined. */
  error: unknown;
  failed: boolean;
}

export class PageBoundary extends Component<{ children: ReactNode }, State> {
  override state: State = { error: undefined, failed: false };

  static getDerivedStateFromError(error: unknown): State {
    return { error, failed: true };
  }

  override componentDidCatch(error: unknown): void {
    if (isChunkLoadError(error)) void checkForNewerBuild();
  }

  override render(): ReactNode {
    if (!this.state.failed) return this.props.children;
    return <PageFailed error={this.state.error} onRetry={() => this.setState({ error: undefined, failed: false })} />;
  }
}
