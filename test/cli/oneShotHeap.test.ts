// The V8 settings of a one-shot `cairn` command (src-main/cli/oneShotHeap.ts): which flags are
// set and put back when, and that this Node's V8 knows them and honours them set at run time
// (checked in child processes, whose flags this test may change).

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main } from '../../src-main/cli/main.js';
import { LARGE_TRANSFER, ONE_SHOT_V8_FLAGS, startOneShotHeap } from '../../src-main/cli/oneShotHeap.js';
import { runProcess } from '../support/runProcess.js';

const repository = path.resolve(import.meta.dirname, '../..');
const source = pathToFileURL(path.join(repository, 'src-main/cli/oneShotHeap.ts')).href;
/** The settings apply under Node 20's V8 only (elsewhere they set nothing, tested below). */
const measuredV8 = Number.parseInt(process.versions.v8, 10) === 11;

describe('the one-shot heap settings', () => {
  it('sets the frugal flags, gives the young generation its growth back once, and the daemon every default', () => {
    const set: string[] = [];
    const heap = startOneShotHeap((flag) => set.push(flag), '11.3.244.8-node.38');
    expect(set).toEqual(['--semi-space-growth-factor=1', '--wasm-tiering-budget=1800000000']);
    heap.endFrugalYoungGeneration();
    heap.endFrugalYoungGeneration();
    expect(set.slice(2)).toEqual(['--semi-space-growth-factor=2']);
    heap.restoreDefaults();
    heap.restoreDefaults();
    expect(set.slice(3)).toEqual(['--wasm-tiering-budget=1800000']);

    const daemon: string[] = [];
    startOneShotHeap((flag) => daemon.push(flag), '11.3.244.8-node.38').restoreDefaults();
    expect(daemon.slice(2)).toEqual(['--semi-space-growth-factor=2', '--wasm-tiering-budget=1800000']);
  });

  it('sets nothing under another V8 than the one they were measured with (Node 20)', () => {
    const set: string[] = [];
    const heap = startOneShotHeap((flag) => set.push(flag), '12.4.254.21-node.33');
    heap.roundTransfers({ filesTotal: LARGE_TRANSFER.files, bytesTotal: 0 });
    heap.restoreDefaults();
    expect(set).toEqual([]);
  });

  it('gives the young generation its growth back for a round that transfers many files or bytes only', () => {
    const set: string[] = [];
    const heap = startOneShotHeap((flag) => set.push(flag), '11.3.244.8-node.38');
    heap.roundTransfers({ filesTotal: 100, bytesTotal: 1024 * 1024 });
    heap.roundTransfers({ filesTotal: LARGE_TRANSFER.files - 1, bytesTotal: LARGE_TRANSFER.bytes - 1 });
    expect(set).toHaveLength(2);
    heap.roundTransfers({ filesTotal: LARGE_TRANSFER.files, bytesTotal: 0 });
    expect(set.slice(2)).toEqual(['--semi-space-growth-factor=2']);

    const bytes: string[] = [];
    startOneShotHeap((flag) => bytes.push(flag), '11.3.244.8-node.38').roundTransfers({ filesTotal: 1, bytesTotal: LARGE_TRANSFER.bytes });
    expect(bytes.slice(2)).toEqual(['--semi-space-growth-factor=2']);
  });

  it.skipIf(!measuredV8)('names flags this V8 knows, with its defaults as the values put back', async () => {
    const result = await runProcess(process.execPath, ['--v8-options']);
    expect(result.code).toBe(0);
    for (const flag of ONE_SHOT_V8_FLAGS) expect(result.stdout).toContain(flag.split('=')[0]);
    expect(result.stdout).toContain('default: --semi-space-growth-factor=2');
    expect(result.stdout).toContain('default: --wasm-tiering-budget=1800000');
  });

  it.skipIf(!measuredV8)('keeps the young generation at its first size while survivors pile up, set at run time', async () => {
    // Objects that all survive, as a library's loaded state does: with V8's growth the young
    // generation doubles up to its maximum (16 MiB a semi-space); with the one-shot flags it stays.
    const script = (frugal: boolean): string =>
      `${frugal ? `const { startOneShotHeap } = await import(${JSON.stringify(source)}); startOneShotHeap();` : ''}
       const v8 = await import('node:v8');
       const kept = [];
       for (let i = 0; i < 400_000; i++) kept.push({ i, name: 'entry ' + i, list: [i] });
       const young = v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space');
       process.stdout.write(String(young.space_size / 1048576));`;
    const run = (frugal: boolean) => runProcess(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script(frugal)]);
    const [frugal, plain] = await Promise.all([run(true), run(false)]);
    expect(frugal.stderr).toBe('');
    expect(plain.stderr).toBe('');
    expect(Number(frugal.stdout)).toBeLessThanOrEqual(4);
    expect(Number(plain.stdout)).toBeGreaterThanOrEqual(16);
  });

  it.skipIf(!measuredV8)("leaves undici's HTTP parser on the baseline compiler for a command's requests", async () => {
    // V8's optimizing compiler takes ~35 MiB for llhttp's parser once it is hot (after a few
    // requests with V8's default budget), which shows in the peak of V8's own allocations.
    const script = (frugal: boolean): string =>
      `${frugal ? `const { startOneShotHeap } = await import(${JSON.stringify(source)}); startOneShotHeap();` : ''}
       const v8 = await import('node:v8');
       const http = await import('node:http');
       const { request } = await import('undici');
       const server = http.createServer((_, response) => response.end('x'.repeat(1000))).listen(0, '127.0.0.1');
       await new Promise((resolve) => server.on('listening', resolve));
       const url = 'http://127.0.0.1:' + server.address().port + '/';
       for (let i = 0; i < 200; i++) await (await request(url)).body.text();
       // The optimizing compiler works on a thread of its own: wait for it, a while at most.
       const peak = () => v8.getHeapStatistics().peak_malloced_memory / 1048576;
       for (let waited = 0; waited < ${frugal ? 500 : 10_000} && peak() < 16; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
       server.close();
       process.stdout.write(String(peak()));`;
    const run = (frugal: boolean) => runProcess(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script(frugal)], { cwd: repository });
    const [frugal, plain] = await Promise.all([run(true), run(false)]);
    expect(frugal.stderr).toBe('');
    expect(plain.stderr).toBe('');
    expect(Number(plain.stdout)).toBeGreaterThan(16);
    expect(Number(frugal.stdout)).toBeLessThan(16);
  });

  it("is undone by `cairn daemon`, which runs for days with V8's defaults", async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'cairn-one-shot-heap-'));
    const stop = new AbortController();
    const restored: string[] = [];
    try {
      const heap = { roundTransfers: () => restored.push('transfers'), endFrugalYoungGeneration: () => restored.push('young'), restoreDefaults: () => restored.push('all') };
      const code = await main(['--home', home, 'daemon', '--control-port', '0', '--watcher', 'none'], {
        heap,
        stop: stop.signal,
        out: (text) => {
          if (text.startsWith('control:')) stop.abort();
        },
        err: () => undefined,
      });
      expect(code).toBe(0);
      expect(restored).toEqual(['all']);
    } finally {
      stop.abort();
      await rm(home, { recursive: true, force: true });
    }
  });
});
