// The signed-in user's storage on the server (Preferences): how much of the quota the libraries
// they own use, with a bar, and each of those libraries' size. What counts is the server's rule:
// the current files of the user's own libraries (see ARCHITECTURE.md, "Storage quotas").

import { useEffect, useId, useState } from 'react';
import type { RemoteLibraryView, StorageView, SyncApiError } from '../../shared/api/index.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { ProgressBar } from '../components/ProgressBar.js';
import { useI18n } from '../i18n/I18nContext.js';
import { toApiError } from '../state/errorText.js';
import { useSyncService } from '../state/SyncServiceContext.js';

export function StorageSection() {
  const { api, state } = useSyncService();
  const i18n = useI18n();
  const { t } = i18n;
  const ids = useId();
  const [answer, setAnswer] = useState<{ readonly storage: StorageView | null; readonly owned: readonly RemoteLibraryView[] } | null>(null);
  const [error, setError] = useState<SyncApiError | null>(null);
  const account = state.status?.account ?? null;
  // Asked again after each round of any library: the usage changes with every commit.
  const rounds = state.status?.libraries.map((library) => library.lastSyncAt ?? '').join(',') ?? '';
  useEffect(() => {
    if (account === null) return;
    let live = true;
    api.listRemoteLibraries({}).then(
      (list) => {
        if (!live) return;
        setError(null);
        setAnswer({ storage: list.storage ?? null, owned: list.libraries.filter((library) => library.role === 'owner') });
      },
      (caught: unknown) => live && setError(toApiError(caught)),
    );
    return () => {
      live = false;
    };
  }, [api, account, rounds]);
  if (account === null) return null;
  const storage = answer?.storage ?? null;
  const quota = storage?.quotaBytes ?? null;
  const full = storage !== null && quota !== null && storage.usedBytes >= quota;
  return (
    <section className="card section" aria-labelledby={`${ids}-storage`} data-testid="storage-section">
      <h2 id={`${ids}-storage`} className="section-title">
        {t('storage.title')}
      </h2>
      {error === null ? null : <ErrorNotice error={error} />}
      {answer === null ? (
        error === null ? <p className="muted">{t('common.loading')}</p> : null
      ) : storage === null ? (
        <p className="muted">{t('storage.unknown')}</p>
      ) : (
        <>
          <p data-testid="storage-usage">
            {quota === null
              ? t('storage.usedNoQuota', { used: i18n.bytes(storage.usedBytes) })
              : t('storage.usedOf', { used: i18n.bytes(storage.usedBytes), quota: i18n.bytes(quota) })}
          </p>
          {quota === null ? null : (
            <div className={full ? 'storage-bar is-full' : 'storage-bar'}>
              <ProgressBar fraction={quota === 0 ? 1 : storage.usedBytes / quota} label={t('storage.barLabel')} valueText={t('storage.usedOf', { used: i18n.bytes(storage.usedBytes), quota: i18n.bytes(quota) })} />
            </div>
          )}
          {full ? (
            <p className="library-detail library-detail-error" data-testid="storage-full">
              {t('storage.full')}
            </p>
          ) : null}
          <p className="muted small">{t('storage.hint')}</p>
          {answer.owned.length === 0 ? null : (
            <table className="storage-table" data-testid="storage-libraries">
              <thead>
                <tr>
                  <th scope="col">{t('storage.libraryColumn')}</th>
                  <th scope="col">{t('storage.sizeColumn')}</th>
                </tr>
              </thead>
              <tbody>
                {answer.owned.map((library) => (
                  <tr key={library.libraryId}>
                    <td>{library.name}</td>
                    <td className="storage-size">{library.sizeBytes === null || library.sizeBytes === undefined ? '—' : i18n.bytes(library.sizeBytes)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  );
}
