// Preferences: language (switches at once), start at login, notifications, bandwidth limits,
// and the account this computer is connected with.

import { useEffect, useId, useState } from 'react';
import type { Preferences, SyncApiError, Theme } from '../../shared/api/index.js';
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
import { StorageSection } from './StorageSection.js';

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
          <AccountSection />
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

function AccountSection() {
  const { api, state, applyStatus, stamp } = useSyncService();
  const { t } = useI18n();
  const ids = useId();
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<SyncApiError | null>(null);
  const account = state.status?.account ?? null;
  if (account === null) return null;
  const logout = async () => {
    setBusy(true);
    setError(null);
    try {
      await api.logout({});
      const sent = stamp();
      applyStatus(await api.getStatus({}), sent);
    } catch (caught) {
      setError(toApiError(caught));
      setBusy(false);
      setAsking(false);
    }
  };
  return (
    <section className="card section" aria-labelledby={`${ids}-account`}>
      <h2 id={`${ids}-account`} className="section-title">
        {t('preferences.account')}
      </h2>
      <dl className="facts">
        <div>
          <dt>{t('preferences.server')}</dt>
          <dd className="mono">{account.serverUrl}</dd>
        </div>
        <div>
          <dt>{t('preferences.user')}</dt>
          <dd>{account.user}</dd>
        </div>
        <div>
          <dt>{t('preferences.device')}</dt>
          <dd>{account.deviceName}</dd>
        </div>
      </dl>
      {error === null ? null : <ErrorNotice error={error} />}
      <div className="form-actions">
        <button type="button" className="button button-danger-outline" onClick={() => setAsking(true)}>
          {t('preferences.logout')}
        </button>
      </div>
      <ConfirmDialog
        open={asking}
        title={t('preferences.logoutTitle')}
        confirmLabel={t('preferences.logoutConfirm')}
        cancelLabel={t('common.cancel')}
        danger
        busy={busy}
        onConfirm={() => void logout()}
        onCancel={() => setAsking(false)}
      >
        <p>{t('preferences.logoutText')}</p>
      </ConfirmDialog>
    </section>
  );
}
