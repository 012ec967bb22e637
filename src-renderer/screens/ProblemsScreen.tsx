// Per-path trouble Cairn found, by library: what is wrong and what to do (the service's
// sentence), and since when.

import type { ProblemKind } from '../../shared/api/index.js';
import { ScreenHeading } from '../components/ScreenHeading.js';
import { useNow } from '../components/useNow.js';
import type { MessageKey } from '../i18n/en.js';
import { useI18n } from '../i18n/I18nContext.js';
import { useSyncService } from '../state/SyncServiceContext.js';

const PROBLEM_KIND_KEYS: Readonly<Record<ProblemKind, MessageKey>> = {
  symlink: 'problemKind.symlink',
  'special-file': 'problemKind.specialFile',
  unreadable: 'problemKind.unreadable',
  changing: 'problemKind.changing',
  'invalid-name': 'problemKind.invalidName',
  'case-clash': 'problemKind.caseClash',
  'illegal-local-name': 'problemKind.illegalLocalName',
  'unsafe-path': 'problemKind.unsafePath',
  'root-missing': 'problemKind.rootMissing',
  'root-emptied': 'problemKind.rootEmptied',
  'mass-delete': 'problemKind.massDelete',
  'read-only': 'problemKind.readOnly',
  other: 'problemKind.other',
};

export function ProblemsScreen() {
  const { state } = useSyncService();
  const i18n = useI18n();
  const now = useNow();
  const libraries = (state.status?.libraries ?? []).filter((library) => (state.problems[library.libraryId]?.length ?? 0) > 0);
  return (
    <section className="screen" data-testid="problems-screen">
      <ScreenHeading subtitle={i18n.t('problems.subtitle')}>{i18n.t('problems.title')}</ScreenHeading>
      {libraries.length === 0 ? (
        <div className="empty">
          <p className="empty-title">{i18n.t('problems.emptyTitle')}</p>
          <p className="muted">{i18n.t('problems.emptyText')}</p>
        </div>
      ) : (
        libraries.map((library) => (
          <section key={library.libraryId} className="card section" aria-labelledby={`problems-${library.libraryId}`}>
            <h2 id={`problems-${library.libraryId}`} className="section-title">
              {library.name}
            </h2>
            <ul className="problem-list">
              {(state.problems[library.libraryId] ?? []).map((problem) => (
                <li key={`${problem.kind}:${problem.path}:${problem.name}`} className="problem-item" data-testid="problem">
                  <p className="problem-head">
                    <span className="tag tag-attention">{i18n.t(PROBLEM_KIND_KEYS[problem.kind])}</span>
                    <span className="mono">{problem.path === '' ? (problem.name === '' ? i18n.t('problems.wholeLibrary') : problem.name) : problem.path}</span>
                  </p>
                  <p className="problem-message">{problem.message}</p>
                  <p className="muted small">{i18n.t('problems.since', { time: i18n.timeAgo(problem.firstSeenAt, now) })}</p>
                </li>
              ))}
            </ul>
          </section>
        ))
      )}
    </section>
  );
}
