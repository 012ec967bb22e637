// The state every button that calls the sync service keeps: whether its call is in flight, and
// the error of the last one. run() clears the error, marks the call busy, and records what it
// threw as a SyncApiError; it resolves with whether the work succeeded.

import { useState } from 'react';
import type { SyncApiError } from '../../shared/api/index.js';
import { toApiError } from '../state/errorText.js';

export interface ApiAction {
  readonly busy: boolean;
  readonly error: SyncApiError | null;
  run(work: () => Promise<void>): Promise<boolean>;
}

export function useApiAction(): ApiAction {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<SyncApiError | null>(null);
  const run = async (work: () => Promise<void>): Promise<boolean> => {
    setBusy(true);
    setError(null);
    try {
      await work();
      return true;
    } catch (caught) {
      setError(toApiError(caught));
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run };
}
