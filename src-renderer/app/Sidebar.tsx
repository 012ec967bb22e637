import type { IconName } from '../components/Icon.js';
import { CairnMark, Icon } from '../components/Icon.js';
import type { MessageKey } from '../i18n/en.js';
import { useI18n } from '../i18n/I18nContext.js';
import { overallStatus } from '../state/libraryStatus.js';
import { allConflicts, allProblems } from '../state/syncState.js';
import { useSyncService } from '../state/SyncServiceContext.js';
import type { Section } from './navigation.js';
import { accountName } from '../state/accountName.js';

const ITEMS: readonly { readonly section: Section; readonly label: MessageKey; readonly icon: IconName }[] = [
  { section: 'libraries', label: 'nav.libraries', icon: 'libraries' },
  { section: 'activity', label: 'nav.activity', icon: 'activity' },
  { section: 'conflicts', label: 'nav.conflicts', icon: 'conflicts' },
  { section: 'problems', label: 'nav.problems', icon: 'problems' },
  { section: 'preferences', label: 'nav.preferences', icon: 'preferences' },
];

export function Sidebar({ current, onNavigate }: { readonly current: Section; readonly onNavigate: (section: Section) => void }) {
  const { state } = useSyncService();
  const { t, tn } = useI18n();
  const status = state.status;
  const counts: Partial<Record<Section, number>> = { conflicts: allConflicts(state).length, problems: allProblems(state).length };
  // While the service is out of reach, what it said last is no news about the server.
  const overall = status === null || state.connection === 'lost' ? null : overallStatus(status);
  return (
    <aside className="sidebar">
      <div className="sidebar-brand">
        <CairnMark />
        <span className="sidebar-brand-name">Cairn</span>
      </div>
      <nav aria-label={t('nav.label')}>
        <ul className="nav-list">
          {ITEMS.map((item) => {
            const count = counts[item.section] ?? 0;
            return (
              <li key={item.section}>
                <button
                  type="button"
                  className={`nav-item ${current === item.section ? 'is-current' : ''}`}
                  aria-current={current === item.section ? 'page' : undefined}
                  onClick={() => onNavigate(item.section)}
                  data-testid={`nav-${item.section}`}
                >
                  <Icon name={item.icon} />
                  <span className="nav-label">{t(item.label)}</span>
                  {count > 0 ? (
                    <span className="nav-count" aria-label={tn(item.section === 'conflicts' ? 'count.conflicts' : 'count.problems', count)}>
                      {count}
                    </span>
                  ) : null}
                </button>
              </li>
            );
          })}
        </ul>
      </nav>
      <div className="sidebar-footer">
        {state.connection === 'lost' ? (
          <p className="overall tone-error" role="status" data-testid="overall-status" data-tone="error">
            <span className="badge-dot" aria-hidden="true" />
            {t('app.serviceUnreachable')}
          </p>
        ) : null}
        {overall === null ? null : (
          <p className={`overall tone-${overall.tone}`} role="status" data-testid="overall-status" data-tone={overall.tone}>
            <span className="badge-dot" aria-hidden="true" />
            {tn(overall.key, overall.count)}
          </p>
        )}
        {status?.account ? (
          (status.accounts ?? []).length > 1 ? (
            <p className="sidebar-account" title={(status.accounts ?? []).map((account) => accountName(account)).join('\n')}>
              {tn('nav.accounts', (status.accounts ?? []).length, { device: status.account.deviceName })}
            </p>
          ) : (
            <p className="sidebar-account" title={status.account.serverUrl}>
              {t('nav.account', { user: status.account.user, device: status.account.deviceName })}
            </p>
          )
        ) : null}
      </div>
    </aside>
  );
}
