import { useEffect, useState } from 'react';
import type { RemoteLibraryView, SyncApiError } from '../../shared/api/index.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { Icon } from '../components/Icon.js';
import { Notice } from '../components/Notice.js';
import { ScreenHeading } from '../components/ScreenHeading.js';
import { useNow } from '../components/useNow.js';
import { useI18n } from '../i18n/I18nContext.js';
import { toApiError } from '../state/errorText.js';
import { useSyncService } from '../state/SyncServiceContext.js';
import { LibraryCard } from './LibraryCard.js';
import type { LibraryLink } from './LibraryCard.js';

export function LibrariesScreen({
  onAdd,
  onOpen,
  notice,
}: {
  readonly onAdd: () => void;
  readonly onOpen: (libraryId: string, link: LibraryLink) => void;
  /** A message to show once, such as what happened to a library just removed. */
  readonly notice: string | null;
}) {
  const { api, state, applyStatus, stamp } = useSyncService();
  const { t } = useI18n();
  const now = useNow();
  const [error, setError] = useState<SyncApiError | null>(null);
  const [busy, setBusy] = useState(false);
  // Who owns each library and the user's role in it, as the server says (shown once it answered).
  const [access, setAccess] = useState<ReadonlyMap<string, RemoteLibraryView>>(new Map());
  const status = state.status;
  // Asked again when the synced libraries or the accounts change, and after each round (sizes on the server change with commits).
  const synced = status?.libraries.map((library) => `${library.libraryId}:${library.accountId ?? ''}:${library.lastSyncAt ?? ''}`).join('\u0000') ?? '';
  const signedIn = (status?.accounts ?? []).filter((account) => account.signedIn).map((account) => account.accountId);
  const accountsKey = signedIn.join('\u0000');
  useEffect(() => {
    let live = true;
    // Each account answers for its own libraries only (several accounts: one list each).
    const lists =
      signedIn.length === 0
        ? [api.listRemoteLibraries({}).then((answer) => ({ accountId: null, answer }))]
        : signedIn.map((accountId) => api.listRemoteLibraries({ accountId }).then((answer) => ({ accountId, answer })));
    const bound = new Map(status?.libraries.map((library) => [library.libraryId, library.accountId ?? null]) ?? []);
    void Promise.allSettled(lists).then((results) => {
      if (!live) return;
      const next = new Map<string, RemoteLibraryView>();
      for (const result of results) {
        if (result.status !== 'fulfilled') continue;
        for (const library of result.value.answer.libraries) {
          if (result.value.accountId === null || bound.get(library.libraryId) === result.value.accountId) next.set(library.libraryId, library);
        }
      }
      setAccess(next);
    });
    return () => {
      live = false;
    };
  }, [api, synced, accountsKey]);
  if (status === null) return null;

  const setAllPaused = async (paused: boolean) => {
    setBusy(true);
    setError(null);
    const sent = stamp();
    try {
      applyStatus(paused ? await api.pauseAll({}) : await api.resumeAll({}), sent);
    } catch (caught) {
      setError(toApiError(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="screen" data-testid="libraries-screen">
      <ScreenHeading
        actions={
          <>
            {status.libraries.length === 0 ? null : (
              <button type="button" className="button" disabled={busy} onClick={() => void setAllPaused(!status.allPaused)} data-testid="pause-all">
                <Icon name={status.allPaused ? 'play' : 'pause'} />
                {t(status.allPaused ? 'libraries.resumeAll' : 'libraries.pauseAll')}
              </button>
            )}
            <button type="button" className="button button-primary" onClick={onAdd}>
              <Icon name="plus" />
              {t('libraries.add')}
            </button>
          </>
        }
      >
        {t('libraries.title')}
      </ScreenHeading>
      {notice === null ? null : <Notice tone="success">{notice}</Notice>}
      {error === null ? null : <ErrorNotice error={error} />}
      {status.allPaused ? <Notice tone="warning">{t('libraries.allPausedNotice')}</Notice> : null}
      {status.libraries.length === 0 ? (
        <div className="empty">
          <p className="empty-title">{t('libraries.emptyTitle')}</p>
          <p className="muted">{t('libraries.emptyText')}</p>
          <button type="button" className="button button-primary" onClick={onAdd}>
            {t('libraries.add')}
          </button>
        </div>
      ) : (
        <div className="library-list">
          {status.libraries.map((library) => (
            <LibraryCard
              key={library.libraryId}
              library={library}
              now={now}
              fileProgress={state.fileProgress[library.libraryId]}
              access={access.get(library.libraryId) ?? null}
              onOpen={(link) => onOpen(library.libraryId, link)}
            />
          ))}
        </div>
      )}
    </section>
  );
}
