// The real PostgreSQL and S3 store (Ceph RGW) the scale-out tests run against, named by
//   CAIRN_TEST_POSTGRES=postgres://postgres@127.0.0.1:55432/postgres
//   CAIRN_TEST_S3='s3://any-bucket?endpoint=http://127.0.0.1:7480&region=us-east-1&forcePathStyle=true'
// with the keys in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (.ci/run starts both services
// with scripts/services/ and exports these). Without them the tests are skipped with a message
// on a developer's machine, and fail under CI=true.
//
// Each harness gets its own schema and bucket (bench/scaleOutBackend.ts), removed when it is
// destroyed, so tests run in parallel on one database and one store.

import { describe, it } from 'vitest';
import { backendFlags, destroyScaleOutTarget, freshScaleOutTarget as freshTarget } from '../../bench/scaleOutBackend.js';
import type { Stores } from '../../src-server/storage/stores.js';
import { openScaleOutStores } from '../../src-server/storage/scaleOutStores.js';
import type { ScaleOutTarget } from '../../src-server/storage/scaleOutStores.js';
import { ON_CI } from './ci.js';

const POSTGRES_URL = process.env.CAIRN_TEST_POSTGRES;
const S3_URL = process.env.CAIRN_TEST_S3;

export const SCALE_OUT_AVAILABLE =
  POSTGRES_URL !== undefined && POSTGRES_URL !== '' && S3_URL !== undefined && S3_URL !== '' && process.env.AWS_ACCESS_KEY_ID !== undefined;

const MISSING = 'set CAIRN_TEST_POSTGRES, CAIRN_TEST_S3, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (scripts/services/ starts both; see .ci/run)';

/**
 * describe() for tests against the real services: skipped with a warning without them, and a
 * failing test in their place under CI.
 */
export function describeScaleOut(name: string, body: () => void): void {
  if (SCALE_OUT_AVAILABLE) {
    describe(name, body);
    return;
  }
  if (ON_CI) {
    describe(name, () => {
      it('needs PostgreSQL and an S3 store', () => {
        throw new Error(`CI must run the scale-out tests: ${MISSING}`);
      });
    });
    return;
  }
  console.warn(`${name}: skipped: ${MISSING}`);
  describe.skip(name, body);
}

/** A fresh schema and bucket on the test services. */
export function freshScaleOutTarget(): ScaleOutTarget {
  return freshTarget(POSTGRES_URL!, S3_URL!);
}

export { backendFlags, destroyScaleOutTarget };

export interface ScaleOutHarness {
  readonly target: ScaleOutTarget;
  open(options?: { listen?: boolean }): Promise<Stores>;
  destroy(): Promise<void>;
}

/** A harness for the storage conformance suite and other store tests. */
export async function createScaleOutHarness(): Promise<ScaleOutHarness> {
  const target = freshScaleOutTarget();
  return {
    target,
    open: (options = {}) => openScaleOutStores(target, { listen: options.listen ?? false }),
    destroy: () => destroyScaleOutTarget(target),
  };
}
