// The connection to PostgreSQL: the only module that creates `pg` pools and clients. The
// metadata store, the S3 chunk store's index and the notifier all reach the database through
// what it returns.
//
// The URL names host, port, user and database, never the password: a password in a command
// line is visible to every local user (ps). It comes from PGPASSWORD or PGPASSWORD_FILE (see
// scaleOutStores.ts), or from the password file named by PGPASSFILE (~/.pgpass by default),
// which `pg` reads itself. An optional `schema`
// parameter puts every table in that schema (tests use one schema each).

import pg from 'pg';
import type { ClientConfig, PoolClient, PoolConfig } from 'pg';
import { migratePostgres } from './postgresMigrations.js';

const INT8_OID = 20;

/** bigint columns (revs, sizes, times) as numbers; every value Cairn stores fits in 2^53. */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID && format !== 'binary') {
      return (value: string) => {
        const number = Number(value);
        if (!Number.isSafeInteger(number)) throw new Error(`a bigint column holds ${value}, beyond what the server can count exactly`);
        return number;
      };
    }
    return pg.types.getTypeParser(oid, format as 'text');
  },
} as unknown as PoolConfig['types'];

export interface PostgresTarget {
  /** The connection string handed to pg, without the `schema` parameter. */
  readonly connectionString: string;
  /** The schema holding Cairn's tables, or null for the user's default search path. */
  readonly schema: string | null;
  /** host:port/database, for messages and logs (never a secret). */
  readonly display: string;
  /** From PGPASSWORD_FILE; without it pg reads PGPASSWORD or the password file itself. */
  readonly password?: string;
}

const SCHEMA_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

/** Parses a postgres:// URL; throws a message the operator can act on. */
export function parsePostgresUrl(raw: string): PostgresTarget {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TypeError(`--metadata wants a URL like postgres://USER@HOST:5432/DATABASE, not ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new TypeError(`--metadata wants a postgres:// URL, not ${url.protocol}`);
  }
  if (url.password !== '') {
    throw new TypeError('put the database password in PGPASSWORD or a password file (PGPASSFILE), not in the URL: command lines are visible to every local user');
  }
  const schema = url.searchParams.get('schema');
  if (schema !== null && !SCHEMA_PATTERN.test(schema)) throw new TypeError(`schema must be a lowercase SQL identifier, not ${JSON.stringify(schema)}`);
  url.searchParams.delete('schema');
  return {
    connectionString: url.toString(),
    schema,
    display: `${url.hostname}${url.port === '' ? '' : `:${url.port}`}${url.pathname}${schema === null ? '' : ` (schema ${schema})`}`,
  };
}

function clientConfig(target: PostgresTarget): ClientConfig {
  return {
    connectionString: target.connectionString,
    types,
    keepAlive: true,
    keepAliveInitialDelayMillis: 30_000,
    application_name: 'cairn-server',
    // Each statement has a bound, so a stuck query cannot hold a library's commit lock for long.
    statement_timeout: 30_000,
    ...(target.password === undefined ? {} : { password: target.password }),
    // The database checks every 2 s that a long statement's client is still there, so a killed
    // instance's commit is rolled back and its library lock freed at once, not when the
    // statement ends.
    options: `-c client_connection_check_interval=2000${target.schema === null ? '' : ` -c search_path=${target.schema}`}`,
  };
}

/** Most connections one instance opens (plus one for LISTEN); N instances need N x 11 under max_connections. */
const POOL_SIZE = 10;

export class PostgresDatabase {
  /** The stores sharing this pool; it ends when the last one closes. */
  private users = 1;
  private ended: Promise<void> | null = null;

  private constructor(
    readonly target: PostgresTarget,
    readonly pool: pg.Pool,
  ) {}

  /** Connects, creates the schema if named and missing, and applies the migrations. */
  static async open(target: PostgresTarget): Promise<PostgresDatabase> {
    const pool = new pg.Pool({ ...clientConfig(target), max: POOL_SIZE, idleTimeoutMillis: 30_000 });
    // An idle connection that breaks (database restart) must not crash the process: the pool
    // drops it and the next query opens a fresh one.
    pool.on('error', () => {});
    try {
      const client = await pool.connect();
      try {
        if (target.schema !== null) await client.query(`CREATE SCHEMA IF NOT EXISTS ${target.schema}`);
        await migratePostgres(client);
      } finally {
        client.release();
      }
    } catch (error) {
      await pool.end();
      throw error;
    }
    return new PostgresDatabase(target, pool);
  }

  /** A dedicated connection outside the pool (the notifier's LISTEN); the caller ends it. */
  newClient(): pg.Client {
    return new pg.Client(clientConfig(this.target));
  }

  query<Row extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<Row>> {
    return this.pool.query<Row>(text, values);
  }

  /** Runs `work` in one READ COMMITTED transaction, rolled back if it throws. */
  async transaction<Result>(work: (client: PoolClient) => Promise<Result>): Promise<Result> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch {
        // The connection itself failed; it must not return to the pool.
        broken = true;
      }
      throw error;
    } finally {
      client.release(broken);
    }
  }

  /** Another store shares the pool; each share is released by one close(). */
  share(): this {
    if (this.ended !== null) throw new Error('the database connection is closed');
    this.users += 1;
    return this;
  }

  /** Releases one user; the pool ends (after its queries finish) when none is left. */
  async close(): Promise<void> {
    if (this.ended === null) {
      this.users -= 1;
      if (this.users > 0) return;
      this.ended = this.pool.end();
    }
    await this.ended;
  }
}

/** PostgreSQL's SQLSTATE of an error, if it is one. */
export function sqlState(error: unknown): string | undefined {
  return error instanceof pg.DatabaseError ? error.code : undefined;
}
