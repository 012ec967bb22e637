// One conflict, compared and resolved. It reads the conflict's details (both versions, the
// version both started from, a preview), lets the user pick a way out (keep mine, theirs,
// both, or a merge shown before it is applied, with a choice for every overlapping region),
// and applies it with the preview's version tokens: if a file changed meanwhile, the service
// refuses, and the dialog says so and shows the files as they are now. "Apply this choice to
// all similar conflicts" then resolves the others like it in one batch and lists how each went.

import type { LibraryPath } from '../../shared/paths.js';
import { useEffect, useEffectEvent, useId, useState } from 'react';
import type { ApiErrorCode, ConflictDetails, ConflictView, KeepChoice, ResolveConflictRequest, SyncApiError } from '../../shared/api/index.js';
import type { ConflictChoice } from '../../shared/merge/index.js';
import { ConfirmDialog } from '../components/ConfirmDialog.js';
import { ErrorNotice, TechnicalDetail } from '../components/ErrorNotice.js';
import { Icon } from '../components/Icon.js';
import { Notice } from '../components/Notice.js';
import { ScreenHeading } from '../components/ScreenHeading.js';
import { useNow } from '../components/useNow.js';
import { useI18n } from '../i18n/I18nContext.js';
import { toApiError } from '../state/errorText.js';
import { allConflicts } from '../state/syncState.js';
import { useSyncService } from '../state/SyncServiceContext.js';
import { BaseLine, PreviewView, VersionsTable } from './ConflictPreview.js';
import { batchRequests, canApplyToSimilar, hasCopy, mergeOf, resolutionOptions, resolveRequest, similarConflicts } from './conflictResolution.js';
import type { KeepWording } from './conflictText.js';
import { conflictKindKey, fileNameOf, keepTextKey, keepTitle, keepWording, outcomeErrorKey, resolvedKey, unavailableKey } from './conflictText.js';
import { escapeGoesBack, keyTargetOf } from './escapeKey.js';
import { MergePanel } from './MergePanel.js';
import type { MergeChoices } from './mergeChoices.js';
import { noChoices, unchosenRegions, withChoice } from './mergeChoices.js';
import { shown } from '../i18n/shown.js';

type Loading = { readonly kind: 'loading' } | { readonly kind: 'loaded'; readonly details: ConflictDetails } | { readonly kind: 'failed'; readonly error: SyncApiError };

/** How one conflict of an "apply to all similar" went. */
export interface OutcomeRow {
  readonly conflictId: number;
  readonly path: string;
  readonly outcome: 'resolved' | 'failed';
  readonly error: { readonly code: ApiErrorCode; readonly message: string } | null;
}

type Phase = { readonly kind: 'deciding' } | { readonly kind: 'applying' } | { readonly kind: 'done'; readonly keep: KeepChoice; readonly wording: KeepWording; readonly outcomes: readonly OutcomeRow[] };

export function ConflictDialog({
  conflictId,
  onBack,
  onResolved,
  onOpen,
  onHistory,
}: {
  readonly conflictId: number;
  /** Opens the history of the conflicting path. */
  readonly onHistory: (libraryId: string, path: LibraryPath) => void;
  readonly onBack: () => void;
  /** A single conflict was resolved: back to the list with this message. */
  readonly onResolved: (message: string) => void;
  readonly onOpen: (conflictId: number) => void;
}) {
  const { api, state } = useSyncService();
  const i18n = useI18n();
  const { t } = i18n;
  const now = useNow();
  const ids = useId();
  const [loading, setLoading] = useState<Loading>({ kind: 'loading' });
  const [reloads, setReloads] = useState(0);
  const [keep, setKeep] = useState<KeepChoice | null>(null);
  const [choices, setChoices] = useState<MergeChoices>([]);
  const [applyToSimilar, setApplyToSimilar] = useState(false);
  const [phase, setPhase] = useState<Phase>({ kind: 'deciding' });
  const [changed, setChanged] = useState<SyncApiError | null>(null);
  const [error, setError] = useState<SyncApiError | null>(null);

  useEffect(() => {
    let current = true;
    api.getConflictDetails({ conflictId }).then(
      (details) => {
        if (!current) return;
        setLoading({ kind: 'loaded', details });
        // A merge is decided afresh on every preview: its regions may differ from the last one.
        const merge = mergeOf(details);
        setChoices(merge === null ? [] : noChoices(merge));
        setKeep((chosen) => (chosen !== null && resolutionOptions(details).some((option) => option.keep === chosen && option.unavailable === null) ? chosen : null));
      },
      (caught: unknown) => current && setLoading({ kind: 'failed', error: toApiError(caught) }),
    );
    return () => {
      current = false;
    };
  }, [api, conflictId, reloads]);

  // Escape goes back to the list, as the Back button does (see escapeKey.ts for when it does not).
  const onEscape = useEffectEvent((event: KeyboardEvent) => {
    if (!escapeGoesBack(event, keyTargetOf(event.target))) return;
    event.preventDefault();
    onBack();
  });
  useEffect(() => {
    const listener = (event: KeyboardEvent): void => onEscape(event);
    window.addEventListener('keydown', listener);
    return () => window.removeEventListener('keydown', listener);
  }, []);

  if (phase.kind === 'done') return <BatchOutcome keep={phase.keep} wording={phase.wording} outcomes={phase.outcomes} onBack={onBack} onOpen={onOpen} />;

  const conflicts = allConflicts(state);
  const listed = conflicts.find((candidate) => candidate.conflictId === conflictId);
  const details = loading.kind === 'loaded' ? loading.details : null;
  const view: ConflictView | null = details?.conflict ?? listed ?? null;
  // Resolved meanwhile (by another window or the command line), or never open.
  const libraryList = view === null ? undefined : state.conflicts[view.libraryId];
  const gone = (loading.kind === 'failed' && loading.error.code === 'not-found') || (phase.kind === 'deciding' && view !== null && libraryList !== undefined && listed === undefined);

  const back = (
    <>
      {view === null ? null : (
        <button type="button" className="button button-quiet" onClick={() => onHistory(view.libraryId, view.path)} data-testid="conflict-history">
          {t('history.open')}
        </button>
      )}
      <button type="button" className="button button-quiet" onClick={onBack}>
        <Icon name="back" />
        {t('conflict.back')}
      </button>
    </>
  );
  const subtitle =
    view === null ? undefined : (
      <span className="conflict-subtitle">
        <span>{t('conflict.subtitle', { library: view.libraryName, time: i18n.timeAgo(view.createdAt, now) })}</span>
        <span className="tag">{t(conflictKindKey(view))}</span>
      </span>
    );

  return (
    <section className="screen conflict-dialog" data-testid="conflict-dialog" data-conflict-id={conflictId}>
      <ScreenHeading subtitle={subtitle} actions={back}>
        <span className="mono conflict-title">{view?.path ?? t('conflicts.title')}</span>
      </ScreenHeading>
      {gone ? (
        <Notice tone="info" testId="conflict-gone">
          {t('conflict.gone')}
        </Notice>
      ) : null}
      {loading.kind === 'loading' ? <p className="muted">{t('common.loading')}</p> : null}
      {loading.kind === 'failed' && !gone ? (
        <>
          <ErrorNotice error={loading.error} />
          <div className="form-actions form-actions-start">
            <button type="button" className="button" onClick={() => (setLoading({ kind: 'loading' }), setReloads((count) => count + 1))}>
              {t('common.retry')}
            </button>
          </div>
        </>
      ) : null}
      {details === null || gone ? null : (
        <Decision
          details={details}
          conflicts={conflicts}
          keep={keep}
          onKeep={setKeep}
          choices={choices}
          onChoose={(index, choice) => setChoices((current) => withChoice(current, index, choice))}
          applyToSimilar={applyToSimilar}
          onApplyToSimilar={setApplyToSimilar}
          applying={phase.kind === 'applying'}
          changed={changed}
          error={error}
          now={now}
          idPrefix={ids}
          onApply={async (request, others) => {
            setPhase({ kind: 'applying' });
            setError(null);
            setChanged(null);
            try {
              await api.resolveConflict(request);
            } catch (caught) {
              const failure = toApiError(caught);
              if (failure.code === 'conflict') {
                // A file changed since the preview (or is not on the server yet): show it as it is now.
                setChanged(failure);
                setReloads((count) => count + 1);
              } else {
                setError(failure);
              }
              setPhase({ kind: 'deciding' });
              return;
            }
            const path = details.conflict.path;
            const wording = keepWording(details.local, details.remote, state.status?.account?.deviceName ?? null);
            if (others.length === 0) {
              const keptFrom = wording.neutral && hasCopy(details) ? (request.keep === 'local' ? wording.local : request.keep === 'remote' ? wording.remote : null) : null;
              onResolved(keptFrom === null ? t(resolvedKey(request.keep, hasCopy(details)), { path }) : t('conflict.done.kept', { path, device: keptFrom }));
              return;
            }
            const outcomes: OutcomeRow[] = [{ conflictId: request.conflictId, path, outcome: 'resolved', error: null }];
            const paths = new Map(others.map((other) => [other.conflictId, other.path]));
            for (const batch of batchRequests(others.map((other) => other.conflictId), request.keep)) {
              try {
                const { results } = await api.resolveConflicts(batch);
                for (const result of results) {
                  outcomes.push({
                    conflictId: result.conflictId,
                    path: paths.get(result.conflictId) ?? String(result.conflictId),
                    outcome: result.outcome,
                    error: result.outcome === 'failed' ? result.error : null,
                  });
                }
              } catch (caught) {
                const failure = toApiError(caught);
                for (const id of batch.conflictIds) outcomes.push({ conflictId: id, path: paths.get(id) ?? String(id), outcome: 'failed', error: { code: failure.code, message: failure.message } });
              }
            }
            setPhase({ kind: 'done', keep: request.keep, wording, outcomes });
          }}
        />
      )}
      {gone ? (
        <div className="form-actions form-actions-start">
          <button type="button" className="button button-primary" onClick={onBack}>
            {t('conflict.back')}
          </button>
        </div>
      ) : null}
    </section>
  );
}

function Decision({
  details,
  conflicts,
  keep,
  onKeep,
  choices,
  onChoose,
  applyToSimilar,
  onApplyToSimilar,
  applying,
  changed,
  error,
  now,
  idPrefix,
  onApply,
}: {
  readonly details: ConflictDetails;
  readonly conflicts: readonly ConflictView[];
  readonly keep: KeepChoice | null;
  readonly onKeep: (keep: KeepChoice) => void;
  readonly choices: MergeChoices;
  readonly onChoose: (index: number, choice: ConflictChoice) => void;
  readonly applyToSimilar: boolean;
  readonly onApplyToSimilar: (on: boolean) => void;
  readonly applying: boolean;
  readonly changed: SyncApiError | null;
  readonly error: SyncApiError | null;
  readonly now: number;
  readonly idPrefix: string;
  readonly onApply: (request: ResolveConflictRequest, others: readonly ConflictView[]) => Promise<void>;
}) {
  const { t, tn } = useI18n();
  const { state } = useSyncService();
  const [confirming, setConfirming] = useState(false);
  const conflict = details.conflict;
  const copy = hasCopy(details);
  // Away from the computer that found the conflict, neither version is "mine": each is named by the computer it came from.
  const wording = keepWording(details.local, details.remote, state.status?.account?.deviceName ?? null);
  const optionTitle = (option: KeepChoice): string => keepTitle(option, copy, wording, t);
  const optionText = (option: KeepChoice): string => {
    if (!wording.neutral || !copy) return t(keepTextKey(option, copy), names);
    switch (option) {
      case 'local':
        return t('conflict.keep.local.text', { ...names, device: wording.local });
      case 'remote':
        return t('conflict.keep.remote.text', { ...names, device: wording.remote });
      case 'both':
        return t('conflict.keep.both.text', { ...names, local: wording.local, remote: wording.remote });
      case 'merged':
        return t('conflict.keep.merged.text', names);
      default:
        return option satisfies never;
    }
  };
  const names = { name: fileNameOf(conflict.path), copy: conflict.conflictPath === null ? '' : fileNameOf(conflict.conflictPath) };
  const options = resolutionOptions(details);
  const merge = mergeOf(details);
  const request = keep === null ? null : resolveRequest(details, keep, choices);
  const similar = keep !== null && canApplyToSimilar(details, keep) ? similarConflicts(conflict, conflicts, keep) : [];
  const batch = applyToSimilar && similar.length > 0;
  const waiting = keep === 'merged' ? unchosenRegions(choices).length : 0;
  const hintId = `${idPrefix}-apply-hint`;

  return (
    <>
      {changed === null ? null : (
        <div className="notice notice-warning" role="alert" data-testid="conflict-changed">
          <p>{t('resolve.changed')}</p>
          {changed.message === '' ? null : <TechnicalDetail text={changed.message} />}
        </div>
      )}
      <section className="card section" aria-labelledby={`${idPrefix}-versions`}>
        <h2 id={`${idPrefix}-versions`} className="section-title">
          {t('conflict.versions')}
        </h2>
        <VersionsTable details={details} now={now} />
        <BaseLine details={details} now={now} />
      </section>
      <section className="card section" aria-labelledby={`${idPrefix}-preview`}>
        <h2 id={`${idPrefix}-preview`} className="section-title">
          {t('conflict.preview')}
        </h2>
        <PreviewView preview={details.preview} details={details} />
      </section>
      <section className="card section" aria-label={t('conflicts.actionsFor', { path: conflict.path })}>
        <fieldset className="resolve-choices" disabled={applying}>
          <legend className="section-title">{t('resolve.title')}</legend>
          <div className="choice-list">
            {options.map((option) => {
              const id = `${idPrefix}-keep-${option.keep}`;
              const closed = option.unavailable !== null;
              return (
                <label key={option.keep} htmlFor={id} className={`choice ${keep === option.keep ? 'is-chosen' : ''} ${closed ? 'is-disabled' : ''}`} data-testid={`keep-${option.keep}`}>
                  <input
                    id={id}
                    type="radio"
                    name={`${idPrefix}-keep`}
                    value={option.keep}
                    checked={keep === option.keep}
                    disabled={closed}
                    onChange={() => onKeep(option.keep)}
                    aria-describedby={`${id}-text`}
                  />
                  <span className="choice-label">
                    <span className="choice-title">{optionTitle(option.keep)}</span>
                    <span id={`${id}-text`} className="choice-meta">
                      {option.unavailable === null ? optionText(option.keep) : t(unavailableKey(option.unavailable), names)}
                    </span>
                  </span>
                </label>
              );
            })}
          </div>
        </fieldset>
        {keep === 'merged' && merge !== null ? <MergePanel merge={merge} choices={choices} onChoose={onChoose} idPrefix={idPrefix} disabled={applying} wording={wording} /> : null}
        {similar.length === 0 ? null : (
          <label className="check batch-check">
            <input type="checkbox" checked={applyToSimilar} disabled={applying} onChange={(event) => onApplyToSimilar(event.target.checked)} data-testid="apply-to-similar" />
            <span>
              {tn('resolve.applyToSimilar', similar.length)}
              <span className="check-hint">
                {t(keep === 'merged' ? 'resolve.applyToSimilarMergeHint' : 'resolve.applyToSimilarHint', { kind: t(conflictKindKey(conflict)), library: conflict.libraryName })}
              </span>
            </span>
          </label>
        )}
        {error === null ? null : <ErrorNotice error={error} />}
        <div className="form-actions">
          {waiting > 0 ? (
            <p id={hintId} className="field-hint apply-hint" data-testid="apply-hint">
              {tn('merge.waiting', waiting)}
            </p>
          ) : null}
          <button
            type="button"
            className="button button-primary"
            disabled={request === null || applying}
            aria-describedby={waiting > 0 ? hintId : undefined}
            onClick={() => {
              // Many at once: first the list of what changes, and a question.
              if (request !== null && batch) setConfirming(true);
              else if (request !== null) void onApply(request, []);
            }}
            data-testid="apply"
          >
            {applying ? t('resolve.applying') : batch ? tn('resolve.applyMany', similar.length + 1) : t('resolve.apply')}
          </button>
        </div>
      </section>
      {confirming && request !== null && batch ? (
        <ConfirmDialog
          open
          title={tn('conflict.confirmMany.title', similar.length + 1)}
          confirmLabel={tn('resolve.applyMany', similar.length + 1)}
          cancelLabel={t('conflict.confirmMany.cancel')}
          onConfirm={() => {
            setConfirming(false);
            if (request !== null) void onApply(request, similar);
          }}
          onCancel={() => setConfirming(false)}
        >
          <p>{t('conflict.confirmMany.body', { choice: keep === null ? '' : optionTitle(keep) })}</p>
          <ul className="switch-list" data-testid="confirm-similar">
            {[conflict, ...similar].map((item) => (
              <li key={item.conflictId} className="mono">
                {shown(item.path)}
              </li>
            ))}
          </ul>
        </ConfirmDialog>
      ) : null}
    </>
  );
}

function BatchOutcome({
  keep,
  wording,
  outcomes,
  onBack,
  onOpen,
}: {
  readonly keep: KeepChoice;
  readonly wording: KeepWording;
  readonly outcomes: readonly OutcomeRow[];
  readonly onBack: () => void;
  readonly onOpen: (conflictId: number) => void;
}) {
  const { t, tn } = useI18n();
  const resolved = outcomes.filter((outcome) => outcome.outcome === 'resolved').length;
  const failed = outcomes.length - resolved;
  return (
    <section className="screen" data-testid="conflict-outcome">
      <ScreenHeading
        subtitle={t('outcome.subtitle', { choice: keepTitle(keep, true, wording, t) })}
        actions={
          <button type="button" className="button button-quiet" onClick={onBack}>
            <Icon name="back" />
            {t('conflict.back')}
          </button>
        }
      >
        {tn('outcome.resolved', resolved)}
      </ScreenHeading>
      {failed === 0 ? null : <Notice tone="warning">{tn('outcome.failed', failed)}</Notice>}
      <ol className="card outcome-list">
        {outcomes.map((outcome) => (
          <li key={outcome.conflictId} className={`outcome-item outcome-${outcome.outcome}`} data-testid="outcome" data-outcome={outcome.outcome} data-path={outcome.path}>
            <span className={`activity-marker ${outcome.outcome === 'resolved' ? 'marker-down' : 'marker-attention'}`} aria-hidden="true" />
            <div className="outcome-main">
              <p className="outcome-line">
                <span className="mono outcome-path">{shown(outcome.path)}</span>
                <span className={`tag ${outcome.outcome === 'failed' ? 'tag-attention' : 'tag-ok'}`}>{t(outcome.outcome === 'resolved' ? 'outcome.done' : 'outcome.open')}</span>
              </p>
              {outcome.error === null ? null : (
                <p className="outcome-error small">
                  {t(outcomeErrorKey(outcome.error.code, keep))}
                  {outcome.error.message === '' ? null : <TechnicalDetail text={outcome.error.message} />}
                </p>
              )}
            </div>
            {outcome.outcome === 'failed' ? (
              <button type="button" className="button button-small" onClick={() => onOpen(outcome.conflictId)} aria-label={t('conflicts.openFor', { path: outcome.path })}>
                {t('conflicts.open')}
              </button>
            ) : null}
          </li>
        ))}
      </ol>
    </section>
  );
}
