// First run: connect this computer to a Cairn server. Every way the attempt can fail has its
// own sentence (see state/errorText.ts); the form checks the address before sending it.

import { useId, useState } from 'react';
import type { FormEvent } from 'react';
import type { SyncApiError } from '../../shared/api/index.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { CairnMark } from '../components/Icon.js';
import { LanguageSelect } from '../components/LanguageSelect.js';
import { ScreenHeading } from '../components/ScreenHeading.js';
import type { MessageKey } from '../i18n/en.js';
import { useI18n } from '../i18n/I18nContext.js';
import { toApiError } from '../state/errorText.js';
import { checkServerUrl } from '../state/forms.js';
import { useSyncService } from '../state/SyncServiceContext.js';

/**
 * The connect form inside another screen (Preferences → Add account, or signing an account in
 * again): its own heading and intro, no brand or language footer, and what to do once signed in.
 */
export interface EmbeddedConnect {
  readonly title: string;
  readonly intro: string;
  readonly serverUrl?: string;
  readonly user?: string;
  readonly onDone: () => void;
  readonly onCancel: () => void;
  readonly cancelLabel: string;
}

export function ConnectScreen({ embedded }: { readonly embedded?: EmbeddedConnect } = {}) {
  const { api, applyStatus, stamp } = useSyncService();
  const { t } = useI18n();
  const ids = useId();
  const [serverUrl, setServerUrl] = useState(embedded?.serverUrl ?? '');
  const [user, setUser] = useState(embedded?.user ?? '');
  const [password, setPassword] = useState('');
  const [urlProblem, setUrlProblem] = useState<MessageKey | null>(null);
  const [error, setError] = useState<SyncApiError | null>(null);
  // The address the failed attempt used (the field may have changed since): its error names it.
  const [attemptedUrl, setAttemptedUrl] = useState('');
  const [busy, setBusy] = useState(false);

  const connect = async () => {
    setBusy(true);
    setError(null);
    setAttemptedUrl(serverUrl.trim());
    try {
      await api.login({ serverUrl: serverUrl.trim(), user: user.trim(), password });
      // The service announces the new account too; reading the status now avoids waiting for it.
      const sent = stamp();
      applyStatus(await api.getStatus({}), sent);
      embedded?.onDone();
    } catch (caught) {
      setError(toApiError(caught));
      setBusy(false);
    }
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const problem = checkServerUrl(serverUrl);
    setUrlProblem(problem);
    if (problem !== null || user.trim() === '' || password === '') return;
    await connect();
  };

  const content = (
    <>
        <form className="form" onSubmit={(event) => void submit(event)} noValidate>
          <div className="field">
            <label htmlFor={`${ids}-url`} className="field-label">
              {t('connect.server')}
            </label>
            <input
              id={`${ids}-url`}
              className="input"
              type="url"
              inputMode="url"
              autoComplete="url"
              spellCheck={false}
              placeholder="https://cairn.example.com"
              value={serverUrl}
              onChange={(event) => setServerUrl(event.target.value)}
              aria-invalid={urlProblem !== null}
              aria-describedby={urlProblem === null ? `${ids}-url-hint` : `${ids}-url-problem`}
              required
            />
            {urlProblem === null ? (
              <p id={`${ids}-url-hint`} className="field-hint">
                {t('connect.serverHint')}
              </p>
            ) : (
              <p id={`${ids}-url-problem`} className="field-problem">
                {t(urlProblem)}
              </p>
            )}
          </div>
          <div className="field">
            <label htmlFor={`${ids}-user`} className="field-label">
              {t('connect.user')}
            </label>
            <input
              id={`${ids}-user`}
              className="input"
              autoComplete="username"
              autoCapitalize="none"
              spellCheck={false}
              value={user}
              onChange={(event) => setUser(event.target.value)}
              required
            />
          </div>
          <div className="field">
            <label htmlFor={`${ids}-password`} className="field-label">
              {t('connect.password')}
            </label>
            <input
              id={`${ids}-password`}
              className="input"
              type="password"
              autoComplete="current-password"
              value={password}
              onChange={(event) => setPassword(event.target.value)}
              required
            />
          </div>
          {error === null ? null : <ErrorNotice error={error} context="login" testId="connect-error" serverUrl={attemptedUrl} />}
          <div className="form-actions">
            <button type="submit" className="button button-primary" disabled={busy || serverUrl.trim() === '' || user.trim() === '' || password === ''}>
              {busy ? t('connect.connecting') : t('connect.submit')}
            </button>
            {embedded === undefined ? null : (
              <button type="button" className="button" onClick={embedded.onCancel} disabled={busy}>
                {embedded.cancelLabel}
              </button>
            )}
          </div>
        </form>
    </>
  );

  if (embedded !== undefined) {
    return (
      <section className="screen" data-testid="add-account-screen">
        <ScreenHeading>{embedded.title}</ScreenHeading>
        <p className="muted">{embedded.intro}</p>
        <div className="card section">{content}</div>
      </section>
    );
  }

  return (
    <main className="connect" data-testid="connect-screen">
      <div className="connect-card">
        <div className="connect-brand">
          <CairnMark size={40} />
          <span className="connect-brand-name">Cairn</span>
        </div>
        <ScreenHeading>{t('connect.title')}</ScreenHeading>
        <p className="muted">{t('connect.intro')}</p>
        {content}
        <div className="connect-footer">
          <LanguageSelect compact />
        </div>
      </div>
    </main>
  );
}
