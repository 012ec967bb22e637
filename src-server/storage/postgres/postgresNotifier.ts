// Push across server instances: a Notifier on PostgreSQL LISTEN/NOTIFY. Every instance keeps
// one dedicated connection listening on one channel and hands what arrives to its local
// subscribers (long-polls, event streams).
//
// Commits announce themselves inside their own transaction (postgresMetadataStore.ts calls
// pg_notify before COMMIT), so an announcement is delivered exactly when the commit is durable,
// never for a rolled-back one, in commit order, and is not lost if the committing instance dies
// right after COMMIT. publish() therefore ignores commit events. Library events (advisory:
// every stream re-reads its list on them) are sent by publish() after their statement.
//
// NOTIFY has no replay: while the listening connection is down, announcements are lost. After
// it reconnects, the notifier reads every library's head and announces a commit for each head
// that moved since it last heard of it, so waiting clients catch up (a spurious announcement
// only costs the client a feed read). Clients also keep their poll fallback.

import type pg from 'pg';
import { InProcessNotifier } from '../../notifier.js';
import type { Notifier, NotifierEvent, NotifierListener } from '../../notifier.js';
import type { PostgresDatabase } from './postgresDatabase.js';

export const EVENTS_CHANNEL = 'cairn_events';

/** NOTIFY payloads must stay under 8,000 bytes; user ids are split across several above this. */
const USER_IDS_PER_NOTIFICATION = 100;

const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5_000;

type Payload = { readonly k: 'c'; readonly l: string; readonly h: number } | { readonly k: 'l'; readonly l: string; readonly u: readonly string[] };

/** The channel and payload of a commit announcement, as pg_notify's two arguments. */
export function commitNotification(libraryId: string, headSeq: number): [string, string] {
  return [EVENTS_CHANNEL, JSON.stringify({ k: 'c', l: libraryId, h: headSeq } satisfies Payload)];
}

function parsePayload(text: string): NotifierEvent | null {
  try {
    const payload = JSON.parse(text) as Payload;
    if (payload.k === 'c' && typeof payload.l === 'string' && Number.isSafeInteger(payload.h)) {
      return { kind: 'commit', libraryId: payload.l, headSeq: payload.h };
    }
    if (payload.k === 'l' && typeof payload.l === 'string' && Array.isArray(payload.u)) {
      return { kind: 'library', libraryId: payload.l, userIds: payload.u.filter((id): id is string => typeof id === 'string') };
    }
  } catch {
    // Fall through: not ours, or from a newer server; ignored.
  }
  return null;
}

export interface PostgresNotifierStatus {
  /** Whether the LISTEN connection is up. */
  readonly listening: boolean;
  /** Since when it has been down (ms since the epoch), or null while up. */
  readonly downSince: number | null;
}

export class PostgresNotifier implements Notifier {
  private readonly local = new InProcessNotifier();
  /** The last head heard of per library, to find what moved while the listener was down. */
  private readonly heads = new Map<string, number>();
  private client: pg.Client | null = null;
  private stopped = false;
  private listenedBefore = false;
  private downSince: number | null = Date.now();
  private reconnectDelay = RECONNECT_MIN_MS;
  private reconnectTimer: NodeJS.Timeout | null = null;

  private constructor(
    private readonly db: PostgresDatabase,
    private readonly log: (message: string, fields?: Record<string, unknown>) => void,
  ) {}

  /** Starts listening; resolves once the first LISTEN succeeded (so no commit after it is missed). */
  static async start(db: PostgresDatabase, log: (message: string, fields?: Record<string, unknown>) => void = () => {}): Promise<PostgresNotifier> {
    const notifier = new PostgresNotifier(db, log);
    await notifier.connect();
    return notifier;
  }

  get status(): PostgresNotifierStatus {
    return { listening: this.downSince === null, downSince: this.downSince };
  }

  publish(event: NotifierEvent): void {
    switch (event.kind) {
      case 'commit':
        // Announced by the commit's own transaction; see the comment at the top.
        break;
      case 'library':
        void this.notifyLibrary(event).catch((error: unknown) => {
          // Advisory: streams also refresh at their next event, and clients rescan.
          this.log('library announcement failed', { libraryId: event.libraryId, error: String(error) });
        });
        break;
      default:
        throw new Error(`unhandled notifier event: ${JSON.stringify(event satisfies never)}`);
    }
  }

  subscribe(listener: NotifierListener): () => void {
    return this.local.subscribe(listener);
  }

  async close(): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = null;
    if (client !== null) await client.end().catch(() => {});
  }

  private async notifyLibrary(event: Extract<NotifierEvent, { kind: 'library' }>): Promise<void> {
    const groups: string[][] = [];
    for (let start = 0; start < event.userIds.length; start += USER_IDS_PER_NOTIFICATION) {
      groups.push(event.userIds.slice(start, start + USER_IDS_PER_NOTIFICATION));
    }
    for (const userIds of groups) {
      await this.db.query('SELECT pg_notify($1, $2)', [EVENTS_CHANNEL, JSON.stringify({ k: 'l', l: event.libraryId, u: userIds } satisfies Payload)]);
    }
  }

  private deliver(event: NotifierEvent): void {
    if (event.kind === 'commit') {
      const known = this.heads.get(event.libraryId);
      if (known === undefined || event.headSeq > known) this.heads.set(event.libraryId, event.headSeq);
    }
    this.local.publish(event);
  }

  private async connect(): Promise<void> {
    const client = this.db.newClient();
    client.on('notification', (message) => {
      if (message.channel !== EVENTS_CHANNEL || message.payload === undefined) return;
      const event = parsePayload(message.payload);
      if (event !== null) this.deliver(event);
    });
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    await client.connect();
    await client.query(`LISTEN ${EVENTS_CHANNEL}`);
    if (this.stopped) {
      await client.end();
      return;
    }
    this.client = client;
    const reconnected = this.listenedBefore;
    this.listenedBefore = true;
    this.downSince = null;
    this.reconnectDelay = RECONNECT_MIN_MS;
    await this.catchUp(reconnected);
  }

  /**
   * Reads every library's head. After an outage, announces the ones that moved while nothing
   * was heard; at the first start it only records them.
   */
  private async catchUp(announce: boolean): Promise<void> {
    const { rows } = await this.db.query<{ id: string; head_seq: number }>('SELECT id, head_seq FROM libraries');
    for (const row of rows) {
      const known = this.heads.get(row.id);
      if (announce && known !== row.head_seq) this.deliver({ kind: 'commit', libraryId: row.id, headSeq: row.head_seq });
      else if (known === undefined || row.head_seq > known) this.heads.set(row.id, row.head_seq);
    }
    if (announce) this.log('event listener reconnected; announced the heads that moved meanwhile');
  }

  private lost(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = null;
    this.downSince ??= Date.now();
    client.end().catch(() => {});
    if (this.stopped) return;
    this.log('event listener lost its database connection; reconnecting');
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.reconnectTimer !== null) return;
    // Full jitter, doubling up to the maximum: instances do not reconnect in lockstep.
    const delay = Math.random() * this.reconnectDelay;
    this.reconnectDelay = Math.min(RECONNECT_MAX_MS, this.reconnectDelay * 2);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connect().catch((error: unknown) => {
        this.log('event listener could not reconnect yet', { error: String(error) });
        this.scheduleReconnect();
      });
    }, delay);
  }
}
