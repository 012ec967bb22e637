// The signed-in accounts' storage on their servers (Preferences): how much of the quota the
// libraries each user owns use, with a bar, and each of those libraries' size. What counts is
// the server's rule: the current files of the user's own libraries (see ARCHITECTURE.md,
// "Storage quotas"). With several accounts, one block each, named.

import { useEffect, useId, useState } from 'react';
import type { RemoteLibraryView, StorageView, SyncApiError } from '../../shared/api/index.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { ProgressBar } from '../components/ProgressBar.js';
import { useI18n } from '../i18n/I18nContext.js';
import { accountName } from '../state/accountName.js';
import { toApiError } from '../state/errorText.js';
import { useSyncService } from '../state/SyncServiceContext.js';
import { shown } from '../i18n/shown.js';

interface AccountStorage {
  readonly key: string;
  /** The account's name, shown when there are several. */
  readonly name: string | null;
  readonly storage: StorageView | null;
  readonly owned: readonly RemoteLibraryView[];
  readonly error: SyncApiError | null;
}

export function StorageSection() {
  const { api, state } = useSyncService();
  const { t } = useI18n();
  const ids = useId();
  const [answers, setAnswers] = useState<readonly AccountStorage[] | null>(null);
  const status = state.status;
  const signedIn = (status?.accounts ?? []).filter((account) => account.signedIn);
  const accountsKey = signedIn.map((account) => account.accountId).join(',');
  // Asked again after each round of any library: the usage changes with every commit.
  const rounds = status?.libraries.map((library) => library.lastSyncAt ?? '').join(',') ?? '';
  const loggedIn = status?.account !== null && status?.account !== undefined;
  useEffect(() => {
    if (!loggedIn) return;
    let live = true;
    const several = signedIn.length > 1;
    const asks: { key: string; name: string | null; request: { accountId?: string } }[] =
      signedIn.length === 0 ? [{ key: 'default', name: null, request: {} }] : signedIn.map((account) => ({ key: account.accountId, name: several ? accountName(account) : null, request: { accountId: account.accountId } }));
    void Promise.all(
      asks.map((ask) =>
        api.listRemoteLibraries(ask.request).then(
          (list): AccountStorage => ({ key: ask.key, name: ask.name, storage: list.storage ?? null, owned: list.libraries.filter((library) => library.role === 'owner'), error: null }),
          (caught: unknown): AccountStorage => ({ key: ask.key, name: ask.name, storage: null, owned: [], error: toApiError(caught) }),
        ),
      ),
    ).then((found) => live && setAnswers(found));
    return () => {
      live = false;
    };
    // signedIn is read afresh whenever accountsKey (its ids) changes.
  }, [api, loggedIn, accountsKey, rounds]);
  if (!loggedIn) return null;
  return (
    <section className="card section" aria-labelledby={`${ids}-storage`} data-testid="storage-section">
      <h2 id={`${ids}-storage`} className="section-title">
        {t('storage.title')}
      </h2>
      {answers === null ? <p className="muted">{t('common.loading')}</p> : answers.map((answer) => <AccountStorageBlock key={answer.key} answer={answer} />)}
      {answers === null || answers.every((answer) => answer.storage === null) ? null : <p className="muted small">{t('storage.hint')}</p>}
    </section>
  );
}

function AccountStorageBlock({ answer }: { readonly answer: AccountStorage }) {
  const i18n = useI18n();
  const { t } = i18n;
  const { storage } = answer;
  const quota = storage?.quotaBytes ?? null;
  const full = storage !== null && quota !== null && storage.usedBytes >= quota;
  return (
    <div className="storage-account" data-testid="storage-account">
      {answer.name === null ? null : <h3 className="storage-account-name">{shown(answer.name)}</h3>}
      {answer.error === null ? null : <ErrorNotice error={answer.error} />}
      {answer.error !== null ? null : storage === null ? (
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
                    <td>{shown(library.name)}</td>
                    <td className="storage-size">{library.sizeBytes === null || library.sizeBytes === undefined ? '—' : i18n.bytes(library.sizeBytes)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </div>
  );
}
