// A library's settings: the whole library as it was at a moment, restored into a new, empty
// folder outside every library (the service refuses any other), with its progress.

import { useEffect, useId, useState } from 'react';
import type { SnapshotResultView, SyncApiError } from '../../shared/api/index.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { Notice } from '../components/Notice.js';
import { ProgressBar } from '../components/ProgressBar.js';
import type { MessageKey } from '../i18n/en.js';
import { useI18n } from '../i18n/I18nContext.js';
import { toApiError } from '../state/errorText.js';
import { useSyncService } from '../state/SyncServiceContext.js';

/** The service's reasons for refusing a target folder, each said in the user's language. */
const TARGET_PROBLEMS: Readonly<Record<string, MessageKey>> = {
  'not-empty': 'snapshot.target.not-empty',
  overlaps: 'snapshot.target.overlaps',
  'not-folder': 'snapshot.target.not-folder',
};

interface Progress {
  readonly filesDone: number;
  readonly filesTotal: number;
  readonly bytesDone: number;
  readonly bytesTotal: number;
}

export function SnapshotSection({ libraryId }: { readonly libraryId: string }) {
  const { api } = useSyncService();
  const i18n = useI18n();
  const { t } = i18n;
  const ids = useId();
  const [moment, setMoment] = useState('');
  const [target, setTarget] = useState('');
  const [running, setRunning] = useState<string | null>(null);
  const [progress, setProgress] = useState<Progress | null>(null);
  const [error, setError] = useState<SyncApiError | null>(null);
  const [missing, setMissing] = useState(false);
  const [done, setDone] = useState<{ readonly at: number; readonly result: SnapshotResultView } | null>(null);

  useEffect(() => {
    if (running === null) return undefined;
    return api.subscribe((event) => {
      if (event.kind === 'snapshotProgressed' && event.libraryId === libraryId && event.target === running) setProgress(event);
    });
  }, [api, libraryId, running]);

  const start = async () => {
    setError(null);
    setDone(null);
    // datetime-local is the user's local time; the Date constructor reads it as such.
    const at = moment === '' ? Number.NaN : new Date(moment).getTime();
    if (!Number.isFinite(at) || target.trim() === '') {
      setMissing(true);
      return;
    }
    setMissing(false);
    const folder = target.trim();
    setProgress(null);
    setRunning(folder);
    try {
      const result = await api.restoreSnapshot({ libraryId, at, target: folder });
      setDone({ at, result });
    } catch (caught) {
      setError(toApiError(caught));
    } finally {
      setRunning(null);
    }
  };

  const targetProblem = error?.details?.['reason'] === 'snapshot-target' ? TARGET_PROBLEMS[String(error.details['problem'])] : undefined;
  return (
    <section className="card section" aria-labelledby={`${ids}-title`} data-testid="snapshot-section">
      <h2 id={`${ids}-title`} className="section-title">
        {t('snapshot.title')}
      </h2>
      <p className="muted">{t('snapshot.intro')}</p>
      <div className="snapshot-fields">
        <div className="snapshot-field">
          <label htmlFor={`${ids}-time`} className="field-label">
            {t('snapshot.time')}
          </label>
          <input id={`${ids}-time`} className="input" type="datetime-local" step={1} value={moment} onChange={(event) => setMoment(event.target.value)} />
        </div>
        <div className="snapshot-field snapshot-target">
          <label htmlFor={`${ids}-target`} className="field-label">
            {t('snapshot.target')}
          </label>
          <input id={`${ids}-target`} className="input input-mono" type="text" spellCheck={false} value={target} aria-describedby={`${ids}-hint`} onChange={(event) => setTarget(event.target.value)} />
        </div>
      </div>
      <p id={`${ids}-hint`} className="field-hint">
        {t('snapshot.targetHint')}
      </p>
      {missing ? <Notice tone="warning">{t('snapshot.missing')}</Notice> : null}
      {error === null ? null : targetProblem === undefined ? <ErrorNotice error={error} /> : <Notice tone="warning" testId="snapshot-refused">{t(targetProblem)}</Notice>}
      {running === null ? null : (
        <div className="snapshot-progress" data-testid="snapshot-progress">
          <ProgressBar
            fraction={progress === null || progress.bytesTotal === 0 ? null : progress.bytesDone / progress.bytesTotal}
            label={t('snapshot.progressLabel')}
          />
          {progress === null ? null : (
            <p className="muted small">
              {t('snapshot.progress', { done: i18n.count(progress.filesDone), total: i18n.count(progress.filesTotal), bytesDone: i18n.bytes(progress.bytesDone), bytesTotal: i18n.bytes(progress.bytesTotal) })}
            </p>
          )}
        </div>
      )}
      {done === null ? null : (
        <Notice tone="success" testId="snapshot-done">
          {t('snapshot.done', { time: i18n.exactTime(done.at), folder: done.result.target, files: i18n.count(done.result.files), size: i18n.bytes(done.result.bytes) })}
          {done.result.skipped.length === 0 ? null : <> {t('snapshot.skipped', { paths: done.result.skipped.join(', ') })}</>}
        </Notice>
      )}
      <div className="form-actions">
        <button type="button" className="button" disabled={running !== null} onClick={() => void start()}>
          {t('snapshot.start')}
        </button>
      </div>
    </section>
  );
}
