// One library's settings: which folders sync, the ignore rules, automatic merges of text
// conflicts, pause, and removing it from this computer (its files stay on disk).

import { useEffect, useId, useState } from 'react';
import type { IgnorePreview, IgnoreRuleProblem, LibraryView, SelectionLeaving, SyncApiError, TrashItemView } from '../../shared/api/index.js';
import { useLeaveGuard } from '../app/leaveGuard.js';
import { SharingSection } from './SharingSection.js';
import { SnapshotSection } from './SnapshotSection.js';
import type { LibraryPath } from '../../shared/paths.js';
import { ConfirmDialog } from '../components/ConfirmDialog.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { FolderTree } from '../components/FolderTree.js';
import { Icon } from '../components/Icon.js';
import { Notice } from '../components/Notice.js';
import { ScreenHeading } from '../components/ScreenHeading.js';
import { StateBadge } from '../components/StateBadge.js';
import { useApiAction } from '../components/useApiAction.js';
import type { MessageKey } from '../i18n/en.js';
import { useI18n } from '../i18n/I18nContext.js';
import { toApiError } from '../state/errorText.js';
import { normalizeSelection } from '../state/folderSelection.js';
import { isPaused } from '../state/libraryStatus.js';
import { useSyncService } from '../state/SyncServiceContext.js';
import { shown } from '../i18n/shown.js';

function sameSelection(a: readonly LibraryPath[] | null, b: readonly LibraryPath[] | null): boolean {
  if (a === null || b === null) return a === b;
  const left = normalizeSelection(a);
  const right = normalizeSelection(b);
  return left.length === right.length && left.every((path, index) => path === right[index]);
}

export function LibrarySettingsScreen({
  library,
  onBack,
  onHistory,
  onFiles,
  onRemoved,
  onLeft,
}: {
  readonly library: LibraryView;
  readonly onBack: () => void;
  readonly onHistory: (path: LibraryPath) => void;
  /** Opens the library's file browser. */
  readonly onFiles: () => void;
  readonly onRemoved: (name: string, folder: string) => void;
  /** The user left the shared library (and it is no longer synced here). */
  readonly onLeft: (name: string, folder: string) => void;
}) {
  const { t } = useI18n();
  return (
    <section className="screen" data-testid="library-settings-screen">
      <ScreenHeading
        subtitle={<span className="mono">{library.localRoot}</span>}
        actions={
          <>
            <button type="button" className="button" onClick={onFiles} aria-label={t('files.openOf', { name: library.name })}>
              {t('files.open')}
            </button>
            <button type="button" className="button button-quiet" onClick={onBack}>
              <Icon name="back" />
              {t('settings.back')}
            </button>
          </>
        }
      >
        {shown(library.name)}
      </ScreenHeading>
      <div className="stack">
        <StatusSection library={library} />
        <SelectionSection library={library} />
        <SharingSection library={library} onLeft={onLeft} />
        <TrashSection libraryId={library.libraryId} onHistory={onHistory} />
        <SnapshotSection libraryId={library.libraryId} />
        <IgnoreRulesSection libraryId={library.libraryId} />
        <AutoMergeSection library={library} />
        <RemoveSection library={library} onRemoved={onRemoved} />
      </div>
    </section>
  );
}

function StatusSection({ library }: { readonly library: LibraryView }) {
  const { api, applyLibrary, stamp } = useSyncService();
  const { t } = useI18n();
  const { busy, error, run } = useApiAction();
  const paused = isPaused(library.state);
  const toggle = () =>
    run(async () => {
      const sent = stamp();
      applyLibrary(paused ? await api.resumeLibrary({ libraryId: library.libraryId }) : await api.pauseLibrary({ libraryId: library.libraryId }), sent);
    });
  return (
    <section className="card section" aria-labelledby={`status-${library.libraryId}`}>
      <h2 id={`status-${library.libraryId}`} className="section-title">
        {t('settings.status')}
      </h2>
      <div className="section-row">
        <StateBadge state={library.state} />
        {library.state.kind === 'paused' && library.state.reason === 'all-paused' ? (
          <p className="muted">{t('settings.allPausedHint')}</p>
        ) : (
          <button type="button" className="button" disabled={busy} onClick={() => void toggle()}>
            <Icon name={paused ? 'play' : 'pause'} />
            {t(paused ? 'library.resume' : 'library.pause')}
          </button>
        )}
      </div>
      {error === null ? null : <ErrorNotice error={error} />}
    </section>
  );
}

function SelectionSection({ library }: { readonly library: LibraryView }) {
  const { api, applyLibrary, stamp } = useSyncService();
  const { t, tn, bytes } = useI18n();
  const ids = useId();
  const [mode, setMode] = useState<'all' | 'some'>(library.selection === null ? 'all' : 'some');
  const [selection, setSelection] = useState<LibraryPath[]>(library.selection === null ? [] : normalizeSelection(library.selection as LibraryPath[]));
  const { busy, error, run } = useApiAction();
  const [saved, setSaved] = useState(false);
  const wanted = mode === 'all' ? null : selection;
  const changed = !sameSelection(wanted, library.selection as LibraryPath[] | null);
  // What the new selection takes off this computer, while the user is asked about it.
  const [leaving, setLeaving] = useState<readonly SelectionLeaving[] | null>(null);
  useLeaveGuard(`selection:${library.libraryId}`, changed ? t('leave.whatSelection') : null);

  const apply = async () => {
    setLeaving(null);
    const sent = stamp();
    setSaved(await run(async () => applyLibrary(await api.setSelection({ libraryId: library.libraryId, selection: wanted }), sent)));
  };
  const save = async () => {
    setSaved(false);
    let preview: readonly SelectionLeaving[] = [];
    const asked = await run(async () => {
      preview = (await api.previewSelection({ libraryId: library.libraryId, selection: wanted })).leaving;
    });
    if (!asked) return;
    if (preview.length > 0) setLeaving(preview);
    else await apply();
  };
  const leavingFiles = leaving?.reduce((sum, group) => sum + group.files, 0) ?? 0;
  const leavingBytes = leaving?.reduce((sum, group) => sum + group.bytes, 0) ?? 0;

  return (
    <section className="card section" aria-labelledby={`${ids}-title`}>
      <h2 id={`${ids}-title`} className="section-title">
        {t('settings.selection')}
      </h2>
      <div className="radio-row">
        <label className="radio">
          <input type="radio" name={`${ids}-mode`} checked={mode === 'all'} onChange={() => (setMode('all'), setSaved(false))} />
          {t('selection.whole')}
        </label>
        <label className="radio">
          <input type="radio" name={`${ids}-mode`} checked={mode === 'some'} onChange={() => (setMode('some'), setSaved(false))} />
          {t('selection.some')}
        </label>
      </div>
      {mode === 'some' ? (
        <FolderTree
          libraryId={library.libraryId}
          selection={selection}
          onChange={(next) => {
            setSelection(next);
            setSaved(false);
          }}
          label={t('selection.treeLabel', { name: library.name })}
        />
      ) : null}
      <p className="field-hint">{t('selection.safety')}</p>
      {error === null ? null : <ErrorNotice error={error} />}
      {saved && !changed ? <Notice tone="success">{t('selection.saved')}</Notice> : null}
      <div className="form-actions">
        <button type="button" className="button button-primary" disabled={busy || !changed || (mode === 'some' && selection.length === 0)} onClick={() => void save()}>
          {t('selection.save')}
        </button>
      </div>
      <ConfirmDialog
        open={leaving !== null}
        title={t('selection.confirmTitle', { files: tn('count.files', leavingFiles), bytes: bytes(leavingBytes) })}
        confirmLabel={t('selection.confirm')}
        cancelLabel={t('common.cancel')}
        danger
        busy={busy}
        onConfirm={() => void apply()}
        onCancel={() => setLeaving(null)}
      >
        <p>{t('selection.confirmText')}</p>
        <ul className="leaving-list" data-testid="selection-leaving">
          {(leaving ?? []).map((group) => (
            <li key={group.path}>
              <span className="mono">{shown(group.path)}</span> <span className="muted">{t('selection.leavingGroup', { files: tn('count.files', group.files), bytes: bytes(group.bytes) })}</span>
            </li>
          ))}
        </ul>
      </ConfirmDialog>
    </section>
  );
}

/** The library's trash on the server: deleted files and folders, each restorable. */
function TrashSection({ libraryId, onHistory }: { readonly libraryId: string; readonly onHistory: (path: LibraryPath) => void }) {
  const { api } = useSyncService();
  const i18n = useI18n();
  const { t } = i18n;
  const ids = useId();
  const [trash, setTrash] = useState<{ readonly items: readonly TrashItemView[]; readonly hasMore: boolean } | null>(null);
  const [restored, setRestored] = useState<string | null>(null);
  const { busy, error, run } = useApiAction();
  const load = () => run(async () => setTrash(await api.listTrash({ libraryId })));
  const restore = async (item: TrashItemView) => {
    setRestored(null);
    const done = await run(async () => {
      await api.restoreVersion({ libraryId, path: item.path, rev: item.lastLiveRev });
    });
    if (done) {
      setRestored(item.path);
      await load();
    }
  };
  return (
    <section className="card section" aria-labelledby={`${ids}-title`} data-testid="trash-section">
      <h2 id={`${ids}-title`} className="section-title">
        {t('trash.title')}
      </h2>
      <p className="muted">{t('trash.intro')}</p>
      {error === null ? null : <ErrorNotice error={error} />}
      {restored === null ? null : <Notice tone="success">{t('trash.restored', { path: restored })}</Notice>}
      {trash === null ? (
        <div className="form-actions">
          <button type="button" className="button" disabled={busy} onClick={() => void load()}>
            {busy ? t('common.loading') : t('trash.show')}
          </button>
        </div>
      ) : trash.items.length === 0 ? (
        <p className="muted">{t('trash.empty')}</p>
      ) : (
        <ul className="trash-list">
          {trash.items.map((item) => (
            <li key={item.path} className="trash-item" data-testid="trash-item" data-path={item.path}>
              <div className="trash-main">
                <span className="mono">
                  {shown(item.path)}
                  {item.kind === 'dir' ? '/' : ''}
                </span>
                <span className="muted small"> · {t('trash.deleted', { time: i18n.exactTime(item.deletedAt), user: item.deletedBy, device: item.deletedOn })}</span>
                {item.kind === 'file' ? <span className="muted small"> · {i18n.bytes(item.size)}</span> : null}
              </div>
              <button type="button" className="button button-small button-quiet" aria-label={t('history.openOf', { path: item.path })} onClick={() => onHistory(item.path)}>
                {t('history.open')}
              </button>
              <button type="button" className="button button-small" disabled={busy} aria-label={t('trash.restoreOf', { path: item.path })} onClick={() => void restore(item)}>
                {t('trash.restore')}
              </button>
            </li>
          ))}
        </ul>
      )}
      {trash?.hasMore ? <p className="muted small">{t('trash.more')}</p> : null}
    </section>
  );
}

function IgnoreRulesSection({ libraryId }: { readonly libraryId: string }) {
  const { api } = useSyncService();
  const { t } = useI18n();
  const ids = useId();
  const [text, setText] = useState<string | null>(null);
  const [savedText, setSavedText] = useState<string | null>(null);
  const { busy, error: saveError, run } = useApiAction();
  const [loadError, setLoadError] = useState<SyncApiError | null>(null);
  const [saved, setSaved] = useState(false);
  // Saving needs the rules loaded first, so at most one of the two errors is ever set.
  const error = saveError ?? loadError;

  useEffect(() => {
    let current = true;
    api.getIgnoreRules({ libraryId }).then(
      (rules) => {
        if (!current) return;
        setText(rules.text);
        setSavedText(rules.text);
      },
      (caught: unknown) => current && setLoadError(toApiError(caught)),
    );
    return () => {
      current = false;
    };
  }, [api, libraryId]);

  const save = async () => {
    if (text === null) return;
    setSaved(false);
    setSaved(
      await run(async () => {
        const rules = await api.setIgnoreRules({ libraryId, text });
        setSavedText(rules.text);
      }),
    );
  };

  return (
    <section className="card section" aria-labelledby={`${ids}-title`}>
      <h2 id={`${ids}-title`} className="section-title">
        {t('settings.ignore')}
      </h2>
      <label htmlFor={`${ids}-rules`} className="field-label">
        {t('ignore.label')}
      </label>
      <textarea
        id={`${ids}-rules`}
        className="textarea input-mono"
        rows={6}
        spellCheck={false}
        value={text ?? ''}
        disabled={text === null}
        placeholder={t('ignore.placeholder')}
        onChange={(event) => {
          setText(event.target.value);
          setSaved(false);
        }}
        aria-describedby={`${ids}-hint`}
      />
      <p id={`${ids}-hint`} className="field-hint">
        {t('ignore.hint')}
      </p>
      <p className="field-hint" data-testid="ignore-syncs">
        {t('ignore.syncs')}
      </p>
      {text === null ? null : <IgnorePreviewPanel libraryId={libraryId} text={text} />}
      {error === null ? null : <ErrorNotice error={error} />}
      {saved && text === savedText ? <Notice tone="success">{t('ignore.saved')}</Notice> : null}
      <div className="form-actions">
        <button type="button" className="button button-primary" disabled={busy || text === null || text === savedText} onClick={() => void save()}>
          {t('ignore.save')}
        </button>
      </div>
    </section>
  );
}

/** How long typing pauses before the rules are checked (each check reads the library's index). */
const IGNORE_CHECK_DELAY_MS = 250;

const IGNORE_PROBLEM_KEYS: Readonly<Record<IgnoreRuleProblem, MessageKey>> = {
  backslash: 'ignore.problem.backslash',
  absolute: 'ignore.problem.absolute',
  'unclosed-bracket': 'ignore.problem.unclosedBracket',
  'backward-range': 'ignore.problem.backwardRange',
  'empty-negation': 'ignore.problem.emptyNegation',
  'too-long': 'ignore.problem.tooLong',
};

/** The rules being typed, checked: lines that are not what they seem, and what they match among the files synced here. */
function IgnorePreviewPanel({ libraryId, text }: { readonly libraryId: string; readonly text: string }) {
  const { api } = useSyncService();
  const { t, tn } = useI18n();
  const [preview, setPreview] = useState<{ readonly text: string; readonly answer: IgnorePreview } | null>(null);
  const [error, setError] = useState<SyncApiError | null>(null);
  useEffect(() => {
    let current = true;
    const timer = setTimeout(() => {
      api.previewIgnoreRules({ libraryId, text }).then(
        (answer) => {
          if (!current) return;
          setError(null);
          setPreview({ text, answer });
        },
        (caught: unknown) => current && setError(toApiError(caught)),
      );
    }, IGNORE_CHECK_DELAY_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [api, libraryId, text]);
  if (error !== null) return <ErrorNotice error={error} />;
  if (preview === null) return <p className="muted small">{t('ignore.preview.checking')}</p>;
  const { issues, matchCount, matches } = preview.answer;
  return (
    <div className="ignore-preview" data-testid="ignore-preview" aria-live="polite" data-current={preview.text === text}>
      {issues.length === 0 ? null : (
        <ul className="ignore-issues" data-testid="ignore-issues">
          {issues.map((issue) => (
            <li key={issue.line} className="field-problem" data-line={issue.line}>
              {t('ignore.line', { line: issue.line })} {t(IGNORE_PROBLEM_KEYS[issue.problem])}
            </li>
          ))}
        </ul>
      )}
      <p className="field-label">{t('ignore.preview.title')}</p>
      <p className="muted small" data-testid="ignore-match-count" data-count={matchCount}>
        {matchCount === 0 ? t('ignore.preview.none') : tn('ignore.preview.matches', matchCount)}
      </p>
      {matches.length === 0 ? null : (
        <ul className="ignore-matches mono small" data-testid="ignore-matches">
          {matches.map((match) => (
            <li key={match}>{match}</li>
          ))}
        </ul>
      )}
      {matchCount > matches.length ? <p className="muted small">{t('ignore.preview.more', { count: matchCount - matches.length })}</p> : null}
    </div>
  );
}

function AutoMergeSection({ library }: { readonly library: LibraryView }) {
  const { api, applyLibrary, stamp } = useSyncService();
  const { t } = useI18n();
  const ids = useId();
  // What the user asked for shows at once; the library's view confirms it (or an error undoes it).
  const [asked, setAsked] = useState<boolean | null>(null);
  const [error, setError] = useState<SyncApiError | null>(null);
  const toggle = async (autoMerge: boolean) => {
    setAsked(autoMerge);
    setError(null);
    const sent = stamp();
    try {
      applyLibrary(await api.setAutoMerge({ libraryId: library.libraryId, autoMerge }), sent);
    } catch (caught) {
      setError(toApiError(caught));
    } finally {
      setAsked(null);
    }
  };
  return (
    <section className="card section" aria-labelledby={`${ids}-title`}>
      <h2 id={`${ids}-title`} className="section-title">
        {t('settings.conflicts')}
      </h2>
      <label className="check">
        <input type="checkbox" checked={asked ?? library.autoMerge} disabled={asked !== null} onChange={(event) => void toggle(event.target.checked)} aria-describedby={`${ids}-hint`} data-testid="auto-merge" />
        <span>
          {t('autoMerge.label')}
          <span id={`${ids}-hint`} className="check-hint">
            {t('autoMerge.hint')}
          </span>
        </span>
      </label>
      {error === null ? null : <ErrorNotice error={error} />}
    </section>
  );
}

function RemoveSection({ library, onRemoved }: { readonly library: LibraryView; readonly onRemoved: (name: string, folder: string) => void }) {
  const { api, forgetLibrary } = useSyncService();
  const { t } = useI18n();
  const ids = useId();
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<SyncApiError | null>(null);
  const remove = async () => {
    setBusy(true);
    setError(null);
    try {
      const removed = await api.removeLibrary({ libraryId: library.libraryId });
      setAsking(false);
      forgetLibrary(removed.libraryId);
      onRemoved(removed.name, removed.localRoot);
    } catch (caught) {
      setError(toApiError(caught));
      setAsking(false);
      setBusy(false);
    }
  };
  return (
    <section className="card section section-danger" aria-labelledby={`${ids}-title`}>
      <h2 id={`${ids}-title`} className="section-title">
        {t('remove.title')}
      </h2>
      <p>{t('remove.text', { folder: library.localRoot })}</p>
      {error === null ? null : <ErrorNotice error={error} />}
      <div className="form-actions">
        <button type="button" className="button button-danger-outline" onClick={() => setAsking(true)}>
          {t('remove.button')}
        </button>
      </div>
      <ConfirmDialog
        open={asking}
        title={t('remove.confirmTitle', { name: library.name })}
        confirmLabel={t('remove.confirm')}
        cancelLabel={t('common.cancel')}
        danger
        busy={busy}
        onConfirm={() => void remove()}
        onCancel={() => setAsking(false)}
      >
        <p>{t('remove.confirmText', { folder: library.localRoot })}</p>
      </ConfirmDialog>
    </section>
  );
}
