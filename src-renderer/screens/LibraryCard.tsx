// One synced library at a glance: state, progress while a round runs, when it last synced, its
// problems and conflicts, and the everyday actions (open folder, pause or resume, settings).

import { useEffect, useState } from 'react';
import type { LibraryView, PendingWorkView, RemoteLibraryView, RoundErrorReason, SyncApiError } from '../../shared/api/index.js';
import { ConfirmDialog } from '../components/ConfirmDialog.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { Icon } from '../components/Icon.js';
import { ProgressBar } from '../components/ProgressBar.js';
import { StateBadge } from '../components/StateBadge.js';
import type { MessageKey } from '../i18n/en.js';
import { useI18n } from '../i18n/I18nContext.js';
import { toApiError } from '../state/errorText.js';
import { isPaused, progressFigures, progressOf, progressText, stateExplanation } from '../state/libraryStatus.js';
import type { FileProgress } from '../state/syncState.js';
import { useSyncService } from '../state/SyncServiceContext.js';
import { accountName } from '../state/accountName.js';
import { shown } from '../i18n/shown.js';

export type LibraryLink = 'settings' | 'files' | 'problems' | 'conflicts';

export function LibraryCard({
  library,
  now,
  fileProgress,
  access,
  onOpen,
}: {
  readonly library: LibraryView;
  readonly now: number;
  readonly fileProgress: FileProgress | undefined;
  /** The owner and the user's role, once the server told them. */
  readonly access: RemoteLibraryView | null;
  readonly onOpen: (link: LibraryLink) => void;
}) {
  const { api, applyLibrary, stamp, state: service } = useSyncService();
  // Which account syncs it, when the profile has several (user@server).
  const accounts = service.status?.accounts ?? [];
  const account = accounts.length > 1 ? accounts.find((candidate) => candidate.accountId === library.accountId) : undefined;
  const i18n = useI18n();
  const { t, tn } = i18n;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<SyncApiError | null>(null);
  const state = library.state;
  const progress = progressOf(state);
  const figures = progress === null ? null : progressFigures(progress);
  const explanation = stateExplanation(state);
  const paused = isPaused(state);
  // The owner and role this device last learnt in a round, else what the server's list says.
  const role = library.role ?? access?.role ?? null;
  const owner = library.owner ?? access?.owner ?? null;

  const run = async (work: () => Promise<LibraryView | null>) => {
    setBusy(true);
    setError(null);
    const sent = stamp();
    try {
      const view = await work();
      if (view !== null) applyLibrary(view, sent);
    } catch (caught) {
      setError(toApiError(caught));
    } finally {
      setBusy(false);
    }
  };

  const titleId = `library-${library.libraryId}-title`;
  return (
    <article className="card library-card" aria-labelledby={titleId} data-testid="library-card" data-library-id={library.libraryId}>
      <header className="library-card-header">
        <div className="library-card-titles">
          <h2 id={titleId} className="library-name">
            {shown(library.name)}
          </h2>
          <p className="library-root" title={library.localRoot}>
            {shown(library.localRoot)}
          </p>
          {account === undefined ? null : (
            <p className="library-account muted" data-testid="library-account">
              {t('library.account', { account: accountName(account) })}
            </p>
          )}
          {role === null || owner === null ? null : (
            <p className="library-access" data-testid="library-access" data-role={role}>
              {role === 'owner' ? (
                <span>{t('library.ownedByYou')}</span>
              ) : (
                <>
                  <span>{t('library.ownedBy', { owner })}</span>
                  <span className={role === 'ro' ? 'tag tag-attention' : 'tag'} title={role === 'ro' ? t('library.readOnlyHint') : undefined}>
                    {t(role === 'ro' ? 'library.readOnly' : 'library.readWrite')}
                  </span>
                </>
              )}
            </p>
          )}
        </div>
        <StateBadge state={state} />
      </header>

      {figures === null ? null : (
        <div className="library-progress">
          <ProgressBar fraction={figures.fraction} label={t('progress.label', { name: library.name })} valueText={progressText(figures, i18n)} />
          <p className="library-progress-text" data-testid="progress-text">
            {progressText(figures, i18n) || t('progress.preparing')}
          </p>
          {fileProgress === undefined ? null : (
            <p className="library-progress-file muted" data-testid="file-progress">
              {t(fileProgress.direction === 'upload' ? 'progress.fileUp' : 'progress.fileDown', {
                path: fileProgress.path,
                done: i18n.bytes(fileProgress.bytesDone),
                total: i18n.bytes(fileProgress.bytesTotal),
              })}
            </p>
          )}
        </div>
      )}

      {state.kind === 'paused' && (state.reason === 'user' || state.reason === 'all-paused') ? (
        <p className="library-detail">{t('state.detail.pausedSince', { time: i18n.timeAgo(state.since, now) })}</p>
      ) : null}
      {state.kind === 'offline' ? (
        <p className="library-detail">
          {state.retryAt === null
            ? t('state.detail.offline', { duration: i18n.duration(Math.max(0, now - state.since) / 1000) })
            : t('state.detail.offlineRetry', { duration: i18n.duration(Math.max(0, now - state.since) / 1000), retry: i18n.relativeTime(state.retryAt, now) })}
        </p>
      ) : null}
      {state.kind === 'error' ? (
        <p className="library-detail library-detail-error" data-testid="library-error" data-reason={state.reason ?? 'unknown'}>
          {t(ROUND_ERROR_KEYS[state.reason ?? 'unknown'])}
        </p>
      ) : null}
      {explanation === null ? null : <p className="library-detail muted">{t(explanation, { folder: library.localRoot })}</p>}
      {state.kind === 'paused' || state.kind === 'offline' || state.kind === 'error' ? <PendingWorkLine library={library} /> : null}

      <dl className="library-facts">
        <div>
          <dt>{t('library.lastSync')}</dt>
          <dd title={library.lastSyncAt === null ? undefined : i18n.dateTime(library.lastSyncAt)}>
            {library.lastSyncAt === null ? t('library.never') : i18n.timeAgo(library.lastSyncAt, now)}
          </dd>
        </div>
        <div>
          <dt>{t('library.selection')}</dt>
          <dd>{library.selection === null ? t('library.wholeLibrary') : tn('library.someFolders', library.selection.length)}</dd>
        </div>
        <div>
          <dt>{t('library.problems')}</dt>
          <dd data-testid="problem-count">
            {library.problemCount === 0 ? (
              t('library.none')
            ) : (
              <button type="button" className="link-button" onClick={() => onOpen('problems')}>
                {tn('count.problems', library.problemCount)}
              </button>
            )}
          </dd>
        </div>
        <div>
          <dt>{t('library.conflicts')}</dt>
          <dd data-testid="conflict-count">
            {library.openConflicts === 0 ? (
              t('library.none')
            ) : (
              <button type="button" className="link-button" onClick={() => onOpen('conflicts')}>
                {tn('count.conflicts', library.openConflicts)}
              </button>
            )}
          </dd>
        </div>
        {access?.sizeBytes === null || access?.sizeBytes === undefined ? null : (
          <div>
            <dt>{t('libraries.sizeOnServer')}</dt>
            <dd data-testid="library-size">{i18n.bytes(access.sizeBytes)}</dd>
          </div>
        )}
      </dl>

      {library.storageFull === null || library.storageFull === undefined ? null : (
        <p className="library-detail library-detail-error" data-testid="library-storage-full">
          {t('libraries.storageFull', { used: i18n.bytes(library.storageFull.usedBytes), quota: i18n.bytes(library.storageFull.quotaBytes) })}
        </p>
      )}
      {error === null ? null : <ErrorNotice error={error} />}

      <footer className="library-actions">
        <button type="button" className="button" onClick={() => void run(async () => (await api.openFolder({ libraryId: library.libraryId }), null))} aria-label={t('library.openFolderOf', { name: library.name })}>
          <Icon name="folder" />
          {t('library.openFolder')}
        </button>
        {state.kind === 'paused' && state.reason === 'all-paused' ? null : (
          <button
            type="button"
            className="button"
            disabled={busy}
            onClick={() => void run(() => (paused ? api.resumeLibrary({ libraryId: library.libraryId }) : api.pauseLibrary({ libraryId: library.libraryId })))}
            aria-label={t(paused ? 'library.resumeOf' : 'library.pauseOf', { name: library.name })}
          >
            <Icon name={paused ? 'play' : 'pause'} />
            {t(paused ? 'library.resume' : 'library.pause')}
          </button>
        )}
        {state.kind === 'error' || state.kind === 'offline' ? (
          <button type="button" className="button" disabled={busy} onClick={() => void run(async () => (await api.syncNow({ libraryId: library.libraryId }), null))}>
            {t('library.syncNow')}
          </button>
        ) : null}
        {state.kind === 'signed-out' && state.unlinked === true ? <LinkAccountButton library={library} /> : null}
        <button type="button" className="button" onClick={() => onOpen('files')} aria-label={t('files.openOf', { name: library.name })}>
          {t('files.open')}
        </button>
        <button type="button" className="button button-quiet" onClick={() => onOpen('settings')} aria-label={t('library.settingsOf', { name: library.name })}>
          {t('library.settings')}
        </button>
      </footer>
    </article>
  );
}

/** How often a paused or offline library's waiting work is counted again while it is shown. */
const PENDING_REFRESH_MS = 10_000;

/**
 * What waits while a library does not sync: the files (and bytes) a round would upload and
 * download now, so "last synced just now" is never all a paused library says.
 */
function PendingWorkLine({ library }: { readonly library: LibraryView }) {
  const { api } = useSyncService();
  const i18n = useI18n();
  const { t, tn } = i18n;
  const [pending, setPending] = useState<PendingWorkView | null>(null);
  const libraryId = library.libraryId;
  const kind = library.state.kind;
  useEffect(() => {
    let live = true;
    const count = () =>
      api.getPendingWork({ libraryId }).then(
        (answer) => live && setPending(answer.pending),
        () => undefined,
      );
    void count();
    const timer = setInterval(() => void count(), PENDING_REFRESH_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [api, libraryId, kind]);
  if (pending === null) return null;
  const parts: string[] = [];
  if (pending.upload.files > 0) parts.push(t('pending.upload', { files: tn('count.files', pending.upload.files), bytes: i18n.bytes(pending.upload.bytes) }));
  if (pending.deleteOnServer > 0) parts.push(tn('pending.deleteOnServer', pending.deleteOnServer));
  if (pending.download !== null && pending.download.files > 0) parts.push(t('pending.download', { files: tn('count.files', pending.download.files), bytes: i18n.bytes(pending.download.bytes) }));
  if (pending.deleteHere !== null && pending.deleteHere > 0) parts.push(tn('pending.deleteHere', pending.deleteHere));
  const nothing = parts.length === 0;
  return (
    <p className={`library-detail ${nothing ? 'muted' : 'library-pending'}`} data-testid="pending-work" data-nothing={nothing}>
      {nothing ? t(pending.download === null ? 'pending.nothingUp' : 'pending.nothing') : t('pending.waiting', { list: new Intl.ListFormat(i18n.language, { type: 'conjunction' }).format(parts) })}
      {!nothing && pending.download === null ? ` ${t('pending.downUnknown')}` : null}
    </p>
  );
}

type LinkCandidate = { readonly accountId: string; readonly serverUrl: string; readonly user: string };

/**
 * "Link to account…" for a library an older profile left linked to no account: asks the
 * service which signed-in accounts can see it on their server, and links it to the one chosen.
 */
function LinkAccountButton({ library }: { readonly library: LibraryView }) {
  const { api, applyLibrary, stamp } = useSyncService();
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  const [candidates, setCandidates] = useState<readonly LinkCandidate[] | null>(null);
  const [chosen, setChosen] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<SyncApiError | null>(null);
  useEffect(() => {
    if (!open) return;
    let current = true;
    setCandidates(null);
    setError(null);
    api.listLinkCandidates({ libraryId: library.libraryId }).then(
      ({ accounts }) => {
        if (!current) return;
        setCandidates(accounts);
        setChosen(accounts.length === 1 ? accounts[0]!.accountId : null);
      },
      (caught: unknown) => {
        if (current) setError(toApiError(caught));
      },
    );
    return () => {
      current = false;
    };
  }, [api, library.libraryId, open]);
  const link = async () => {
    if (chosen === null) return;
    setBusy(true);
    setError(null);
    const sent = stamp();
    try {
      applyLibrary(await api.linkLibrary({ libraryId: library.libraryId, accountId: chosen }), sent);
      setOpen(false);
    } catch (caught) {
      setError(toApiError(caught));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" className="button button-primary" onClick={() => setOpen(true)}>
        {t('preferences.accountLink')}
      </button>
      <ConfirmDialog
        open={open}
        title={t('preferences.accountLinkTitle', { name: library.name })}
        confirmLabel={t('preferences.accountLinkConfirm')}
        cancelLabel={t('common.cancel')}
        busy={busy}
        confirmDisabled={chosen === null}
        onConfirm={() => void link()}
        onCancel={() => setOpen(false)}
      >
        {candidates === null ? (
          error === null ? <p className="muted">{t('preferences.accountLinkChecking')}</p> : null
        ) : candidates.length === 0 ? (
          <p>{t('preferences.accountLinkNone')}</p>
        ) : (
          <>
            <p>{t('preferences.accountLinkIntro')}</p>
            <ul className="switch-list" data-testid="link-candidates">
              {candidates.map((candidate) => (
                <li key={candidate.accountId}>
                  <label>
                    <input type="radio" name={`link-${library.libraryId}`} checked={chosen === candidate.accountId} onChange={() => setChosen(candidate.accountId)} /> {accountName(candidate)}
                  </label>
                </li>
              ))}
            </ul>
          </>
        )}
        {error === null ? null : <ErrorNotice error={error} />}
      </ConfirmDialog>
    </>
  );
}

/** The sentence of each reason a round failed (the service's own message is English: the CLI's). */
const ROUND_ERROR_KEYS: Readonly<Record<RoundErrorReason, MessageKey>> = {
  'not-logged-in': 'roundError.notLoggedIn',
  'library-gone': 'roundError.libraryGone',
  forbidden: 'roundError.forbidden',
  'server-refused': 'roundError.serverRefused',
  'server-error': 'roundError.serverError',
  'rate-limited': 'roundError.rateLimited',
  local: 'roundError.local',
  unknown: 'roundError.unknown',
};
