// The backends the sync integration tests run against: the embedded server, and the scale-out
// backend as two server instances on one PostgreSQL schema and one RGW bucket behind a proxy
// that sends each request to the next instance in turn (so every round spans both). The
// scale-out runs are skipped without the services, and fail under CI (see describeScaleOut).

import { describe } from 'vitest';
import { describeScaleOut } from '../support/scaleOutServices.js';

export const SYNC_BACKENDS = ['embedded', 'scale-out'] as const;
export type SyncBackend = (typeof SYNC_BACKENDS)[number];

export function describeBackend(backend: SyncBackend, body: () => void): void {
  if (backend === 'embedded') describe('embedded backend', body);
  else describeScaleOut('scale-out backend (two instances, PostgreSQL + RGW)', body);
}
