// The dcs web UI. It talks to the server only through the HTTP API (docs/openapi.yaml).
//
// Routing: history routing (the server answers index.html for any non-API GET path without a file
// extension). Routes never collide with /api, /healthz, /readyz or /metrics:
//   /                          upload page
//   /files?prefix=P&q=Q        file browser (folder P, search Q)
//   /file?name=N&version=V     one file: versions, chunk map, copies, access counts
//   /dashboard                 repository statistics and charts
// File and folder names travel in the query string, not the path: a name such as "report.pdf"
// in the path would look like a static asset to the server, and "." / ".." segments get rewritten
// by browsers.
//
// Auth: `#token=…` in the URL (on load, or opened later in the same tab) is stored in
// localStorage, removed from the address bar and exchanged for a session cookie
// (POST /api/v1/session), which lets plain download links work; every API call also sends
// `Authorization: Bearer`. Any 401 shows the login screen, saying why.
//
// Lazily loaded pages (the dashboard) that cannot be fetched fail inside the frame, with Retry;
// a newer build on the server is noticed and offered as a reload (newer-build.ts).
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
