// Per-path trouble Cairn found, by library: what is wrong and what to do (the service's
// sentence), and since when; each can be shown in its folder, and a path can be added to the
// library's ignore rules (which sync to every computer) so Cairn stops trying.

import { useState } from 'react';
import type { ProblemKind, ProblemView } from '../../shared/api/index.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { Notice } from '../components/Notice.js';
import { useApiAction } from '../components/useApiAction.js';
import { parentPath } from '../../shared/paths.js';
import { ignoreRuleFor } from '../state/ignoreRule.js';
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

/** Each kind's sentence in the user's language; the service's own sentence is a detail (English). */
export const PROBLEM_MESSAGE_KEYS: Readonly<Record<ProblemKind, MessageKey | null>> = {
  symlink: 'problemMessage.symlink',
  'special-file': 'problemMessage.specialFile',
  unreadable: 'problemMessage.unreadable',
  changing: 'problemMessage.changing',
  'invalid-name': 'problemMessage.invalidName',
  'case-clash': 'problemMessage.caseClash',
  'illegal-local-name': 'problemMessage.illegalLocalName',
  'unsafe-path': 'problemMessage.unsafePath',
  'root-missing': 'problemMessage.rootMissing',
  'root-emptied': 'problemMessage.rootEmptied',
  'mass-delete': 'problemMessage.massDelete',
  'read-only': 'problemMessage.readOnly',
  other: null,
};

/** Kinds whose service sentence says more than the kind (a reason, counts): shown as a detail. */
// Only a problem without a kind of its own shows the service's text; every other kind has its sentence.
const DETAILED_KINDS: ReadonlySet<ProblemKind> = new Set(['other']);

export function ProblemsScreen() {
  const { state } = useSyncService();
  const i18n = useI18n();
  const now = useNow();
  // The last rule added from here: the problem itself leaves the list once the rule applies.
  const [ignored, setIgnored] = useState<string | null>(null);
  const libraries = (state.status?.libraries ?? []).filter((library) => (state.problems[library.libraryId]?.length ?? 0) > 0);
  return (
    <section className="screen" data-testid="problems-screen">
      <ScreenHeading subtitle={i18n.t('problems.subtitle')}>{i18n.t('problems.title')}</ScreenHeading>
      {ignored === null ? null : <Notice tone="success">{i18n.t('problems.ignored', { rule: ignored })}</Notice>}
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
                  <ProblemMessage problem={problem} />
                  <p className="muted small">{i18n.t('problems.since', { time: i18n.timeAgo(problem.firstSeenAt, now) })}</p>
                  <ProblemActions problem={problem} onIgnored={setIgnored} />
                </li>
              ))}
            </ul>
          </section>
        ))
      )}
    </section>
  );
}

function ProblemActions({ problem, onIgnored }: { readonly problem: ProblemView; readonly onIgnored: (rule: string) => void }) {
  const { api } = useSyncService();
  const { t } = useI18n();
  const { busy, error, run } = useApiAction();
  const [ignored, setIgnored] = useState(false);
  if (problem.path === '') return null;
  const path = problem.path;
  const folder = parentPath(path);
  const reveal = () => run(async () => void (await api.openFolder({ libraryId: problem.libraryId, ...(folder === '' ? {} : { path: folder }) })));
  const ignore = async () => {
    const done = await run(async () => {
      const rules = await api.getIgnoreRules({ libraryId: problem.libraryId });
      const rule = ignoreRuleFor(path);
      const lines = rules.text.split(/\r?\n/);
      if (lines.includes(rule)) return;
      const text = rules.text === '' || rules.text.endsWith('\n') ? `${rules.text}${rule}\n` : `${rules.text}\n${rule}\n`;
      await api.setIgnoreRules({ libraryId: problem.libraryId, text });
    });
    if (done) {
      setIgnored(true);
      onIgnored(ignoreRuleFor(path));
    }
  };
  return (
    <>
      <div className="problem-actions">
        <button type="button" className="button button-small" disabled={busy} onClick={() => void reveal()} aria-label={t('problems.revealOf', { path })}>
          {t('problems.reveal')}
        </button>
        <button type="button" className="button button-small" disabled={busy || ignored} onClick={() => void ignore()} aria-label={t('problems.ignoreOf', { path })}>
          {t('problems.ignore')}
        </button>
      </div>
      {error === null ? null : <ErrorNotice error={error} />}
    </>
  );
}

function ProblemMessage({ problem }: { readonly problem: ProblemView }) {
  const { t } = useI18n();
  const key = PROBLEM_MESSAGE_KEYS[problem.kind];
  const subject = problem.path === '' ? problem.name : problem.path;
  return (
    <>
      <p className="problem-message" data-testid="problem-message">
        {key === null ? t('problemMessage.other') : t(key, { path: subject })}
      </p>
      {DETAILED_KINDS.has(problem.kind) && problem.message !== '' ? (
        <p className="muted small problem-detail">
          {t('error.detail')} {problem.message}
        </p>
      ) : null}
    </>
  );
}
