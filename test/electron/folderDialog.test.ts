// The desktop app's folder picker, in main with the dialog injected: only the app's own page
// opens it (through the IPC door's sender check and request schema), the engine never sees
// chooseFolder, what the dialog returns is checked, one dialog at a time, and the suggestion
// says there is a native picker only to the app's window.

import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SyncApiMethods } from '../../shared/api/index.js';
import { bridgeEnvelopeSchema } from '../../shared/api/index.js';
import { folderDialogOperations } from '../../src-main/electron/folderDialog.js';
import type { FolderDialogOptions, FolderDialogResult } from '../../src-main/electron/folderDialog.js';
import { handleSyncApiCall } from '../../src-main/electron/ipcHandlers.js';
import type { IpcSenderEvent, SyncApiHandlersOptions } from '../../src-main/electron/ipcHandlers.js';

const INDEX_URL = 'file:///opt/Cairn/resources/app.asar/dist-renderer/index.html';
const WINDOW_ID = 3;
const APP_PAGE: IpcSenderEvent = { sender: { id: WINDOW_ID }, senderFrame: { url: INDEX_URL, parent: null } };

function setUp(results: FolderDialogResult[]) {
  const shown: FolderDialogOptions[] = [];
  const forwarded: string[] = [];
  const logs: string[] = [];
  const engine: Partial<SyncApiMethods> = {
    suggestFolder: async (request) => {
      forwarded.push('suggestFolder');
      return { path: `/home/alice/Cairn/${request.libraryName}`, nativePicker: false };
    },
    chooseFolder: async () => {
      forwarded.push('chooseFolder');
      return { path: '/never' };
    },
  };
  const local = folderDialogOperations(engine as SyncApiMethods, {
    showOpenDialog: async (options) => {
      shown.push(options);
      const next = results.shift();
      if (next === undefined) throw new Error('no dialog result queued');
      return next;
    },
    log: (line) => void logs.push(line),
  });
  const options: SyncApiHandlersOptions = {
    ipcMain: { handle: () => undefined, removeHandler: () => undefined },
    api: engine as SyncApiMethods,
    local,
    trustedRenderer: () => ({ webContentsId: WINDOW_ID, indexUrl: INDEX_URL }),
    log: (line) => void logs.push(line),
  };
  const call = async (name: 'chooseFolder' | 'suggestFolder', request: unknown, event: IpcSenderEvent = APP_PAGE) =>
    bridgeEnvelopeSchema.parse(await handleSyncApiCall(options, name, event, [request]));
  return { shown, forwarded, logs, local, call };
}

describe('the folder dialog in main', () => {
  it('opens the dialog for the app page and answers the folder chosen, never asking the engine', async () => {
    const { shown, forwarded, call } = setUp([{ canceled: false, filePaths: ['/home/alice/Pictures/'] }]);
    expect(await call('chooseFolder', { title: 'Choose the folder for Photos', startIn: '/home/alice' })).toEqual({ ok: true, value: { path: path.normalize('/home/alice/Pictures/') } });
    expect(shown).toEqual([
      { title: 'Choose the folder for Photos', defaultPath: '/home/alice', properties: ['openDirectory', 'createDirectory', 'promptToCreate', 'dontAddToRecent'] },
    ]);
    expect(forwarded).toEqual([]);
  });

  it('answers null when the dialog is cancelled', async () => {
    const { call } = setUp([{ canceled: true, filePaths: [] }]);
    expect(await call('chooseFolder', { title: 'Choose', startIn: null })).toEqual({ ok: true, value: { path: null } });
  });

  it('refuses other senders and bad requests before any dialog opens', async () => {
    const { shown, call } = setUp([{ canceled: false, filePaths: ['/tmp'] }]);
    const framed = await call('chooseFolder', { title: 'Choose', startIn: null }, { sender: { id: WINDOW_ID }, senderFrame: { url: INDEX_URL, parent: {} } });
    expect(framed).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    const foreign = await call('chooseFolder', { title: 'Choose', startIn: null }, { sender: { id: WINDOW_ID + 1 }, senderFrame: { url: 'https://evil.example/', parent: null } });
    expect(foreign).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await call('chooseFolder', { title: 'Choose', startIn: 'relative/folder' })).toMatchObject({ ok: false, error: { code: 'invalid-argument' } });
    expect(await call('chooseFolder', { title: 'x'.repeat(201), startIn: null })).toMatchObject({ ok: false, error: { code: 'invalid-argument' } });
    expect(await call('chooseFolder', { title: 'Choose', startIn: null, properties: ['openFile'] })).toMatchObject({ ok: false, error: { code: 'invalid-argument' } });
    expect(shown).toEqual([]);
  });

  it.each<[string, FolderDialogResult]>([
    ['a relative path', { canceled: false, filePaths: ['Pictures'] }],
    ['several paths', { canceled: false, filePaths: ['/a', '/b'] }],
    ['a path with NUL', { canceled: false, filePaths: ['/a\u0000b'] }],
    ['something that is not a string', { canceled: false, filePaths: [42 as unknown as string] }],
  ])('does not pass %s from the dialog to the page', async (_name, result) => {
    const { call, logs } = setUp([result]);
    expect(await call('chooseFolder', { title: 'Choose', startIn: null })).toMatchObject({ ok: false, error: { code: 'internal' } });
    expect(logs.join('\n')).toMatch(/unusable/);
  });

  it('opens one dialog at a time', async () => {
    let finish: (result: FolderDialogResult) => void = () => undefined;
    const local = folderDialogOperations({ suggestFolder: async () => ({ path: '/x', nativePicker: false }) }, {
      showOpenDialog: () => new Promise((resolve) => (finish = resolve)),
      log: () => undefined,
    });
    const first = local.chooseFolder({ title: 'Choose', startIn: null });
    await expect(local.chooseFolder({ title: 'Choose', startIn: null })).rejects.toMatchObject({ code: 'conflict' });
    finish({ canceled: false, filePaths: ['/srv/photos'] });
    expect(await first).toEqual({ path: '/srv/photos' });
  });

  it('tells the app page that it has a native picker, with the engine’s suggestion', async () => {
    const { call, forwarded } = setUp([]);
    expect(await call('suggestFolder', { libraryName: 'Photos' })).toEqual({ ok: true, value: { path: '/home/alice/Cairn/Photos', nativePicker: true } });
    expect(forwarded).toEqual(['suggestFolder']);
  });
});
