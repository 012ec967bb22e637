// Preferences: language (switches at once), start at login, notifications, bandwidth limits,
// and the accounts this computer syncs with (add one, sign one out or in again, remove one).

import { useEffect, useId, useState } from 'react';
import type { AccountSummary, Preferences, SyncApiError, Theme } from '../../shared/api/index.js';
import { THEMES } from '../../shared/api/index.js';
import type { OperationRequest } from '../../shared/api/index.js';
import { ConfirmDialog } from '../components/ConfirmDialog.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { LanguageSelect } from '../components/LanguageSelect.js';
import { ScreenHeading } from '../components/ScreenHeading.js';
import type { MessageKey } from '../i18n/en.js';
import { useI18n } from '../i18n/I18nContext.js';
import { DEFAULT_LIMIT_KB, kilobytesOf, parseLimitKb } from '../state/bandwidth.js';
import { toApiError } from '../state/errorText.js';
import { useSyncService } from '../state/SyncServiceContext.js';
import { accountName } from '../state/accountName.js';
import { ConnectScreen } from './ConnectScreen.js';
import { StorageSection } from './StorageSection.js';
import { shown } from '../i18n/shown.js';

type PreferencesUpdate = OperationRequest<'setPreferences'>;

const THEME_KEYS: Readonly<Record<Theme, MessageKey>> = { system: 'theme.system', light: 'theme.light', dark: 'theme.dark' };

export function PreferencesScreen() {
  const { api, state, applyPreferences, stamp } = useSyncService();
  const { t } = useI18n();
  const ids = useId();
  const [error, setError] = useState<SyncApiError | null>(null);
  // Changes sent but not answered yet show at once, so a checkbox does not flip back meanwhile.
  const [pending, setPending] = useState<PreferencesUpdate>({});
  const preferences: Preferences | null = state.preferences === null ? null : { ...state.preferences, ...pending };
  // Adding an account, or signing one in again: the connect form in place of the preferences.
  const [signingIn, setSigningIn] = useState<SignIn | null>(null);

  const update = async (change: PreferencesUpdate) => {
    setError(null);
    setPending((current) => ({ ...current, ...change }));
    const sent = stamp();
    try {
      applyPreferences(await api.setPreferences(change), sent);
    } catch (caught) {
      setError(toApiError(caught));
    } finally {
      setPending((current) => {
        const next: Record<string, unknown> = { ...current };
        for (const [key, value] of Object.entries(change)) if (next[key] === value) delete next[key];
        return next as PreferencesUpdate;
      });
    }
  };

  if (signingIn !== null) {
    return (
      <ConnectScreen
        embedded={{
          title: t('accounts.addTitle'),
          intro: t('accounts.addIntro'),
          ...signingIn,
          onDone: () => setSigningIn(null),
          onCancel: () => setSigningIn(null),
          cancelLabel: t('accounts.addCancel'),
        }}
      />
    );
  }

  return (
    <section className="screen" data-testid="preferences-screen">
      <ScreenHeading>{t('preferences.title')}</ScreenHeading>
      {error === null ? null : <ErrorNotice error={error} />}
      {preferences === null ? (
        <p className="muted">{t('common.loading')}</p>
      ) : (
        <div className="stack">
          <section className="card section" aria-labelledby={`${ids}-general`}>
            <h2 id={`${ids}-general`} className="section-title">
              {t('preferences.general')}
            </h2>
            <LanguageSelect />
            <div className="field">
              <label htmlFor={`${ids}-theme`} className="field-label">
                {t('preferences.theme')}
              </label>
              <select id={`${ids}-theme`} className="select" value={preferences.theme} onChange={(event) => void update({ theme: THEMES.find((theme) => theme === event.target.value) ?? 'system' })}>
                {THEMES.map((theme) => (
                  <option key={theme} value={theme}>
                    {t(THEME_KEYS[theme])}
                  </option>
                ))}
              </select>
            </div>
            <label className="check">
              <input type="checkbox" checked={preferences.startAtLogin} onChange={(event) => void update({ startAtLogin: event.target.checked })} />
              <span>
                {t('preferences.startAtLogin')}
                <span className="check-hint">{t('preferences.startAtLoginHint')}</span>
              </span>
            </label>
            <label className="check">
              <input type="checkbox" checked={preferences.notifications} onChange={(event) => void update({ notifications: event.target.checked })} />
              <span>
                {t('preferences.notifications')}
                <span className="check-hint">{t('preferences.notificationsHint')}</span>
              </span>
            </label>
          </section>
          <section className="card section" aria-labelledby={`${ids}-network`}>
            <h2 id={`${ids}-network`} className="section-title">
              {t('preferences.bandwidth')}
            </h2>
            <LimitField direction="upload" preferences={preferences} onChange={(limit) => update({ uploadLimit: limit })} />
            <LimitField direction="download" preferences={preferences} onChange={(limit) => update({ downloadLimit: limit })} />
          </section>
          <AccountsSection onSignIn={setSigningIn} />
          <StorageSection />
        </div>
      )}
    </section>
  );
}

function LimitField({ direction, preferences, onChange }: { readonly direction: 'upload' | 'download'; readonly preferences: Preferences; readonly onChange: (limit: number | null) => Promise<void> }) {
  const { t } = useI18n();
  const ids = useId();
  const limit = direction === 'upload' ? preferences.uploadLimit : preferences.downloadLimit;
  const [text, setText] = useState(String(limit === null ? DEFAULT_LIMIT_KB : kilobytesOf(limit)));
  const [invalid, setInvalid] = useState(false);
  useEffect(() => {
    if (limit !== null) setText(String(kilobytesOf(limit)));
  }, [limit]);

  const commit = () => {
    const bytes = parseLimitKb(text);
    setInvalid(bytes === null);
    if (bytes !== null && bytes !== limit) void onChange(bytes);
  };

  return (
    <div className="limit">
      <label className="check">
        <input
          type="checkbox"
          checked={limit !== null}
          onChange={(event) => {
            setInvalid(false);
            void onChange(event.target.checked ? (parseLimitKb(text) ?? DEFAULT_LIMIT_KB * 1024) : null);
          }}
        />
        <span>{t(direction === 'upload' ? 'preferences.limitUpload' : 'preferences.limitDownload')}</span>
      </label>
      <div className="limit-value">
        <label htmlFor={`${ids}-value`} className="visually-hidden">
          {t(direction === 'upload' ? 'preferences.uploadLimitValue' : 'preferences.downloadLimitValue')}
        </label>
        <input
          id={`${ids}-value`}
          className="input input-number"
          inputMode="numeric"
          value={text}
          disabled={limit === null}
          aria-invalid={invalid}
          onChange={(event) => setText(event.target.value)}
          onBlur={commit}
          onKeyDown={(event) => {
            if (event.key === 'Enter') commit();
          }}
        />
        <span className="limit-unit">{t('preferences.kbPerSecond')}</span>
      </div>
      {invalid ? <p className="field-problem">{t('preferences.limitInvalid')}</p> : null}
    </div>
  );
}

/** An account to sign in: a new one (nothing known), or a signed-out one (its server and user). */
type SignIn = { readonly serverUrl?: string; readonly user?: string };

/**
 * The profile's accounts: each with its server, user, libraries and whether it is signed in;
 * "Add account" (the connect form), and per account "Sign out" (asking first, naming the
 * libraries that stop) or "Sign in again", and "Remove" (asking first, naming the libraries
 * removed from this computer's sync; their files stay).
 */
function AccountsSection({ onSignIn }: { readonly onSignIn: (signIn: SignIn) => void }) {
  const { api, state, applyStatus, stamp } = useSyncService();
  const { t, tn } = useI18n();
  const ids = useId();
  const [asking, setAsking] = useState<AccountSummary | null>(null);
  const [removing, setRemoving] = useState<AccountSummary | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<SyncApiError | null>(null);
  const status = state.status;
  if (status === null || status.account === null && (status.accounts ?? []).length === 0) return null;
  // A service that predates several accounts names only the one signed in.
  const accounts: readonly AccountSummary[] =
    status.accounts ??
    (status.account === null
      ? []
      : [{ accountId: status.account.accountId ?? 'account', serverUrl: status.account.serverUrl, user: status.account.user, deviceName: status.account.deviceName, signedIn: true, libraries: status.libraries }]);
  // Signs an account out or removes it, then reads the status the change left.
  const changeAccount = async (change: () => Promise<unknown>, close: () => void) => {
    setBusy(true);
    setError(null);
    try {
      await change();
      const sent = stamp();
      applyStatus(await api.getStatus({}), sent);
    } catch (caught) {
      setError(toApiError(caught));
    } finally {
      setBusy(false);
      close();
    }
  };
  const signOut = (account: AccountSummary) => changeAccount(() => api.logout({ accountId: account.accountId }), () => setAsking(null));
  const remove = (account: AccountSummary) => changeAccount(() => api.removeAccount({ accountId: account.accountId }), () => setRemoving(null));
  return (
    <section className="card section" aria-labelledby={`${ids}-accounts`} data-testid="accounts-section">
      <h2 id={`${ids}-accounts`} className="section-title">
        {t('accounts.title')}
      </h2>
      <p className="muted">{t('accounts.intro')}</p>
      <ul className="account-list">
        {accounts.map((account) => (
          <li key={account.accountId} className="account-row" data-testid="account-row" data-account={accountName(account)}>
            <div className="account-who">
              <strong>{shown(account.user)}</strong>
              <span className="mono muted account-server">{account.serverUrl}</span>
              <span className="muted">
                {tn('accounts.libraries', account.libraries.length)}
                {account.deviceName === null ? '' : ` · ${t('accounts.device', { device: account.deviceName })}`}
              </span>
            </div>
            <span className={`badge ${account.signedIn ? 'tone-ok' : 'tone-attention'}`}>
              <span className="badge-dot" aria-hidden="true" />
              {t(account.signedIn ? 'accounts.signedIn' : 'accounts.signedOut')}
            </span>
            {account.signedIn ? (
              <button type="button" className="button button-danger-outline" onClick={() => setAsking(account)} aria-label={`${t('accounts.signOut')} ${accountName(account)}`}>
                {t('accounts.signOut')}
              </button>
            ) : (
              <button type="button" className="button" onClick={() => onSignIn({ serverUrl: account.serverUrl, user: account.user })} aria-label={`${t('accounts.signIn')} ${accountName(account)}`}>
                {t('accounts.signIn')}
              </button>
            )}
            <button type="button" className="button button-danger-outline" onClick={() => setRemoving(account)} aria-label={`${t('preferences.accountRemove')} ${accountName(account)}`}>
              {t('preferences.accountRemove')}
            </button>
          </li>
        ))}
      </ul>
      {error === null ? null : <ErrorNotice error={error} />}
      <div className="form-actions">
        <button type="button" className="button" onClick={() => onSignIn({})}>
          {t('accounts.add')}
        </button>
      </div>
      <AccountLibrariesDialog
        account={asking}
        texts={SIGN_OUT_TEXTS}
        testId="sign-out-libraries"
        busy={busy}
        onConfirm={(account) => void signOut(account)}
        onCancel={() => setAsking(null)}
      />
      <AccountLibrariesDialog
        account={removing}
        texts={REMOVE_TEXTS}
        testId="remove-account-libraries"
        busy={busy}
        onConfirm={(account) => void remove(account)}
        onCancel={() => setRemoving(null)}
      />
    </section>
  );
}

/** What a dialog about an account's libraries says: its title, button, and the lines around the list. */
interface AccountLibrariesTexts {
  readonly title: MessageKey;
  readonly confirm: MessageKey;
  readonly noLibraries: MessageKey;
  readonly libraries: MessageKey;
  readonly filesStay: MessageKey;
}

const SIGN_OUT_TEXTS: AccountLibrariesTexts = {
  title: 'accounts.signOutTitle',
  confirm: 'accounts.signOutConfirm',
  noLibraries: 'accounts.signOutNoLibraries',
  libraries: 'accounts.signOutLibraries',
  filesStay: 'accounts.signOutFilesStay',
};

const REMOVE_TEXTS: AccountLibrariesTexts = {
  title: 'preferences.accountRemoveTitle',
  confirm: 'preferences.accountRemoveConfirm',
  noLibraries: 'preferences.accountRemoveNoLibraries',
  libraries: 'preferences.accountRemoveLibraries',
  filesStay: 'preferences.accountRemoveFilesStay',
};

/** Asks before signing an account out or removing it, naming its libraries and their folders. */
function AccountLibrariesDialog({
  account,
  texts,
  testId,
  busy,
  onConfirm,
  onCancel,
}: {
  readonly account: AccountSummary | null;
  readonly texts: AccountLibrariesTexts;
  readonly testId: string;
  readonly busy: boolean;
  readonly onConfirm: (account: AccountSummary) => void;
  readonly onCancel: () => void;
}) {
  const { t } = useI18n();
  const name = account === null ? '' : accountName(account);
  return (
    <ConfirmDialog
      open={account !== null}
      title={account === null ? '' : t(texts.title, { account: name })}
      confirmLabel={t(texts.confirm)}
      cancelLabel={t('common.cancel')}
      danger
      busy={busy}
      onConfirm={() => {
        if (account !== null) onConfirm(account);
      }}
      onCancel={onCancel}
    >
      {account === null || account.libraries.length === 0 ? (
        <p>{t(texts.noLibraries)}</p>
      ) : (
        <>
          <p>{t(texts.libraries, { account: name })}</p>
          <ul className="switch-list" data-testid={testId}>
            {account.libraries.map((library) => (
              <li key={library.libraryId}>
                <strong>{shown(library.name)}</strong> <span className="muted">{shown(library.localRoot)}</span>
              </li>
            ))}
          </ul>
          <p>{t(texts.filesStay)}</p>
        </>
      )}
    </ConfirmDialog>
  );
}
