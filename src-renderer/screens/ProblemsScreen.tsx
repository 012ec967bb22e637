// Per-path trouble Cairn found, by library: what is wrong and what to do, and since when. Each
// can be shown in its folder; a path can be added to the library's ignore rules (which sync to
// every computer) so Cairn stops trying; a badly named file can be renamed (the new name checked
// as it is typed); and a problem that is understood (a deliberate symlink) can be dismissed: it
// moves to "Dismissed", where it can be brought back, and no longer makes the library need
// attention.

import { useId, useState } from 'react';
import type { ProblemKind, ProblemView } from '../../shared/api/index.js';
import { baseName, checkPortableName, parentPath } from '../../shared/paths.js';
import type { LibraryPath, NameProblem } from '../../shared/paths.js';
import { ConfirmDialog } from '../components/ConfirmDialog.js';
import { ErrorNotice, TechnicalDetail } from '../components/ErrorNotice.js';
import { Notice } from '../components/Notice.js';
import { useApiAction } from '../components/useApiAction.js';
import { ignoreRuleFor } from '../state/ignoreRule.js';
import { ScreenHeading } from '../components/ScreenHeading.js';
import { useNow } from '../components/useNow.js';
import type { MessageKey } from '../i18n/en.js';
import { useI18n } from '../i18n/I18nContext.js';
import { useSyncService } from '../state/SyncServiceContext.js';
import { shown } from '../i18n/shown.js';

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
  'quota-exceeded': 'problemKind.quotaExceeded',
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
  'quota-exceeded': 'problemMessage.quotaExceeded',
  other: null,
};

/** Kinds whose service sentence says more than the kind (a reason, counts): shown as a detail. */
// Only a problem without a kind of its own shows the service's text; every other kind has its sentence.
const DETAILED_KINDS: ReadonlySet<ProblemKind> = new Set(['other']);

export function ProblemsScreen() {
  const { state } = useSyncService();
  const i18n = useI18n();
  const now = useNow();
  // The last rule added or rename done from here: the problem itself leaves the list once the next scan sees it.
  const [done, setDone] = useState<{ readonly key: MessageKey; readonly params: Readonly<Record<string, string>> } | null>(null);
  const synced = state.status?.libraries ?? [];
  const active = (libraryId: string) => (state.problems[libraryId] ?? []).filter((problem) => problem.dismissedAt === null);
  const libraries = synced.filter((library) => active(library.libraryId).length > 0);
  const dismissed = synced.flatMap((library) => (state.problems[library.libraryId] ?? []).filter((problem) => problem.dismissedAt !== null).map((problem) => ({ library, problem })));
  return (
    <section className="screen" data-testid="problems-screen">
      <ScreenHeading subtitle={i18n.t('problems.subtitle')}>{i18n.t('problems.title')}</ScreenHeading>
      {done === null ? null : <Notice tone="success">{i18n.t(done.key, done.params)}</Notice>}
      {libraries.length === 0 ? (
        <div className="empty">
          <p className="empty-title">{i18n.t('problems.emptyTitle')}</p>
          <p className="muted">{i18n.t('problems.emptyText')}</p>
        </div>
      ) : (
        libraries.map((library) => (
          <section key={library.libraryId} className="card section" aria-labelledby={`problems-${library.libraryId}`}>
            <h2 id={`problems-${library.libraryId}`} className="section-title">
              {shown(library.name)}
            </h2>
            <ul className="problem-list">
              {active(library.libraryId).map((problem) => (
                <li key={`${problem.kind}:${problem.path}:${problem.name}`} className="problem-item" data-testid="problem">
                  <p className="problem-head">
                    <span className="tag tag-attention">{i18n.t(PROBLEM_KIND_KEYS[problem.kind])}</span>
                    <span className="mono">{problemSubject(problem) === '' ? i18n.t('problems.wholeLibrary') : problemSubject(problem)}</span>
                  </p>
                  <ProblemMessage problem={problem} />
                  <p className="muted small">{i18n.t('problems.since', { time: i18n.timeAgo(problem.firstSeenAt, now) })}</p>
                  <ProblemActions problem={problem} onDone={setDone} />
                </li>
              ))}
            </ul>
          </section>
        ))
      )}
      {dismissed.length === 0 ? null : (
        <section className="card section" aria-labelledby="problems-dismissed" data-testid="dismissed-problems">
          <h2 id="problems-dismissed" className="section-title">
            {i18n.t('problems.dismissed.title')}
          </h2>
          <p className="muted small">{i18n.t('problems.dismissed.hint')}</p>
          <ul className="problem-list">
            {dismissed.map(({ library, problem }) => (
              <li key={`${library.libraryId}:${problem.kind}:${problem.path}:${problem.name}`} className="problem-item" data-testid="dismissed-problem">
                <p className="problem-head">
                  <span className="tag tag-dismissed">{i18n.t(PROBLEM_KIND_KEYS[problem.kind])}</span>
                  <span className="mono">{problemSubject(problem)}</span>
                  <span className="muted small">&nbsp;· {shown(library.name)}</span>
                </p>
                <p className="muted small">{i18n.t('problems.dismissed.since', { time: i18n.timeAgo(problem.dismissedAt ?? now, now) })}</p>
                <DismissButton problem={problem} dismissed />
              </li>
            ))}
          </ul>
        </section>
      )}
    </section>
  );
}

/** What a problem is about as the user reads it: its path, or for a name that is not a path, the folder and the raw name. */
function problemSubject(problem: ProblemView): string {
  if (problem.kind === 'invalid-name' && problem.name !== '') return shown(problem.path === '' ? problem.name : `${problem.path}/${problem.name}`);
  return shown(problem.path === '' ? problem.name : problem.path);
}

/** Where a problem's file is, and its name there, when it can be renamed from here (names that cannot be synced). */
function renameTarget(problem: ProblemView): { readonly folder: LibraryPath | ''; readonly name: string } | null {
  if (problem.kind === 'invalid-name' && problem.name !== '') return { folder: problem.path, name: problem.name };
  if (problem.kind === 'case-clash' && problem.path !== '') return { folder: parentPath(problem.path), name: baseName(problem.path) };
  return null;
}

/** Kinds that concern one path and can be understood and left as they are (the circuit breakers cannot). */
const DISMISSIBLE: ReadonlySet<ProblemKind> = new Set(['symlink', 'special-file', 'unreadable', 'changing', 'invalid-name', 'case-clash', 'illegal-local-name', 'unsafe-path', 'read-only', 'other']);

function DismissButton({ problem, dismissed }: { readonly problem: ProblemView; readonly dismissed: boolean }) {
  const { api } = useSyncService();
  const { t } = useI18n();
  const { busy, error, run } = useApiAction();
  const path = problemSubject(problem);
  const toggle = () =>
    run(async () => void (await api.setProblemDismissed({ libraryId: problem.libraryId, kind: problem.kind, path: problem.path, name: problem.name, dismissed: !dismissed })));
  return (
    <>
      <div className={dismissed ? 'problem-actions' : 'problem-action'}>
        <button
          type="button"
          className="button button-small"
          disabled={busy}
          onClick={() => void toggle()}
          aria-label={t(dismissed ? 'problems.restoreOf' : 'problems.dismissOf', { path })}
          data-testid={dismissed ? 'restore-problem' : 'dismiss-problem'}
        >
          {t(dismissed ? 'problems.restore' : 'problems.dismiss')}
        </button>
      </div>
      {error === null ? null : <ErrorNotice error={error} />}
    </>
  );
}

function ProblemActions({ problem, onDone }: { readonly problem: ProblemView; readonly onDone: (notice: { key: MessageKey; params: Record<string, string> }) => void }) {
  const { api } = useSyncService();
  const { t } = useI18n();
  const { busy, error, run } = useApiAction();
  const [ignored, setIgnored] = useState(false);
  const [renaming, setRenaming] = useState(false);
  const rename = renameTarget(problem);
  const subject = problemSubject(problem);
  if (subject === '') return null;
  // A name that is no path has no ignore rule; its folder is where to look.
  const path = problem.path === '' ? null : problem.path;
  const folder = rename !== null ? rename.folder : path === null ? '' : parentPath(path);
  const reveal = () => run(async () => void (await api.openFolder({ libraryId: problem.libraryId, ...(folder === '' ? {} : { path: folder }) })));
  const ignore = async (rulePath: LibraryPath) => {
    const ok = await run(async () => {
      const rules = await api.getIgnoreRules({ libraryId: problem.libraryId });
      const rule = ignoreRuleFor(rulePath);
      const lines = rules.text.split(/\r?\n/);
      if (lines.includes(rule)) return;
      const text = rules.text === '' || rules.text.endsWith('\n') ? `${rules.text}${rule}\n` : `${rules.text}\n${rule}\n`;
      await api.setIgnoreRules({ libraryId: problem.libraryId, text });
    });
    if (ok) {
      setIgnored(true);
      onDone({ key: 'problems.ignored', params: { rule: ignoreRuleFor(rulePath) } });
    }
  };
  return (
    <>
      <div className="problem-actions">
        <button type="button" className="button button-small" disabled={busy} onClick={() => void reveal()} aria-label={t('problems.revealOf', { path: subject })}>
          {t('problems.reveal')}
        </button>
        {rename === null ? null : (
          <button type="button" className="button button-small" disabled={busy} onClick={() => setRenaming(true)} aria-label={t('problems.renameOf', { path: subject })} data-testid="rename-problem">
            {t('problems.rename')}
          </button>
        )}
        {path === null || problem.kind === 'invalid-name' ? null : (
          <button type="button" className="button button-small" disabled={busy || ignored} onClick={() => void ignore(path)} aria-label={t('problems.ignoreOf', { path })}>
            {t('problems.ignore')}
          </button>
        )}
        {DISMISSIBLE.has(problem.kind) ? <DismissButton problem={problem} dismissed={false} /> : null}
      </div>
      {error === null ? null : <ErrorNotice error={error} />}
      {rename === null || !renaming ? null : (
        <RenameDialog
          libraryId={problem.libraryId}
          folder={rename.folder}
          name={rename.name}
          onClose={(renamedTo) => {
            setRenaming(false);
            if (renamedTo !== null) onDone({ key: 'problems.rename.done', params: { from: rename.name, to: renamedTo } });
          }}
        />
      )}
    </>
  );
}

const NAME_PROBLEM_KEYS: Readonly<Record<NameProblem, MessageKey>> = {
  empty: 'nameProblem.empty',
  'dot-name': 'nameProblem.dotName',
  separator: 'nameProblem.separator',
  'control-character': 'nameProblem.controlCharacter',
  'not-unicode': 'nameProblem.notUnicode',
  'windows-character': 'nameProblem.windowsCharacter',
  'windows-reserved': 'nameProblem.windowsReserved',
  'trailing-dot-or-space': 'nameProblem.trailingDotOrSpace',
  'too-long': 'nameProblem.tooLong',
};

/** A suggestion for a name that cannot be synced: each character no system takes becomes '_'. */
export function suggestedName(name: string): string {
  // eslint-disable-next-line no-control-regex
  const replaced = name.replace(/[\\/<>:"|?*\u0000-\u001f\u007f\ufffd]/g, '_').replace(/[. ]+$/, '');
  return replaced.normalize('NFC');
}

/** The rename dialog: the new name is checked as it is typed (the service checks it again, and that it is free). */
function RenameDialog({
  libraryId,
  folder,
  name,
  onClose,
}: {
  readonly libraryId: string;
  readonly folder: LibraryPath | '';
  readonly name: string;
  readonly onClose: (renamedTo: string | null) => void;
}) {
  const { api } = useSyncService();
  const { t } = useI18n();
  const ids = useId();
  const [value, setValue] = useState(() => suggestedName(name));
  const { busy, error, run } = useApiAction();
  const target = value.normalize('NFC');
  const check = checkPortableName(target);
  const problem: MessageKey | null = !check.ok ? NAME_PROBLEM_KEYS[check.problem] : target === name ? 'problems.rename.same' : null;
  const taken = error !== null && error.code === 'conflict' && error.details?.['reason'] === 'name-taken';
  const submit = async () => {
    if (problem !== null || busy) return;
    if (await run(async () => void (await api.renameLocalItem({ libraryId, folder, name, newName: target })))) onClose(target);
  };
  return (
    <ConfirmDialog
      open
      title={t('problems.rename.title', { name })}
      confirmLabel={t('problems.rename.confirm')}
      cancelLabel={t('problems.rename.cancel')}
      busy={busy}
      confirmDisabled={problem !== null}
      onConfirm={() => void submit()}
      onCancel={() => onClose(null)}
    >
      <div className="field">
        <label htmlFor={`${ids}-name`} className="field-label">
          {t('problems.rename.label')}
        </label>
        <input
          id={`${ids}-name`}
          className="input mono"
          spellCheck={false}
          value={value}
          onChange={(event) => setValue(event.target.value)}
          onKeyDown={(event) => {
            if (event.key === 'Enter') {
              event.preventDefault();
              void submit();
            }
          }}
          aria-invalid={problem !== null || taken}
          aria-describedby={`${ids}-check`}
          data-testid="rename-input"
        />
        <p id={`${ids}-check`} className={problem !== null || taken ? 'field-problem' : 'field-hint'} data-testid="rename-check">
          {taken ? t('problems.rename.taken') : problem !== null ? t(problem) : t('problems.rename.hint')}
        </p>
      </div>
      {error === null || taken ? null : <ErrorNotice error={error} />}
    </ConfirmDialog>
  );
}

function ProblemMessage({ problem }: { readonly problem: ProblemView }) {
  const i18n = useI18n();
  const { t } = i18n;
  const { state } = useSyncService();
  const key = PROBLEM_MESSAGE_KEYS[problem.kind];
  const subject = problemSubject(problem);
  // A full storage: the owner's figures as the server gave them when it last refused files.
  const full = problem.kind === 'quota-exceeded' ? (state.status?.libraries.find((library) => library.libraryId === problem.libraryId)?.storageFull ?? null) : null;
  return (
    <>
      <p className="problem-message" data-testid="problem-message">
        {key === null
          ? t('problemMessage.other')
          : problem.kind === 'quota-exceeded'
            ? full === null
              ? t('problemMessage.quotaExceededNoFigures', { path: subject })
              : t(key, { path: subject, used: i18n.bytes(full.usedBytes), quota: i18n.bytes(full.quotaBytes) })
            : t(key, { path: subject })}
      </p>
      {DETAILED_KINDS.has(problem.kind) && problem.message !== '' ? <TechnicalDetail text={problem.message} /> : null}
    </>
  );
}
