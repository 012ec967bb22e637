// The selective-sync tree: the library's folders on the server, one level loaded at a time
// (getRemoteFolders), each with its file count and size and a checkbox that can be on, off or
// partly on. What a click does to the selection is decided in state/folderSelection.ts.

import { useCallback, useEffect, useId, useRef, useState } from 'react';
import type { FolderPath, RemoteFolderListing, RemoteFolderView, SyncApiError } from '../../shared/api/index.js';
import type { LibraryPath } from '../../shared/paths.js';
import { useI18n } from '../i18n/I18nContext.js';
import { toApiError } from '../state/errorText.js';
import { checkStateOf, foldersToExpand, selectionTotals, toggleFolder, unsyncedLooseFiles } from '../state/folderSelection.js';
import { useSyncService } from '../state/SyncServiceContext.js';
import { ErrorNotice } from './ErrorNotice.js';
import { Icon } from './Icon.js';
import { TriStateCheckbox } from './TriStateCheckbox.js';
import { shown } from '../i18n/shown.js';

type LoadState = { readonly kind: 'loading' } | { readonly kind: 'failed'; readonly error: SyncApiError };

export function FolderTree({
  libraryId,
  selection,
  onChange,
  label,
  accountId,
}: {
  readonly libraryId: string;
  /** The account whose library it is, for one not synced yet (default: the only signed-in one). */
  readonly accountId?: string | undefined;
  readonly selection: readonly LibraryPath[];
  readonly onChange: (selection: LibraryPath[]) => void;
  readonly label: string;
}) {
  const { api } = useSyncService();
  const { t, tn, bytes } = useI18n();
  const [listings, setListings] = useState<ReadonlyMap<FolderPath, RemoteFolderListing>>(new Map());
  const [loads, setLoads] = useState<ReadonlyMap<FolderPath, LoadState>>(new Map());
  // The folders holding a selected path open at first, so the selection is visible.
  const [expanded, setExpanded] = useState<ReadonlySet<FolderPath>>(() => new Set(foldersToExpand(selection)));
  const requested = useRef(new Set<FolderPath>());
  const idPrefix = useId();

  const load = useCallback(
    async (folder: FolderPath) => {
      requested.current.add(folder);
      setLoads((current) => new Map(current).set(folder, { kind: 'loading' }));
      try {
        const listing = await api.getRemoteFolders({ libraryId, ...(folder === '' ? {} : { path: folder }), ...(accountId === undefined ? {} : { accountId }) });
        setListings((current) => new Map(current).set(folder, listing));
        setLoads((current) => {
          const next = new Map(current);
          next.delete(folder);
          return next;
        });
      } catch (caught) {
        setLoads((current) => new Map(current).set(folder, { kind: 'failed', error: toApiError(caught) }));
      }
    },
    [api, libraryId, accountId],
  );

  useEffect(() => {
    // Expanded folders whose parent is known load their level; the top level always does.
    for (const folder of ['' as const, ...expanded]) {
      if (requested.current.has(folder)) continue;
      void load(folder);
    }
  }, [expanded, load]);

  const toggleExpanded = (folder: LibraryPath) => {
    setExpanded((current) => {
      const next = new Set(current);
      if (next.has(folder)) next.delete(folder);
      else next.add(folder);
      return next;
    });
  };

  const retry = (folder: FolderPath) => {
    requested.current.delete(folder);
    void load(folder);
  };

  const top = listings.get('');
  const topLoad = loads.get('');
  const totals = selectionTotals(selection, listings);
  const loose = unsyncedLooseFiles(selection, listings);

  const renderLevel = (folder: FolderPath, level: number) => {
    const listing = listings.get(folder);
    const state = loads.get(folder);
    if (listing === undefined) {
      if (state?.kind === 'failed') {
        return (
          <div className="tree-message">
            <ErrorNotice error={state.error} />
            <button type="button" className="button button-small" onClick={() => retry(folder)}>
              {t('common.retry')}
            </button>
          </div>
        );
      }
      return <p className="tree-message muted">{t('common.loading')}</p>;
    }
    if (listing.folders.length === 0) return level === 1 ? <p className="tree-message muted">{t('tree.noFolders')}</p> : null;
    return (
      <ul className="tree-level" {...(level === 1 ? { 'aria-label': label } : { role: 'group' })}>
        {listing.folders.map((child) => renderNode(child, level))}
      </ul>
    );
  };

  const renderNode = (folder: RemoteFolderView, level: number) => {
    const open = expanded.has(folder.path);
    const state = checkStateOf(folder.path, selection);
    const checkboxId = `${idPrefix}-${folder.path}`;
    return (
      <li key={folder.path} className="tree-node" data-testid="folder-row" data-path={folder.path}>
        <div className="tree-row">
          {folder.hasSubfolders ? (
            <button
              type="button"
              className={`tree-expander ${open ? 'is-open' : ''}`}
              aria-expanded={open}
              aria-label={t(open ? 'tree.collapse' : 'tree.expand', { name: folder.name })}
              onClick={() => toggleExpanded(folder.path)}
            >
              <Icon name="chevron" />
            </button>
          ) : (
            <span className="tree-expander-space" aria-hidden="true" />
          )}
          <TriStateCheckbox id={checkboxId} state={state} path={folder.path} onToggle={() => onChange(toggleFolder(folder.path, selection, listings))} />
          <label htmlFor={checkboxId} className="tree-name">
            <Icon name="folder" className="tree-folder-icon" />
            {shown(folder.name)}
          </label>
          <span className="tree-meta">
            {tn('count.files', folder.fileCount)} · {bytes(folder.totalBytes)}
          </span>
        </div>
        {open ? renderLevel(folder.path, level + 1) : null}
      </li>
    );
  };

  return (
    <div className="tree" data-testid="folder-tree">
      {top === undefined && topLoad?.kind !== 'failed' ? <p className="tree-message muted">{t('common.loading')}</p> : renderLevel('', 1)}
      {totals === null ? null : (
        <p className="tree-summary" data-testid="selection-summary">
          {selection.length === 0
            ? t('tree.nothingSelected')
            : totals.complete
              ? t('tree.selectedTotals', { files: tn('count.files', totals.fileCount), size: bytes(totals.totalBytes) })
              : tn('tree.selectedItems', selection.length)}
        </p>
      )}
      {selection.length === 0
        ? null
        : loose.map((files) => (
            <p key={files.folder} className="tree-note">
              {files.folder === ''
                ? t('tree.looseFilesTop', { files: tn('count.files', files.fileCount), size: bytes(files.totalBytes) })
                : t('tree.looseFiles', { files: tn('count.files', files.fileCount), size: bytes(files.totalBytes), folder: files.folder })}
            </p>
          ))}
    </div>
  );
}
