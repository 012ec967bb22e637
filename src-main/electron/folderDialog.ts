// The native folder picker of the desktop app: the Add-library screen's "Choose…" button. Only
// the main process opens the OS's dialog, as the answer to chooseFolder from the app's own page
// (ipcHandlers checks the sender and the request first); what the dialog returns is checked
// before it goes back to the page. Plain Node with the dialog injected, so it is tested without
// Electron; main.ts passes Electron's dialog.showOpenDialog bound to the app window.

import path from 'node:path';
import type { OperationRequest, OperationResponse, SyncApiMethods } from '../../shared/api/index.js';
import { SyncApiError, localFolderSchema } from '../../shared/api/index.js';

/** The part of Electron's OpenDialogOptions used here. */
export interface FolderDialogOptions {
  readonly title: string;
  readonly defaultPath?: string;
  readonly properties: readonly ('openDirectory' | 'createDirectory' | 'promptToCreate' | 'dontAddToRecent')[];
}

/** The part of Electron's OpenDialogReturnValue used here. */
export interface FolderDialogResult {
  readonly canceled: boolean;
  readonly filePaths: readonly string[];
}

export type ShowFolderDialog = (options: FolderDialogOptions) => Promise<FolderDialogResult>;

export interface FolderDialogDependencies {
  readonly showOpenDialog: ShowFolderDialog;
  readonly log: (line: string) => void;
}

/**
 * The operations main answers itself for its own window: chooseFolder opens the dialog (one at
 * a time), suggestFolder is the service's suggestion with `nativePicker: true`.
 */
export function folderDialogOperations(
  api: Pick<SyncApiMethods, 'suggestFolder'>,
  dependencies: FolderDialogDependencies,
): Pick<SyncApiMethods, 'chooseFolder' | 'suggestFolder'> {
  let open = false;
  return {
    async suggestFolder(request: OperationRequest<'suggestFolder'>): Promise<OperationResponse<'suggestFolder'>> {
      return { ...(await api.suggestFolder(request)), nativePicker: true };
    },
    async chooseFolder(request: OperationRequest<'chooseFolder'>): Promise<OperationResponse<'chooseFolder'>> {
      if (open) throw new SyncApiError('conflict', 'a folder dialog is open already');
      open = true;
      let result: FolderDialogResult;
      try {
        result = await dependencies.showOpenDialog({
          title: request.title,
          ...(request.startIn === null ? {} : { defaultPath: request.startIn }),
          properties: ['openDirectory', 'createDirectory', 'promptToCreate', 'dontAddToRecent'],
        });
      } finally {
        open = false;
      }
      if (result.canceled || result.filePaths.length === 0) return { path: null };
      const chosen = result.filePaths[0];
      // One absolute folder path is all a page may get back from the dialog.
      if (result.filePaths.length !== 1 || typeof chosen !== 'string' || !path.isAbsolute(chosen) || !localFolderSchema.safeParse(chosen).success) {
        dependencies.log(`the folder dialog returned something unusable: ${JSON.stringify(result.filePaths).slice(0, 300)}`);
        throw new SyncApiError('internal', 'the folder dialog returned something that is not one absolute folder path');
      }
      return { path: path.normalize(chosen) };
    },
  };
}
