// The preload runs here the way a sandboxed renderer runs it: compiled to CommonJS, wrapped in
// the function Electron wraps preloads in, with a `require` that knows only 'electron'. It must
// expose exactly the CairnBridge, with the channel names of shared/api.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Script, createContext } from 'node:vm';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import { BRIDGE_GLOBAL, OPERATION_NAMES, SYNC_EVENTS_CHANNEL, syncApiChannel } from '../../shared/api/index.js';

const PRELOAD_SOURCE = path.resolve('src-main/electron/preload.cts');

interface LoadedPreload {
  readonly required: string[];
  readonly exposed: Map<string, unknown>;
  readonly invoked: [string, unknown][];
  readonly listeners: Map<string, Set<(...args: unknown[]) => void>>;
}

let compiled: string;

beforeAll(async () => {
  const output = ts.transpileModule(await readFile(PRELOAD_SOURCE, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
    fileName: 'preload.cts',
  });
  compiled = output.outputText;
});

function loadPreload(): LoadedPreload {
  const required: string[] = [];
  const exposed = new Map<string, unknown>();
  const invoked: [string, unknown][] = [];
  const listeners = new Map<string, Set<(...args: unknown[]) => void>>();
  const electron = {
    contextBridge: { exposeInMainWorld: (key: string, api: unknown) => void exposed.set(key, api) },
    ipcRenderer: {
      invoke: async (channel: string, request: unknown) => {
        invoked.push([channel, request]);
        return { ok: true, value: null };
      },
      on: (channel: string, listener: (...args: unknown[]) => void) => {
        if (!listeners.has(channel)) listeners.set(channel, new Set());
        listeners.get(channel)!.add(listener);
      },
      removeListener: (channel: string, listener: (...args: unknown[]) => void) => void listeners.get(channel)?.delete(listener),
    },
  };
  const sandboxRequire = (name: string): unknown => {
    required.push(name);
    if (name === 'electron') return electron;
    throw new Error(`module not found: ${name}`);
  };
  // The wrapper a sandboxed renderer puts around a preload script.
  const wrapper = new Script(`(function (require, process, Buffer, global, setImmediate, clearImmediate, exports, module) {\n${compiled}\n})`);
  const run = wrapper.runInContext(createContext({})) as (...args: unknown[]) => void;
  const exportsObject = {};
  run(sandboxRequire, {}, undefined, {}, undefined, undefined, exportsObject, { exports: exportsObject });
  return { required, exposed, invoked, listeners };
}

interface Bridge {
  invoke(channel: unknown, request: unknown): Promise<unknown>;
  onEvent(listener: (event: unknown) => void): () => void;
}

function bridgeOf(loaded: LoadedPreload): Bridge {
  return loaded.exposed.get(BRIDGE_GLOBAL) as Bridge;
}

describe('the preload', () => {
  it('requires only electron and exposes only the bridge, as window.cairn', () => {
    const loaded = loadPreload();
    expect(loaded.required).toEqual(['electron']);
    expect([...loaded.exposed.keys()]).toEqual([BRIDGE_GLOBAL]);
    expect(Object.keys(bridgeOf(loaded)).sort()).toEqual(['invoke', 'onEvent']);
  });

  it('forwards every operation channel of the contract with its request', async () => {
    const loaded = loadPreload();
    for (const name of OPERATION_NAMES) await bridgeOf(loaded).invoke(syncApiChannel(name), { name });
    expect(loaded.invoked).toEqual(OPERATION_NAMES.map((name) => [syncApiChannel(name), { name }]));
  });

  it.each([
    ['a channel of Electron', 'ELECTRON_BROWSER_WINDOW_CLOSE'],
    ['the events channel', SYNC_EVENTS_CHANNEL],
    ['a near miss', 'cairn:apix:getStatus'],
    ['not a string', 42],
  ])('refuses %s without sending anything', async (_name, channel) => {
    const loaded = loadPreload();
    await expect(bridgeOf(loaded).invoke(channel, {})).rejects.toThrow('not a Cairn API channel');
    expect(loaded.invoked).toEqual([]);
  });

  it('delivers the payloads of the shared events channel, never the IPC event, until unsubscribed', () => {
    const loaded = loadPreload();
    const received: unknown[] = [];
    const unsubscribe = bridgeOf(loaded).onEvent((event) => received.push(event));
    expect([...loaded.listeners.keys()]).toEqual([SYNC_EVENTS_CHANNEL]);
    const [forward] = [...loaded.listeners.get(SYNC_EVENTS_CHANNEL)!];
    const payload = { kind: 'connectionChanged', connected: true };
    forward!({ sender: 'the IPC event' }, payload);
    expect(received).toEqual([payload]);
    unsubscribe();
    unsubscribe();
    expect(loaded.listeners.get(SYNC_EVENTS_CHANNEL)!.size).toBe(0);
  });

  it('refuses a listener that is not a function', () => {
    expect(() => bridgeOf(loadPreload()).onEvent('listener' as unknown as () => void)).toThrow('onEvent takes a function');
  });
});
