// One level of a library's folder tree as the selective-sync screen shows it: the subfolders of
// a folder, each with the number and total size of the files anywhere below it, and the files
// directly in the folder. A pure function of the server's live entries (see Engine.remoteSnapshot).

import type { FolderPath, RemoteFolderListing, RemoteFolderView } from '../../shared/api/index.js';
import type { LibraryPath } from '../../shared/paths.js';
import type { Entry } from '../../shared/protocol/index.js';

export function listRemoteFolder(libraryId: string, folder: FolderPath, entries: readonly Pick<Entry, 'path' | 'kind' | 'size' | 'deleted'>[]): RemoteFolderListing {
  const prefix = folder === '' ? '' : `${folder}/`;
  const folders = new Map<string, { fileCount: number; totalBytes: number; hasSubfolders: boolean }>();
  let fileCount = 0;
  let totalBytes = 0;
  for (const entry of entries) {
    if (entry.deleted || !entry.path.startsWith(prefix)) continue;
    const rest = entry.path.slice(prefix.length);
    const slash = rest.indexOf('/');
    const name = slash === -1 ? rest : rest.slice(0, slash);
    if (slash === -1 && entry.kind === 'file') {
      fileCount += 1;
      totalBytes += entry.size;
      continue;
    }
    const summary = folders.get(name) ?? { fileCount: 0, totalBytes: 0, hasSubfolders: false };
    folders.set(name, summary);
    if (slash === -1) continue; // the subfolder's own entry
    if (entry.kind === 'file') {
      summary.fileCount += 1;
      summary.totalBytes += entry.size;
    }
    const deeper = rest.slice(slash + 1);
    if (entry.kind === 'dir' || deeper.includes('/')) summary.hasSubfolders = true;
  }
  const views: RemoteFolderView[] = [...folders.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, summary]) => ({ path: `${prefix}${name}` as LibraryPath, name, ...summary }));
  return { libraryId, path: folder, folders: views, fileCount, totalBytes };
}
