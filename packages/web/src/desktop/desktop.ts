import { createContext, useContext } from 'react';
import type { Capabilities, DesktopApi } from './api';

export interface Desktop {
  api: DesktopApi;
  /** What the CRM offers (its OpenAPI paths). */
  caps: Capabilities;
  signOut: () => void;
}

export const DesktopContext = createContext<Desktop | null>(null);

/** The signed-in desktop: its API client and the CRM's capabilities. */
export function useDesktop(): Desktop {
  const desktop = useContext(DesktopContext);
  if (!desktop) throw new Error('useDesktop outside the signed-in desktop');
  return desktop;
}
