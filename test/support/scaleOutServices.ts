// The real PostgreSQL and S3 store (Ceph RGW) the scale-out tests run against, named by
//   CAIRN_TEST_POSTGRES=postgres://postgres@127.0.0.1:55432/postgres
//   CAIRN_TEST_S3='s3://any-bucket?endpoint=http://127.0.0.1:7480&region=us-east-1&forcePathStyle=true'
// with the keys in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (.ci/run starts both services
// with scripts/services/ and exports these). Without them the tests are skipped with a message
// on a developer's machine, and fail under CI=true.
//
// Each harness gets its own schema and bucket, removed when it is destroyed, so tests run in
// parallel on one database and one store.

import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, it } from 'vitest';
import type { Stores } from '../../src-server/storage/stores.js';
import { openScaleOutStores, scaleOutTarget } from '../../src-server/storage/scaleOutStores.js';
import type { ScaleOutTarget } from '../../src-server/storage/scaleOutStores.js';
import { S3Client } from '../../src-server/storage/s3/s3Client.js';
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

/** A fresh schema and bucket; the same target every time it is asked. */
export function freshScaleOutTarget(): ScaleOutTarget {
  const suffix = randomBytes(6).toString('hex');
  const postgres = new URL(POSTGRES_URL!);
  postgres.searchParams.set('schema', `cairn_t_${suffix}`);
  const s3 = new URL(S3_URL!);
  const bucketUrl = `s3://cairn-t-${suffix}${s3.search}`;
  return scaleOutTarget(postgres.toString(), bucketUrl)!;
}

/** The command-line flags naming a target (its schema in the URL). */
export function backendFlags(target: ScaleOutTarget): string[] {
  const postgres = new URL(target.postgres.connectionString);
  if (target.postgres.schema !== null) postgres.searchParams.set('schema', target.postgres.schema);
  const s3 = `s3://${target.s3.bucket}?endpoint=${target.s3.endpoint}&region=${target.s3.region}&forcePathStyle=${target.s3.forcePathStyle}`;
  return ['--metadata', postgres.toString(), '--chunks', s3];
}

/** Drops the target's schema and empties and deletes its bucket. */
export async function destroyScaleOutTarget(target: ScaleOutTarget): Promise<void> {
  const client = new pg.Client({ connectionString: target.postgres.connectionString });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${target.postgres.schema} CASCADE`);
  } finally {
    await client.end();
  }
  const s3 = new S3Client(target.s3, target.credentials);
  try {
    const keys: string[] = [];
    for await (const object of s3.list('')) keys.push(object.key);
    await s3.deleteMany(keys);
    await s3.deleteBucket();
  } catch (error) {
    // A bucket never created (the stores failed to open) has nothing to remove.
    if (!String(error).includes('NoSuchBucket')) throw error;
  } finally {
    await s3.close();
  }
}

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
