// The roles `dcs serve` runs, in a module light enough for the CLI to load at start-up.
export const ROLES = ['all', 'orchestrator', 'chunker', 'compressor', 'storage'] as const;
export type Role = (typeof ROLES)[number];
