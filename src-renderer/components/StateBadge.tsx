import type { LibraryState } from '../../shared/api/index.js';
import { useI18n } from '../i18n/I18nContext.js';
import { stateLabel, stateTone } from '../state/libraryStatus.js';

/** A library's state in words, coloured by tone; data-state carries the exact kind for tests. */
export function StateBadge({ state }: { readonly state: LibraryState }) {
  const { t } = useI18n();
  return (
    <span className={`badge tone-${stateTone(state)}`} data-testid="library-state" data-state={state.kind}>
      <span className="badge-dot" aria-hidden="true" />
      {t(stateLabel(state))}
    </span>
  );
}
