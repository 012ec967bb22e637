import type { SyncApiError } from '../../shared/api/index.js';
import { useI18n } from '../i18n/I18nContext.js';
import { errorMessageKey, showsDetail } from '../state/errorText.js';
import type { ErrorContext } from '../state/errorText.js';

/** An error of the SyncApi as the user reads it: the code's sentence, then the service's detail. */
export function ErrorNotice({ error, context = 'operation', testId }: { readonly error: SyncApiError; readonly context?: ErrorContext; readonly testId?: string }) {
  const { t } = useI18n();
  return (
    <div className="notice notice-error" role="alert" data-testid={testId} data-code={error.code}>
      <p>{t(errorMessageKey(error.code, context))}</p>
      {showsDetail(error.code) && error.message !== '' ? (
        <p className="notice-detail">
          {t('error.detail')} {error.message}
        </p>
      ) : null}
    </div>
  );
}
