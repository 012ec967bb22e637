// The backends the sync integration tests run against: the embedded server, and the scale-out
// backend as two server instances on one PostgreSQL schema and one RGW bucket behind a proxy
// that sends each request to the next instance in turn (so every round spans both). The
// scale-out runs are skipped without the services, and fail under CI (see describeScaleOut).

import { afterEach, beforeEach, describe } from 'vitest';
import { describeScaleOut } from '../support/scaleOutServices.js';
import { startHarness } from './harness.js';
import type { Harness } from './harness.js';

export const SYNC_BACKENDS = ['embedded', 'scale-out'] as const;
export type SyncBackend = (typeof SYNC_BACKENDS)[number];

export function describeBackend(backend: SyncBackend, body: () => void): void {
  if (backend === 'embedded') describe('embedded backend', body);
  else describeScaleOut('scale-out backend (two instances, PostgreSQL + RGW)', body);
}

/** The same tests once per backend. */
export function describeEachBackend(body: (backend: SyncBackend) => void): void {
  for (const backend of SYNC_BACKENDS) describeBackend(backend, () => body(backend));
}

/**
 * A fresh harness on `backend` for every test of the enclosing describe, handed to `started`
 * (which may add clients and data) and stopped after the test with everything it started.
 */
export function harnessPerTest(backend: SyncBackend, started: (harness: Harness) => Promise<void> | void): void {
  let current: Harness | undefined;
  beforeEach(async () => {
    current = await startHarness({ backend });
    await started(current);
  });
  afterEach(async () => {
    await current?.stop();
    current = undefined;
  });
}
