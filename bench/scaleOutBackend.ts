// A throwaway place on a real PostgreSQL and S3 store for the scale-out backend: its own schema
// and its own bucket, removed afterwards. Used by the benchmarks (npm run bench -- --metadata
// URL --chunks URL) and by the tests (test/support/scaleOutServices.ts), so several runs share
// one database and one object store without seeing each other.

import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { S3Client } from '../src-server/storage/s3/s3Client.js';
import { scaleOutTarget } from '../src-server/storage/scaleOutStores.js';
import type { ScaleOutTarget } from '../src-server/storage/scaleOutStores.js';

/**
 * A fresh schema in the database `postgresUrl` names and a fresh bucket beside the one
 * `s3Url` names (same endpoint and options); keys and password from the environment.
 */
export function freshScaleOutTarget(postgresUrl: string, s3Url: string, prefix = 'cairn_t'): ScaleOutTarget {
  const suffix = randomBytes(6).toString('hex');
  const postgres = new URL(postgresUrl);
  postgres.searchParams.set('schema', `${prefix}_${suffix}`);
  const s3 = new URL(s3Url);
  return scaleOutTarget(postgres.toString(), `s3://${prefix.replace(/_/g, '-')}-${suffix}${s3.search}`)!;
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
  const client = new pg.Client({ connectionString: target.postgres.connectionString, ...(target.postgres.password === undefined ? {} : { password: target.postgres.password }) });
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
