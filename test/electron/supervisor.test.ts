// The supervisor restarts a child that dies, waiting longer after each quick failure, starting
// over once a child ran for a while, and never after stop().

import { describe, expect, it } from 'vitest';
import { Supervisor, restartDelay } from '../../src-main/electron/supervisor.js';
import type { BackoffPolicy, SupervisedChild, SupervisorState } from '../../src-main/electron/supervisor.js';
import { createFakeClock } from './fakeClock.js';

const POLICY: BackoffPolicy = { initialMs: 1_000, maxMs: 8_000, stableAfterMs: 60_000 };

interface FakeChild extends SupervisedChild {
  exit(reason: string): void;
  readonly stopCalls: number;
}

function fakeChild(): FakeChild {
  let listener: ((reason: string) => void) | null = null;
  let stopCalls = 0;
  return {
    onExit: (next) => void (listener = next),
    async stop() {
      stopCalls += 1;
      listener?.('stopped');
    },
    exit: (reason) => listener?.(reason),
    get stopCalls() {
      return stopCalls;
    },
  };
}

function setUp(options: { failLaunch?: (attempt: number) => boolean } = {}) {
  const clock = createFakeClock();
  const children: FakeChild[] = [];
  const states: SupervisorState[] = [];
  let attempts = 0;
  const supervisor = new Supervisor({
    clock,
    backoff: POLICY,
    launch: () => {
      attempts += 1;
      if (options.failLaunch?.(attempts)) throw new Error('spawn failed');
      const child = fakeChild();
      children.push(child);
      return child;
    },
    onStateChanged: (state) => void states.push(state),
  });
  return { clock, children, states, supervisor, attempts: () => attempts };
}

describe('restartDelay', () => {
  it.each([
    [1, 1_000],
    [2, 2_000],
    [3, 4_000],
    [4, 8_000],
    [5, 8_000],
    [500, 8_000],
  ])('after %i quick failures waits %i ms', (failures, delay) => {
    expect(restartDelay(failures, POLICY)).toBe(delay);
  });
});

describe('Supervisor', () => {
  it('starts one child and reports it running', () => {
    const { supervisor, children, clock } = setUp();
    supervisor.start();
    supervisor.start();
    expect(children).toHaveLength(1);
    expect(supervisor.state).toEqual({ kind: 'running', since: clock.now(), restarts: 0 });
  });

  it('restarts a child that keeps dying with doubling waits', () => {
    const { supervisor, children, clock } = setUp();
    supervisor.start();
    const waits: number[] = [];
    for (let crash = 0; crash < 5; crash += 1) {
      children.at(-1)!.exit(`crash ${crash}`);
      const state = supervisor.state;
      if (state.kind !== 'waiting') throw new Error(`expected waiting, got ${state.kind}`);
      expect(state.reason).toBe(`crash ${crash}`);
      waits.push(state.retryAt - clock.now());
      clock.advance(state.retryAt - clock.now() - 1);
      expect(children).toHaveLength(crash + 1);
      clock.advance(1);
      expect(children).toHaveLength(crash + 2);
    }
    expect(waits).toEqual([1_000, 2_000, 4_000, 8_000, 8_000]);
    expect(supervisor.state).toMatchObject({ kind: 'running', restarts: 5 });
  });

  it('waits the shortest time again after a child that ran long enough', () => {
    const { supervisor, children, clock } = setUp();
    supervisor.start();
    children[0]!.exit('crash');
    clock.advance(1_000);
    children[1]!.exit('crash');
    clock.advance(2_000);
    clock.advance(POLICY.stableAfterMs);
    children[2]!.exit('crash after a long run');
    expect(supervisor.state).toMatchObject({ kind: 'waiting', failures: 1, retryAt: clock.now() + 1_000 });
  });

  it('counts a child that could not be launched as a failure', () => {
    const { supervisor, children, clock, attempts } = setUp({ failLaunch: (attempt) => attempt <= 2 });
    supervisor.start();
    expect(supervisor.state).toMatchObject({ kind: 'waiting', reason: 'it could not be started: spawn failed', failures: 1 });
    clock.advance(1_000);
    expect(supervisor.state).toMatchObject({ kind: 'waiting', failures: 2 });
    clock.advance(2_000);
    expect(attempts()).toBe(3);
    expect(children).toHaveLength(1);
    expect(supervisor.state.kind).toBe('running');
  });

  it('stops the running child and never starts another', async () => {
    const { supervisor, children, clock, states } = setUp();
    supervisor.start();
    await supervisor.stop();
    expect(children[0]!.stopCalls).toBe(1);
    expect(supervisor.state).toEqual({ kind: 'stopped' });
    clock.advance(POLICY.maxMs * 10);
    expect(children).toHaveLength(1);
    expect(states.map((state) => state.kind)).toEqual(['running', 'stopped']);
  });

  it('cancels a pending restart when stopped while waiting', async () => {
    const { supervisor, children, clock } = setUp();
    supervisor.start();
    children[0]!.exit('crash');
    expect(clock.pending).toBe(1);
    await supervisor.stop();
    expect(clock.pending).toBe(0);
    clock.advance(POLICY.maxMs);
    expect(children).toHaveLength(1);
  });

  it('ignores an exit reported twice by the same child', () => {
    const { supervisor, children, clock } = setUp();
    supervisor.start();
    children[0]!.exit('crash');
    children[0]!.exit('crash again');
    clock.advance(1_000);
    expect(children).toHaveLength(2);
    expect(supervisor.state.kind).toBe('running');
  });
});
