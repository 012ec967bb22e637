// The scale-out backend: metadata in PostgreSQL and chunks in S3-compatible object storage,
// shared by any number of stateless server instances. Chosen with
//   --metadata postgres://USER@HOST:PORT/DATABASE --chunks 's3://BUCKET?endpoint=URL&region=R&forcePathStyle=true'
// Secrets never come from the command line: the database password from PGPASSWORD,
// PGPASSWORD_FILE or a password file (PGPASSFILE, ~/.pgpass); the S3 keys from
// AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or files named by the same names + _FILE
// (the form Kubernetes and Docker secrets take).

import { readFileSync } from 'node:fs';
import { PostgresDatabase, parsePostgresUrl } from './postgres/postgresDatabase.js';
import type { PostgresTarget } from './postgres/postgresDatabase.js';
import { PostgresMetadataStore } from './postgres/postgresMetadataStore.js';
import { PostgresNotifier } from './postgres/postgresNotifier.js';
import { collectGarbage } from './scaleOutGarbageCollector.js';
import { S3ChunkStore } from './s3/s3ChunkStore.js';
import { S3Client, parseS3Url } from './s3/s3Client.js';
import type { S3Credentials, S3Target } from './s3/s3Client.js';
import type { Stores } from './stores.js';

export interface ScaleOutTarget {
  readonly postgres: PostgresTarget;
  readonly s3: S3Target;
  readonly credentials: S3Credentials;
}

/** A secret from NAME, or from the file named by NAME_FILE (its trailing newline dropped). */
export function readSecret(environment: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = environment[name];
  if (value !== undefined && value !== '') return value;
  const file = environment[`${name}_FILE`];
  if (file === undefined || file === '') return undefined;
  try {
    return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (error) {
    throw new Error(`cannot read ${name}_FILE ${file}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * The scale-out target from the two flags and the environment; null when neither flag is
 * given (the embedded backend). Throws a message the operator can act on.
 */
export function scaleOutTarget(metadata: string | undefined, chunks: string | undefined, environment: NodeJS.ProcessEnv = process.env): ScaleOutTarget | null {
  if (metadata === undefined && chunks === undefined) return null;
  if (metadata === undefined || chunks === undefined) {
    throw new TypeError('the scale-out backend needs both --metadata postgres://... and --chunks s3://... (the chunk index lives in the database)');
  }
  const postgres = parsePostgresUrl(metadata);
  const password = readSecret(environment, 'PGPASSWORD');
  const s3 = parseS3Url(chunks);
  const accessKeyId = readSecret(environment, 'AWS_ACCESS_KEY_ID');
  const secretAccessKey = readSecret(environment, 'AWS_SECRET_ACCESS_KEY');
  if (accessKeyId === undefined || secretAccessKey === undefined) {
    throw new TypeError('set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_ACCESS_KEY_ID_FILE and AWS_SECRET_ACCESS_KEY_FILE) for the object store');
  }
  return { postgres: password === undefined ? postgres : { ...postgres, password }, s3, credentials: { accessKeyId, secretAccessKey } };
}

export interface ScaleOutOptions {
  /** Listen for other instances' announcements (the server); admin commands do without. */
  readonly listen: boolean;
  readonly log?: (message: string, fields?: Record<string, unknown>) => void;
}

/**
 * Opens the scale-out backend: connects, creates or migrates the schema, creates the bucket if
 * missing, and (for a server) starts listening for announcements.
 */
export async function openScaleOutStores(target: ScaleOutTarget, options: ScaleOutOptions): Promise<Stores> {
  const db = await PostgresDatabase.open(target.postgres);
  const s3 = new S3Client(target.s3, target.credentials);
  try {
    await s3.ensureBucket();
    const metadata = new PostgresMetadataStore(db, { checkLocations: true });
    if (options.listen) {
      // A half-migrated backend would answer clients as if chunks were missing or lost.
      const unfinished = await metadata.unfinishedMigrations();
      if (unfinished.length > 0) {
        throw new Error(`the migration from ${unfinished.join(', ')} is not finished: run cairn-server migrate --from ${unfinished[0]} again before serving`);
      }
    }
    const notifier = options.listen ? await PostgresNotifier.start(db, options.log) : undefined;
    const chunks = new S3ChunkStore(db.share(), s3);
    return {
      metadata,
      chunks,
      ...(notifier === undefined ? {} : { notifier }),
      collectGarbage: (gcOptions) => collectGarbage(db, s3, gcOptions),
      async checkReady() {
        const problems: string[] = [];
        await Promise.all([
          db.query('SELECT 1').catch((error: unknown) => problems.push(`the database ${target.postgres.display} does not answer: ${String(error)}`)),
          s3.probe().catch((error: unknown) => problems.push(`the object store bucket ${target.s3.bucket} does not answer: ${String(error)}`)),
        ]);
        const status = notifier?.status;
        // A few seconds without the listener are a reconnect; longer, and pushes are lost here.
        if (status !== undefined && status.downSince !== null && Date.now() - status.downSince > 5_000) {
          problems.push('the database event listener has been down for more than 5 s');
        }
        return problems;
      },
    };
  } catch (error) {
    await s3.close();
    await db.close();
    throw error;
  }
}
