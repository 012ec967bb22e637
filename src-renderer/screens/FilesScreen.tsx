// The library's files, folder by folder: each row's name, size, time (to the second) and its
// state on this computer, with breadcrumbs to the folders above. A folder of thousands of
// entries is shown one page at a time (the service pages it too), never all rows at once.
// Rows open the file with the OS's app, show it in its folder, or lead to its history; deleted
// files are in the library's trash (its settings).

import { useCallback, useEffect, useState } from 'react';
import { FILE_PAGE_SIZE } from '../../shared/api/index.js';
import type { FileListing, FileRow, FileState, FolderPath, SyncApiError } from '../../shared/api/index.js';
import type { LibraryPath } from '../../shared/paths.js';
import { escapeControlCharacters } from '../../shared/displayText.js';
import { parentPath } from '../../shared/paths.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { Icon } from '../components/Icon.js';
import { ScreenHeading } from '../components/ScreenHeading.js';
import { useApiAction } from '../components/useApiAction.js';
import { useI18n } from '../i18n/I18nContext.js';
import type { MessageKey } from '../i18n/en.js';
import { toApiError } from '../state/errorText.js';
import { useSyncService } from '../state/SyncServiceContext.js';

/** How each state is shown: its tag's classes and its words. */
const STATE_TAGS: Readonly<Record<FileState, { readonly className: string; readonly label: MessageKey }>> = {
  synced: { className: 'tag tag-ok', label: 'files.state.synced' },
  upload: { className: 'tag tag-pending', label: 'files.state.upload' },
  download: { className: 'tag tag-pending', label: 'files.state.download' },
  'not-synced': { className: 'tag', label: 'files.state.not-synced' },
  ignored: { className: 'tag', label: 'files.state.ignored' },
  problem: { className: 'tag tag-remove', label: 'files.state.problem' },
};

export function FilesScreen({
  libraryId,
  path,
  onFolder,
  onHistory,
  onTrash,
  onBack,
}: {
  readonly libraryId: string;
  readonly path: FolderPath;
  readonly onFolder: (path: FolderPath) => void;
  readonly onHistory: (path: LibraryPath) => void;
  readonly onTrash: () => void;
  readonly onBack: () => void;
}) {
  const { api, state } = useSyncService();
  const i18n = useI18n();
  const { t } = i18n;
  const library = state.status?.libraries.find((candidate) => candidate.libraryId === libraryId);
  const libraryName = library?.name ?? '';
  // The cursors of the pages before the one shown (paging back), and the one shown.
  const [cursors, setCursors] = useState<readonly (string | undefined)[]>([undefined]);
  const [listing, setListing] = useState<FileListing | null>(null);
  const [loadError, setLoadError] = useState<SyncApiError | null>(null);
  const action = useApiAction();
  const cursor = cursors.at(-1);
  // A finished round (or a change of state) reads the page again: its rows' states change.
  const refresh = `${library?.lastSyncAt ?? ''}:${library?.state.kind ?? ''}`;

  const load = useCallback(() => {
    let live = true;
    setLoadError(null);
    api.listFiles({ libraryId, path, ...(cursor === undefined ? {} : { cursor }) }).then(
      (answer) => live && setListing(answer),
      (error: unknown) => live && setLoadError(toApiError(error)),
    );
    return () => {
      live = false;
    };
  }, [api, libraryId, path, cursor]);
  useEffect(load, [load, refresh]);
  // Another page starts at the top of the screen, not where the pager was.
  useEffect(() => {
    window.scrollTo({ top: 0 });
  }, [cursor]);

  const open = (row: FileRow) => void action.run(async () => void (await api.openFile({ libraryId, path: row.path })));
  const reveal = (row: FileRow) => {
    const folder = parentPath(row.path);
    return void action.run(async () => void (await api.openFolder({ libraryId, ...(folder === '' ? {} : { path: folder }) })));
  };

  const segments = path === '' ? [] : path.split('/');
  // Every page but the last holds FILE_PAGE_SIZE rows.
  const shownFrom = (cursors.length - 1) * FILE_PAGE_SIZE + 1;

  return (
    <section className="screen" data-testid="files-screen">
      <ScreenHeading
        subtitle={<span className="mono">{library?.localRoot ?? ''}</span>}
        actions={
          <>
            <button type="button" className="button button-quiet" onClick={onTrash}>
              {t('files.trash')}
            </button>
            <button type="button" className="button button-quiet" onClick={onBack}>
              <Icon name="back" />
              {t('common.back')}
            </button>
          </>
        }
      >
        {t('files.title', { name: libraryName })}
      </ScreenHeading>
      <p className="muted history-intro">{t('files.intro')}</p>
      <nav className="breadcrumbs" aria-label={t('files.breadcrumbs')} data-testid="files-breadcrumbs">
        <ol>
          <li>
            {segments.length === 0 ? (
              <span aria-current="page">{libraryName}</span>
            ) : (
              <button type="button" className="link-button" onClick={() => onFolder('')}>
                {libraryName}
              </button>
            )}
          </li>
          {segments.map((segment, position) => {
            const target = segments.slice(0, position + 1).join('/') as LibraryPath;
            return (
              <li key={target}>
                <span className="breadcrumb-separator" aria-hidden="true">
                  /
                </span>
                {position === segments.length - 1 ? (
                  <span aria-current="page">{escapeControlCharacters(segment)}</span>
                ) : (
                  <button type="button" className="link-button" onClick={() => onFolder(target)}>
                    {escapeControlCharacters(segment)}
                  </button>
                )}
              </li>
            );
          })}
        </ol>
      </nav>
      {loadError === null ? null : <ErrorNotice error={loadError} />}
      {action.error === null ? null : <ErrorNotice error={action.error} />}
      {listing === null && loadError === null ? <p className="muted">{t('common.loading')}</p> : null}
      {listing !== null && listing.total === 0 ? (
        <div className="empty">
          <p className="empty-title">{t('files.empty')}</p>
        </div>
      ) : null}
      {listing === null || listing.rows.length === 0 ? null : (
        <div className="card files-card">
          <table className="files-table" aria-label={t('files.listLabel', { path: path === '' ? libraryName : path })}>
            <thead>
              <tr>
                <th scope="col">{t('files.columnName')}</th>
                <th scope="col" className="files-number">
                  {t('files.columnSize')}
                </th>
                <th scope="col">{t('files.columnModified')}</th>
                <th scope="col">{t('files.columnState')}</th>
                <th scope="col">
                  <span className="visually-hidden">{t('files.columnActions')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {listing.rows.map((row) => (
                <tr key={`${row.kind}/${row.name}`} data-testid="file-row" data-path={row.path} data-kind={row.kind} data-state={row.state}>
                  <td className="files-name">
                    {row.kind === 'dir' ? (
                      <button type="button" className="link-button files-folder" aria-label={t('files.openFolderOf', { path: row.path })} onClick={() => onFolder(row.path)}>
                        <Icon name="folder" />
                        {escapeControlCharacters(row.name)}
                      </button>
                    ) : (
                      <span className="files-file">{escapeControlCharacters(row.name)}</span>
                    )}
                  </td>
                  <td className="files-number">{row.size === null ? t('files.noValue') : i18n.bytes(row.size)}</td>
                  <td className="files-time">
                    {row.modifiedAt === null ? (
                      t('files.noValue')
                    ) : (
                      <time dateTime={new Date(row.modifiedAt).toISOString()}>{i18n.exactTime(row.modifiedAt)}</time>
                    )}
                  </td>
                  <td>
                    <span className={STATE_TAGS[row.state].className} data-testid="file-state">
                      {t(STATE_TAGS[row.state].label)}
                    </span>
                  </td>
                  <td className="files-actions">
                    {row.onDisk && row.kind === 'file' ? (
                      <button type="button" className="button button-small" disabled={action.busy} aria-label={t('files.openFileOf', { path: row.path })} onClick={() => open(row)}>
                        {t('files.openFile')}
                      </button>
                    ) : null}
                    {row.onDisk ? (
                      <button type="button" className="button button-small button-quiet" disabled={action.busy} aria-label={t('files.showInFolderOf', { path: row.path })} onClick={() => reveal(row)}>
                        {t('files.showInFolder')}
                      </button>
                    ) : null}
                    <button type="button" className="button button-small button-quiet" aria-label={t('history.openOf', { path: row.path })} onClick={() => onHistory(row.path)}>
                      {t('history.open')}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {listing === null || (cursors.length === 1 && listing.nextCursor === null) ? null : (
        <div className="files-pager" data-testid="files-pager">
          <button type="button" className="button button-small" disabled={cursors.length === 1} onClick={() => setCursors(cursors.slice(0, -1))}>
            {t('files.previous')}
          </button>
          <span className="muted" data-testid="files-range">
            {t('files.range', { from: i18n.count(shownFrom), to: i18n.count(shownFrom + listing.rows.length - 1), total: i18n.count(listing.total) })}
          </span>
          <button
            type="button"
            className="button button-small"
            disabled={listing.nextCursor === null}
            onClick={() => listing.nextCursor !== null && setCursors([...cursors, listing.nextCursor])}
          >
            {t('files.next')}
          </button>
        </div>
      )}
    </section>
  );
}
