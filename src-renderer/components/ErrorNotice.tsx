import type { SyncApiError } from '../../shared/api/index.js';
import { useI18n } from '../i18n/I18nContext.js';
import { connectCauseMessage, errorMessageKey, showsDetail } from '../state/errorText.js';
import type { ErrorContext } from '../state/errorText.js';

/**
 * An error of the SyncApi as the user reads it: the code's sentence, then the service's detail.
 * A connect failure (`serverUrl` given) names its cause instead, in a sentence of its own.
 */
export function ErrorNotice({
  error,
  context = 'operation',
  testId,
  serverUrl,
}: {
  readonly error: SyncApiError;
  readonly context?: ErrorContext;
  readonly testId?: string;
  readonly serverUrl?: string;
}) {
  const { t } = useI18n();
  const cause = serverUrl === undefined ? null : connectCauseMessage(error, serverUrl);
  if (cause !== null) {
    return (
      <div className="notice notice-error" role="alert" data-testid={testId} data-code={error.code} data-cause={String(error.details?.['cause'])}>
        <p>{t(cause.key, cause.params)}</p>
      </div>
    );
  }
  return (
    <div className="notice notice-error" role="alert" data-testid={testId} data-code={error.code}>
      <p>{t(errorMessageKey(error.code, context))}</p>
      {showsDetail(error.code) && error.message !== '' ? <TechnicalDetail text={error.message} /> : null}
    </div>
  );
}

/**
 * The service's own text (English, technical) for a report or a search: folded away under a
 * translated summary, so what the user reads first is always the sentence of the code.
 */
export function TechnicalDetail({ text }: { readonly text: string }) {
  const { t } = useI18n();
  return (
    <details className="notice-detail">
      <summary>{t('error.detail')}</summary>
      <span className="mono">{text}</span>
    </details>
  );
}
