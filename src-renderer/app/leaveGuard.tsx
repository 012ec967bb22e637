// Unsaved changes that leaving a screen would lose. A screen with such changes registers a
// guard; the app asks before it navigates away (sidebar, back buttons) and the browser asks
// before the page is closed or reloaded.

import { createContext, useContext, useEffect, useRef } from 'react';

export interface LeaveGuards {
  /** Sets (or, with null, clears) the guard of `owner`: what is unsaved, as a short phrase. */
  set(owner: string, unsaved: string | null): void;
}

export const LeaveGuardContext = createContext<LeaveGuards | null>(null);

/** While `unsaved` is not null, leaving the screen asks first. */
export function useLeaveGuard(owner: string, unsaved: string | null): void {
  const guards = useContext(LeaveGuardContext);
  const latest = useRef(unsaved);
  latest.current = unsaved;
  useEffect(() => {
    guards?.set(owner, unsaved);
  }, [guards, owner, unsaved]);
  useEffect(() => () => guards?.set(owner, null), [guards, owner]);
  useEffect(() => {
    const warn = (event: BeforeUnloadEvent) => {
      if (latest.current === null) return;
      event.preventDefault();
    };
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, []);
}
