// What Cairn did, newest first: uploads, downloads, deletions, moves, conflicts and problems.
// New lines arrive as events; older ones are read a page at a time.

import { useEffect, useState } from 'react';
import { SYNC_API_LIMITS } from '../../shared/api/index.js';
import type { ActivityEntry, SyncApiError } from '../../shared/api/index.js';
import type { LibraryPath } from '../../shared/paths.js';
import { parentPath } from '../../shared/paths.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { useApiAction } from '../components/useApiAction.js';
import type { ApiAction } from '../components/useApiAction.js';
import { ScreenHeading } from '../components/ScreenHeading.js';
import { useNow } from '../components/useNow.js';
import type { MessageKey } from '../i18n/en.js';
import { useI18n } from '../i18n/I18nContext.js';
import type { Translator } from '../i18n/translate.js';
import { toApiError } from '../state/errorText.js';
import { PROBLEM_MESSAGE_KEYS } from './ProblemsScreen.js';
import { useSyncService } from '../state/SyncServiceContext.js';
import { shown } from '../i18n/shown.js';

function unhandled(value: never): never {
  throw new Error(`unhandled activity: ${JSON.stringify(value)}`);
}

/** The verb of an entry, and the tone of its marker. */
export function activityVerb(entry: ActivityEntry): { readonly key: MessageKey; readonly tone: 'up' | 'down' | 'remove' | 'move' | 'attention' } {
  switch (entry.kind) {
    case 'uploaded':
      return { key: 'activity.uploaded', tone: 'up' };
    case 'downloaded':
      return { key: 'activity.downloaded', tone: 'down' };
    case 'deleted':
      return { key: entry.side === 'this-device' ? 'activity.deletedHere' : 'activity.deletedOnServer', tone: 'remove' };
    case 'moved':
      return { key: entry.side === 'this-device' ? 'activity.movedHere' : 'activity.movedOnServer', tone: 'move' };
    case 'conflict-found':
      return { key: 'activity.conflict', tone: 'attention' };
    case 'conflict-merged':
      return { key: 'activity.merged', tone: 'move' };
    case 'problem-found':
      return { key: 'activity.problem', tone: 'attention' };
    case 'kept-edit':
      return { key: 'activity.keptEdit', tone: 'up' };
    case 'unselected':
      return { key: 'activity.unselected', tone: 'remove' };
    default:
      return unhandled(entry);
  }
}

function ActivitySubject({ entry, i18n }: { readonly entry: ActivityEntry; readonly i18n: Translator }) {
  switch (entry.kind) {
    case 'uploaded':
    case 'downloaded':
      return (
        <>
          <span className="activity-path">{shown(entry.path)}</span>
          <span className="activity-extra">{i18n.bytes(entry.size)}</span>
        </>
      );
    case 'deleted':
      return <span className="activity-path">{shown(entry.path)}</span>;
    case 'moved':
      return <span className="activity-path">{i18n.t('activity.fromTo', { from: entry.from, to: entry.to })}</span>;
    case 'conflict-found':
      return (
        <>
          <span className="activity-path">{shown(entry.path)}</span>
          {entry.conflictPath === null ? null : <span className="activity-extra">{i18n.t('activity.conflictCopy', { path: entry.conflictPath })}</span>}
        </>
      );
    case 'conflict-merged':
      return (
        <>
          <span className="activity-path">{shown(entry.path)}</span>
          <span className="activity-extra">{i18n.t('activity.mergedNote')}</span>
        </>
      );
    case 'problem-found': {
      // The sentence in the user's language when the kind is known; older lines keep the service's.
      const key = entry.problemKind === undefined ? null : PROBLEM_MESSAGE_KEYS[entry.problemKind];
      return (
        <>
          <span className="activity-path">{entry.path === '' ? i18n.t('problems.wholeLibrary') : entry.path}</span>
          <span className="activity-extra">{key === null ? entry.message : i18n.t(key, { path: entry.path })}</span>
        </>
      );
    }
    case 'kept-edit':
      return (
        <>
          <span className="activity-path">{shown(entry.path)}</span>
          <span className="activity-extra">{i18n.t('activity.keptEditNote')}</span>
        </>
      );
    case 'unselected':
      return (
        <>
          <span className="activity-path">{shown(entry.path)}</span>
          <span className="activity-extra">{i18n.t('activity.unselectedNote', { files: i18n.tn('count.files', entry.files), bytes: i18n.bytes(entry.bytes) })}</span>
        </>
      );
    default:
      return unhandled(entry);
  }
}

/** The path whose history an entry leads to, or null (a move's new path; nothing for the library as a whole). */
function historyPathOf(entry: ActivityEntry): LibraryPath | null {
  switch (entry.kind) {
    case 'moved':
      return entry.to;
    case 'problem-found':
      return null;
    case 'unselected':
      return null;
    default:
      return entry.path;
  }
}

/** The kinds the filter offers, each covering some entry kinds. */
const KIND_FILTERS = {
  all: null,
  uploads: ['uploaded', 'kept-edit'],
  downloads: ['downloaded'],
  deletions: ['deleted', 'unselected'],
  moves: ['moved'],
  conflicts: ['conflict-found', 'conflict-merged'],
  problems: ['problem-found'],
} as const satisfies Record<string, readonly ActivityEntry['kind'][] | null>;
type KindFilter = keyof typeof KIND_FILTERS;
const KIND_FILTER_NAMES = Object.keys(KIND_FILTERS) as KindFilter[];

/** The text an entry is searched by: its paths and its message. */
function searchTextOf(entry: ActivityEntry): string {
  switch (entry.kind) {
    case 'moved':
      return `${entry.from}\n${entry.to}`;
    case 'conflict-found':
    case 'conflict-merged':
      return `${entry.path}\n${entry.conflictPath ?? ''}`;
    case 'problem-found':
      return `${entry.path}\n${entry.message}`;
    default:
      return entry.path;
  }
}

/** A conflict copy's name, as Cairn makes them: "name (conflict DEVICE YYYY-MM-DD HHMMSS).ext". */
const CONFLICT_COPY_NAME = / \(conflict .+ \d{4}-\d{2}-\d{2} \d{6}\)(\.[^./]*)?$/;

export function isConflictCopy(path: string): boolean {
  return CONFLICT_COPY_NAME.test(path.slice(path.lastIndexOf('/') + 1));
}

export function ActivityScreen({ onHistory }: { readonly onHistory: (libraryId: string, path: LibraryPath) => void }) {
  const { state, loadMoreActivity } = useSyncService();
  const i18n = useI18n();
  const now = useNow();
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<SyncApiError | null>(null);
  const [libraryFilter, setLibraryFilter] = useState('');
  const [kindFilter, setKindFilter] = useState<KindFilter>('all');
  const [text, setText] = useState('');
  const activity = state.activity;
  const kinds: readonly string[] | null = KIND_FILTERS[kindFilter];
  const needle = text.trim().toLowerCase();
  const shown = activity.entries.filter(
    (entry) =>
      (libraryFilter === '' || entry.libraryId === libraryFilter) &&
      (kinds === null || kinds.includes(entry.kind)) &&
      (needle === '' || searchTextOf(entry).toLowerCase().includes(needle)),
  );
  const filtering = libraryFilter !== '' || kinds !== null || needle !== '';
  const libraryNames = new Map<string, string>();
  for (const entry of activity.entries) libraryNames.set(entry.libraryId, entry.libraryName);
  // History is read through a library synced here; entries of a removed library have none.
  const synced = new Set((state.status?.libraries ?? []).map((library) => library.libraryId));
  const onDisk = useLocalPaths(shown.flatMap((entry) => {
    const entryPath = historyPathOf(entry);
    return entryPath === null || !synced.has(entry.libraryId) ? [] : [{ libraryId: entry.libraryId, path: entryPath }];
  }));
  const action = useApiAction();

  const more = async () => {
    setLoading(true);
    setError(null);
    try {
      await loadMoreActivity();
    } catch (caught) {
      setError(toApiError(caught));
    } finally {
      setLoading(false);
    }
  };

  return (
    <section className="screen" data-testid="activity-screen">
      <ScreenHeading subtitle={i18n.t('activity.subtitle')}>{i18n.t('activity.title')}</ScreenHeading>
      {!activity.loaded ? <p className="muted">{i18n.t('common.loading')}</p> : null}
      {activity.loaded && activity.entries.length === 0 ? (
        <div className="empty">
          <p className="empty-title">{i18n.t('activity.emptyTitle')}</p>
          <p className="muted">{i18n.t('activity.emptyText')}</p>
        </div>
      ) : null}
      {activity.entries.length === 0 ? null : (
        <div className="activity-filters" role="search">
          <div className="field">
            <label className="field-label" htmlFor="activity-library">
              {i18n.t('activity.filterLibrary')}
            </label>
            <select id="activity-library" className="select" value={libraryFilter} onChange={(event) => setLibraryFilter(event.target.value)}>
              <option value="">{i18n.t('activity.allLibraries')}</option>
              {[...libraryNames].map(([libraryId, name]) => (
                <option key={libraryId} value={libraryId}>
                  {name}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label className="field-label" htmlFor="activity-kind">
              {i18n.t('activity.filterKind')}
            </label>
            <select id="activity-kind" className="select" value={kindFilter} onChange={(event) => setKindFilter(KIND_FILTER_NAMES.find((name) => name === event.target.value) ?? 'all')}>
              {KIND_FILTER_NAMES.map((name) => (
                <option key={name} value={name}>
                  {i18n.t(`activity.kind.${name}`)}
                </option>
              ))}
            </select>
          </div>
          <div className="field activity-search">
            <label className="field-label" htmlFor="activity-text">
              {i18n.t('activity.filterText')}
            </label>
            <input id="activity-text" className="input" type="search" value={text} onChange={(event) => setText(event.target.value)} />
          </div>
        </div>
      )}
      {filtering && activity.entries.length > 0 ? (
        <p className="muted small" data-testid="activity-filter-note">
          {i18n.t(activity.hasMore ? 'activity.filteredMore' : 'activity.filtered', { shown: i18n.count(shown.length), total: i18n.count(activity.entries.length) })}
        </p>
      ) : null}
      {shown.length === 0 ? null : (
        <ol className="card activity-list" aria-label={i18n.t('activity.title')}>
          {shown.map((entry) => {
            const verb = activityVerb(entry);
            const historyPath = historyPathOf(entry);
            return (
              <li key={entry.activityId} className="activity-item" data-testid="activity-entry" data-kind={entry.kind}>
                <span className={`activity-marker marker-${verb.tone}`} aria-hidden="true" />
                <div className="activity-main">
                  <p className="activity-line">
                    <span className="activity-verb">{i18n.t(verb.key)}</span> <ActivitySubject entry={entry} i18n={i18n} />
                  </p>
                  <p className="activity-meta">
                    <span>{entry.libraryName}</span> · <span>{i18n.timeAgo(entry.at, now)}</span> ·{' '}
                    <time dateTime={new Date(entry.at).toISOString()} data-testid="activity-time">
                      {i18n.exactTime(entry.at)}
                    </time>
                    {(entry.kind === 'uploaded' || entry.kind === 'downloaded') && isConflictCopy(entry.path) ? <span className="tag tag-attention activity-copy">{i18n.t('activity.conflictCopyTag')}</span> : null}
                  </p>
                </div>
                {historyPath === null || !synced.has(entry.libraryId) ? null : (
                  <LocalFileActions libraryId={entry.libraryId} path={historyPath} kind={onDisk.get(localKey(entry.libraryId, historyPath))} action={action} />
                )}
                {historyPath === null || !synced.has(entry.libraryId) ? null : (
                  <button
                    type="button"
                    className="button button-small button-quiet activity-history"
                    aria-label={i18n.t('history.openOf', { path: historyPath })}
                    onClick={() => onHistory(entry.libraryId, historyPath)}
                  >
                    {i18n.t('history.open')}
                  </button>
                )}
              </li>
            );
          })}
        </ol>
      )}
      {error === null ? null : <ErrorNotice error={error} />}
      {action.error === null ? null : <ErrorNotice error={action.error} />}
      {activity.hasMore ? (
        <div className="form-actions form-actions-center">
          <button type="button" className="button" disabled={loading} onClick={() => void more()}>
            {loading ? i18n.t('common.loading') : i18n.t('activity.loadMore')}
          </button>
        </div>
      ) : null}
    </section>
  );
}

function localKey(libraryId: string, libraryPath: LibraryPath): string {
  return `${libraryId}\n${libraryPath}`;
}

/**
 * Which of these paths exist on this computer now (file or folder), asked of the service per
 * library whenever the list shown changes; a path not (yet) known is absent from the map.
 */
function useLocalPaths(wanted: readonly { readonly libraryId: string; readonly path: LibraryPath }[]): ReadonlyMap<string, 'file' | 'dir'> {
  const { api } = useSyncService();
  const [found, setFound] = useState<ReadonlyMap<string, 'file' | 'dir'>>(new Map());
  const signature = wanted.map((item) => localKey(item.libraryId, item.path)).join('\0');
  useEffect(() => {
    let live = true;
    const byLibrary = new Map<string, Set<LibraryPath>>();
    for (const item of wanted) byLibrary.set(item.libraryId, (byLibrary.get(item.libraryId) ?? new Set()).add(item.path));
    void Promise.all(
      [...byLibrary].map(async ([libraryId, paths]) => {
        const list = [...paths].slice(0, SYNC_API_LIMITS.maxActivityPage);
        const answer = await api.checkLocalPaths({ libraryId, paths: list }).catch(() => ({ found: [] }));
        return answer.found.map((item) => [localKey(libraryId, item.path), item.kind] as const);
      }),
    ).then((lists) => {
      if (live) setFound(new Map(lists.flat()));
    });
    return () => {
      live = false;
    };
    // The signature stands for `wanted`, which is a new array on every render.
  }, [api, signature]);
  return found;
}

/** Open and Show in folder for an activity line whose path is on this computer now. */
function LocalFileActions({ libraryId, path, kind, action }: { readonly libraryId: string; readonly path: LibraryPath; readonly kind: 'file' | 'dir' | undefined; readonly action: ApiAction }) {
  const { api } = useSyncService();
  const { t } = useI18n();
  if (kind === undefined) return null;
  const folder = parentPath(path);
  return (
    <span className="activity-local">
      {kind === 'file' ? (
        <button
          type="button"
          className="button button-small"
          disabled={action.busy}
          aria-label={t('files.openFileOf', { path })}
          onClick={() => void action.run(async () => void (await api.openFile({ libraryId, path })))}
        >
          {t('files.openFile')}
        </button>
      ) : null}
      <button
        type="button"
        className="button button-small button-quiet"
        disabled={action.busy}
        aria-label={t('files.showInFolderOf', { path })}
        onClick={() => void action.run(async () => void (await api.openFolder({ libraryId, ...(folder === '' ? {} : { path: folder }) })))}
      >
        {t('files.showInFolder')}
      </button>
    </span>
  );
}
