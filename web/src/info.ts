// Server facts from GET /api/v1/info, available to every page once the app has booted.
import { createContext, useContext } from 'react';
import type { Info } from './api.ts';

export const InfoContext = createContext<Info | undefined>(undefined);

export function useInfo(): Info {
  const info = useContext(InfoContext);
  if (!info) throw new Error('useInfo outside the app');
  return info;
}
