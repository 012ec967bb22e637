// Main's side of the engine host: starts it (through an injected spawn, Electron's utilityProcess
// in the app), restarts it with backoff when it dies (Supervisor), and turns the message channel
// into a SyncApiTransport, so that main holds a checked SyncApi (createSyncApi) whatever process
// the engine runs in.
//
// Main speaks to the host over messages rather than over the host's HTTP control API: one
// ordered channel carries calls, answers, events and the host's own requests (the keychain, the
// file manager), which must reach main anyway; there is no token to hand over or leak, no port
// to find, and a dead host is noticed at once from its exit instead of a connection timeout.
// The control API still runs in the host, for the CLI.

import type { OperationName, SyncApiTransport, SyncEvent, Unsubscribe } from '../../shared/api/index.js';
import { SyncApiError, apiErrorFromBody } from '../../shared/api/index.js';
import type { BridgeEnvelope } from '../../shared/api/index.js';
import { hostToMainSchema } from './hostProtocol.js';
import type { DecryptedSecret, HostRequestMethod, HostToMainMessage, MainToHostMessage } from './hostProtocol.js';
import { Supervisor, systemClock } from './supervisor.js';
import type { BackoffPolicy, Clock, SupervisedChild, SupervisorState } from './supervisor.js';

/** A started host process, as main sees it. */
export interface HostProcess {
  post(message: MainToHostMessage): void;
  onMessage(listener: (message: unknown) => void): void;
  /** Called once when the process has exited (code null when a signal ended it). */
  onExit(listener: (code: number | null) => void): void;
  /** Ends the process at once. */
  kill(): void;
}

/** What main does for the host: what only Electron's main process can. */
export interface HostServices {
  encrypt(plain: string): Promise<string>;
  decrypt(cipherText: string): Promise<DecryptedSecret>;
  openPath(absolutePath: string): Promise<void>;
  log(line: string): void;
}

/** What the engine is doing, for the tray and the log. */
export type EngineHealth =
  | { readonly kind: 'starting' }
  | { readonly kind: 'running' }
  /** The host died (or could not start) and starts again at retryAt. */
  | { readonly kind: 'restarting'; readonly retryAt: number; readonly reason: string }
  | { readonly kind: 'stopped' };

export interface EngineClientOptions {
  readonly spawn: () => HostProcess;
  readonly services: HostServices;
  readonly backoff?: BackoffPolicy;
  readonly clock?: Clock;
  /** How long a call waits for a host that is starting before failing with 'unavailable'. Default 20 s. */
  readonly readyTimeoutMs?: number;
  /** How long a stopping host may take before it is killed. Default 15 s. */
  readonly stopTimeoutMs?: number;
}

export interface EngineClient {
  readonly transport: SyncApiTransport;
  readonly health: EngineHealth;
  onHealthChanged(listener: (health: EngineHealth) => void): Unsubscribe;
  start(): void;
  /** Stops the engine cleanly (it finishes writing what it writes) and does not restart it. */
  stop(): Promise<void>;
}

/** One host process: its pending calls, and its readiness. */
class HostConnection implements SupervisedChild {
  ready = false;
  private nextCallId = 1;
  private readonly calls = new Map<number, { readonly name: OperationName; resolve(envelope: BridgeEnvelope): void; reject(error: Error): void }>();
  private readonly exitListeners: ((reason: string) => void)[] = [];
  private exitReason: string | null = null;
  private failure: string | null = null;
  private readonly exited: Promise<void>;
  private markExited: () => void = () => undefined;

  constructor(
    private readonly process: HostProcess,
    private readonly services: HostServices,
    private readonly stopTimeoutMs: number,
    private readonly hooks: { onReady(connection: HostConnection): void; onEvent(event: unknown): void },
  ) {
    this.exited = new Promise<void>((resolve) => (this.markExited = resolve));
    process.onMessage((raw) => this.receive(raw));
    process.onExit((code) => {
      const reason = this.failure ?? `the sync engine stopped unexpectedly (${code === null ? 'killed by a signal' : `exit code ${code}`})`;
      this.ready = false;
      for (const call of this.calls.values()) {
        call.reject(new SyncApiError('unavailable', `the sync engine stopped before it answered ${call.name}; check whether it was done before trying again`));
      }
      this.calls.clear();
      this.exitReason = reason;
      this.markExited();
      for (const listener of this.exitListeners) listener(reason);
    });
  }

  onExit(listener: (reason: string) => void): void {
    if (this.exitReason !== null) listener(this.exitReason);
    else this.exitListeners.push(listener);
  }

  call(name: OperationName, request: unknown): Promise<BridgeEnvelope> {
    return new Promise((resolve, reject) => {
      const id = this.nextCallId++;
      this.calls.set(id, { name, resolve, reject });
      this.process.post({ type: 'call', id, name, request });
    });
  }

  async stop(): Promise<void> {
    if (this.exitReason !== null) return;
    this.ready = false;
    this.process.post({ type: 'stop' });
    if (await this.exitedWithin(this.stopTimeoutMs)) return;
    this.services.log(`the sync engine did not stop within ${this.stopTimeoutMs} ms; ending it`);
    this.process.kill();
    await this.exited;
  }

  private async exitedWithin(ms: number): Promise<boolean> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
    try {
      return await Promise.race([this.exited.then(() => true), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private receive(raw: unknown): void {
    const parsed = hostToMainSchema.safeParse(raw);
    if (!parsed.success) {
      this.services.log(`ignored a message from the engine host that is not one of ours: ${parsed.error.message}`);
      return;
    }
    const message: HostToMainMessage = parsed.data;
    switch (message.type) {
      case 'ready':
        this.ready = true;
        this.hooks.onReady(this);
        return;
      case 'failed':
        this.failure =
          message.reason === 'profile-locked' ? `${message.message}; Cairn starts syncing once it stops` : `the sync engine could not start: ${message.message}`;
        return;
      case 'answer': {
        const call = this.calls.get(message.id);
        if (call === undefined) return;
        this.calls.delete(message.id);
        call.resolve(message.envelope);
        return;
      }
      case 'event':
        this.hooks.onEvent(message.event);
        return;
      case 'request':
        void this.serve(message.id, message.method, message.argument);
        return;
      case 'log':
        this.services.log(message.line);
        return;
      case 'stopped':
        return;
      default:
        message satisfies never;
    }
  }

  private async serve(id: number, method: HostRequestMethod, argument: string): Promise<void> {
    try {
      let value: unknown;
      switch (method) {
        case 'encrypt':
          value = await this.services.encrypt(argument);
          break;
        case 'decrypt':
          value = await this.services.decrypt(argument);
          break;
        case 'openPath':
          await this.services.openPath(argument);
          value = null;
          break;
        default:
          method satisfies never;
      }
      if (this.exitReason === null) this.process.post({ type: 'reply', id, ok: true, value });
    } catch (error) {
      if (this.exitReason === null) this.process.post({ type: 'reply', id, ok: false, message: (error as Error)?.message ?? String(error) });
    }
  }
}

export function createEngineClient(options: EngineClientOptions): EngineClient {
  const clock = options.clock ?? systemClock;
  const readyTimeoutMs = options.readyTimeoutMs ?? 20_000;
  const stopTimeoutMs = options.stopTimeoutMs ?? 15_000;
  const eventListeners = new Set<{ readonly listener: (event: unknown) => void }>();
  const healthListeners = new Set<{ readonly listener: (health: EngineHealth) => void }>();
  const readyWaiters = new Set<(connection: HostConnection | null) => void>();
  let current: HostConnection | null = null;
  let health: EngineHealth = { kind: 'starting' };
  let everReady = false;
  let stopped = false;

  const emit = (event: unknown) => {
    for (const { listener } of [...eventListeners]) listener(event);
  };
  const setHealth = (next: EngineHealth) => {
    health = next;
    for (const { listener } of [...healthListeners]) listener(next);
  };

  const supervisor = new Supervisor({
    ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
    clock,
    launch: () => {
      const connection = new HostConnection(options.spawn(), options.services, stopTimeoutMs, {
        onReady: (ready) => {
          if (ready !== current) return;
          // A restored engine: tell the UI the stream is back; the host's statusChanged follows.
          if (everReady) emit({ kind: 'connectionChanged', connected: true } satisfies SyncEvent);
          everReady = true;
          setHealth({ kind: 'running' });
          for (const waiter of [...readyWaiters]) waiter(ready);
          readyWaiters.clear();
        },
        onEvent: (event) => emit(event),
      });
      current = connection;
      connection.onExit(() => {
        if (current !== connection) return;
        current = null;
        if (everReady && !stopped) emit({ kind: 'connectionChanged', connected: false } satisfies SyncEvent);
      });
      return connection;
    },
    onStateChanged: (state: SupervisorState) => {
      switch (state.kind) {
        case 'running':
          setHealth({ kind: 'starting' });
          return;
        case 'waiting':
          options.services.log(`${state.reason}; restarting it in ${Math.round((state.retryAt - clock.now()) / 1000)} s`);
          setHealth({ kind: 'restarting', retryAt: state.retryAt, reason: state.reason });
          return;
        case 'stopped':
          setHealth({ kind: 'stopped' });
          return;
        case 'idle':
          return;
        default:
          state satisfies never;
      }
    },
  });

  const readyConnection = (): Promise<HostConnection> => {
    if (current?.ready) return Promise.resolve(current);
    if (stopped) return Promise.reject(new SyncApiError('unavailable', 'Cairn is quitting'));
    return new Promise((resolve, reject) => {
      const timer = clock.setTimeout(() => {
        readyWaiters.delete(waiter);
        const why = health.kind === 'restarting' ? `: ${health.reason}` : '';
        reject(new SyncApiError('unavailable', `the sync engine is not running${why}`));
      }, readyTimeoutMs);
      const waiter = (connection: HostConnection | null) => {
        clock.clearTimeout(timer);
        if (connection === null) reject(new SyncApiError('unavailable', 'Cairn is quitting'));
        else resolve(connection);
      };
      readyWaiters.add(waiter);
    });
  };

  const transport: SyncApiTransport = {
    async call(name: OperationName, request: unknown): Promise<unknown> {
      const connection = await readyConnection();
      const envelope = await connection.call(name, request);
      if (envelope.ok) return envelope.value;
      throw apiErrorFromBody({ error: envelope.error }, null);
    },
    subscribe(listener: (event: unknown) => void): Unsubscribe {
      const subscription = { listener };
      eventListeners.add(subscription);
      return () => void eventListeners.delete(subscription);
    },
  };

  return {
    transport,
    get health() {
      return health;
    },
    onHealthChanged(listener) {
      const subscription = { listener };
      healthListeners.add(subscription);
      return () => void healthListeners.delete(subscription);
    },
    start: () => supervisor.start(),
    async stop() {
      stopped = true;
      for (const waiter of [...readyWaiters]) waiter(null);
      readyWaiters.clear();
      await supervisor.stop();
    },
  };
}
