import { useId, useState } from 'react';
import type { Language } from '../../shared/api/index.js';
import { LANGUAGES } from '../../shared/api/index.js';
import type { SyncApiError } from '../../shared/api/index.js';
import { useI18n } from '../i18n/I18nContext.js';
import { LANGUAGE_NAMES } from '../i18n/translate.js';
import { toApiError } from '../state/errorText.js';
import { useSyncService } from '../state/SyncServiceContext.js';
import { ErrorNotice } from './ErrorNotice.js';

/** The language picker: the choice is a preference of the service, so every window follows it. */
export function LanguageSelect({ compact }: { readonly compact?: boolean }) {
  const { api, applyPreferences, stamp } = useSyncService();
  const { t, language } = useI18n();
  const id = useId();
  const [error, setError] = useState<SyncApiError | null>(null);
  const choose = async (next: Language) => {
    setError(null);
    const sent = stamp();
    try {
      applyPreferences(await api.setPreferences({ language: next }), sent);
    } catch (caught) {
      setError(toApiError(caught));
    }
  };
  return (
    <div className={compact ? 'field field-inline' : 'field'}>
      <label htmlFor={id} className="field-label">
        {t('preferences.language')}
      </label>
      <select id={id} className="select" value={language} onChange={(event) => void choose(event.target.value as Language)}>
        {LANGUAGES.map((option) => (
          <option key={option} value={option} lang={option}>
            {LANGUAGE_NAMES[option]}
          </option>
        ))}
      </select>
      {error === null ? null : <ErrorNotice error={error} />}
    </div>
  );
}
