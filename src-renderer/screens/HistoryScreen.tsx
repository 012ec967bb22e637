// The history of one path of a library, newest version first, as the server keeps it: when
// each version was made, by whom on which computer, and its size; a preview of a file version
// (text, a picture, or only its size); and restoring any earlier version, which makes it the
// current one on the server (the version it replaces stays in the history) and reaches this
// computer with the next round.

import { useCallback, useEffect, useState } from 'react';
import type { SyncApiError, VersionPreview, VersionView } from '../../shared/api/index.js';
import type { LibraryPath } from '../../shared/paths.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { Icon } from '../components/Icon.js';
import { Notice } from '../components/Notice.js';
import { ScreenHeading } from '../components/ScreenHeading.js';
import { useApiAction } from '../components/useApiAction.js';
import { useI18n } from '../i18n/I18nContext.js';
import { toApiError } from '../state/errorText.js';
import { restoredCopyKey } from '../state/libraryStatus.js';
import { useSyncService } from '../state/SyncServiceContext.js';

export function HistoryScreen({ libraryId, path, onBack }: { readonly libraryId: string; readonly path: LibraryPath; readonly onBack: () => void }) {
  const { api, state } = useSyncService();
  const i18n = useI18n();
  const { t } = i18n;
  const library = state.status?.libraries.find((candidate) => candidate.libraryId === libraryId);
  const libraryName = library?.name ?? '';
  // A read-only member cannot replace the library's file; a copy kept here is what they can restore.
  const readOnly = library?.role === 'ro';
  const [versions, setVersions] = useState<readonly VersionView[] | null>(null);
  const [loadError, setLoadError] = useState<SyncApiError | null>(null);
  const [restored, setRestored] = useState<VersionView | null>(null);
  const [copied, setCopied] = useState<LibraryPath | null>(null);
  const [previewed, setPreviewed] = useState<number | null>(null);
  const restore = useApiAction();
  const opening = useApiAction();

  const load = useCallback(() => {
    setLoadError(null);
    api.getHistory({ libraryId, path }).then(
      (answer) => setVersions(answer.versions),
      (error: unknown) => setLoadError(toApiError(error)),
    );
  }, [api, libraryId, path]);
  useEffect(load, [load]);

  const restoreCopy = async (version: VersionView) => {
    setRestored(null);
    setCopied(null);
    let copy: LibraryPath | null = null;
    const done = await restore.run(async () => {
      copy = (await api.restoreCopy({ libraryId, path, rev: version.rev })).path;
    });
    if (done) setCopied(copy);
  };

  const restoreVersion = async (version: VersionView) => {
    setRestored(null);
    setCopied(null);
    const done = await restore.run(async () => {
      await api.restoreVersion({ libraryId, path, rev: version.rev });
    });
    if (done) {
      setRestored(version);
      load();
    }
  };

  // The current version is the newest, unless the path is deleted now.
  const current = versions?.[0]?.deleted === false ? versions[0].rev : null;

  return (
    <section className="screen" data-testid="history-screen">
      <ScreenHeading
        subtitle={libraryName}
        actions={
          <button type="button" className="button button-quiet" onClick={onBack}>
            <Icon name="back" />
            {t('common.back')}
          </button>
        }
      >
        {t('history.title', { path })}
      </ScreenHeading>
      <p className="muted history-intro">{t('history.intro')}</p>
      {loadError === null ? null : <ErrorNotice error={loadError} />}
      {restore.error === null ? null : <ErrorNotice error={restore.error} />}
      {opening.error === null ? null : <ErrorNotice error={opening.error} />}
      {restored === null ? null : (
        <Notice tone="success" testId="history-restored">
          {t('history.restored', { time: i18n.exactTime(restored.committedAt) })}
        </Notice>
      )}
      {copied === null ? null : (
        <Notice tone="success" testId="history-restored-copy">
          {t(restoredCopyKey(library), { path: copied })}
        </Notice>
      )}
      {versions === null && loadError === null ? <p className="muted">{t('common.loading')}</p> : null}
      {versions !== null && versions.length === 0 ? (
        <div className="empty">
          <p className="empty-title">{t('history.emptyTitle')}</p>
        </div>
      ) : null}
      {readOnly && versions !== null && versions.length > 0 ? (
        <p className="muted" data-testid="history-read-only">
          {t('history.readOnlyHint')}
        </p>
      ) : null}
      {versions === null || versions.length === 0 ? null : (
        <ol className="card history-list" aria-label={t('history.listLabel', { path })}>
          {versions.map((version) => (
            <li key={version.rev} className="history-item" data-testid="history-version" data-rev={version.rev} data-deleted={version.deleted}>
              <div className="history-main">
                <p className="history-line">
                  <time className="history-time" dateTime={new Date(version.committedAt).toISOString()}>
                    {i18n.exactTime(version.committedAt)}
                  </time>
                  {version.rev === current ? <span className="tag tag-ok">{t('history.current')}</span> : null}
                  {version.deleted ? <span className="tag tag-remove">{t(version.movedTo === null ? 'history.deleted' : 'history.movedTo', { path: version.movedTo ?? '' })}</span> : null}
                  {!version.deleted && version.movedFrom !== null ? <span className="tag">{t('history.movedFrom', { path: version.movedFrom })}</span> : null}
                </p>
                <p className="history-meta muted">
                  {t('history.by', { user: version.userName, device: version.device })}
                  {version.deleted || version.kind === 'dir' ? null : <> · {i18n.bytes(version.size)}</>}
                </p>
              </div>
              {version.deleted ? null : (
                <div className="history-actions">
                  {version.kind === 'file' ? (
                    <>
                      <button type="button" className="button button-small" aria-expanded={previewed === version.rev} onClick={() => setPreviewed(previewed === version.rev ? null : version.rev)}>
                        {t(previewed === version.rev ? 'history.hidePreview' : 'history.preview')}
                      </button>
                      <button
                        type="button"
                        className="button button-small"
                        disabled={opening.busy}
                        aria-label={t('history.openVersionOf', { time: i18n.exactTime(version.committedAt) })}
                        onClick={() => void opening.run(async () => void (await api.openVersion({ libraryId, path, rev: version.rev })))}
                      >
                        {t('history.openVersion')}
                      </button>
                      <button
                        type="button"
                        className="button button-small"
                        disabled={restore.busy}
                        aria-label={t('history.restoreCopyOf', { time: i18n.exactTime(version.committedAt) })}
                        onClick={() => void restoreCopy(version)}
                      >
                        {t('history.restoreCopy')}
                      </button>
                    </>
                  ) : null}
                  {version.rev === current || readOnly ? null : (
                    <button type="button" className="button button-small button-primary" disabled={restore.busy} onClick={() => void restoreVersion(version)}>
                      {t('history.restore')}
                    </button>
                  )}
                </div>
              )}
              {previewed === version.rev ? <VersionPreviewPanel libraryId={libraryId} path={path} version={version} /> : null}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

function VersionPreviewPanel({ libraryId, path, version }: { readonly libraryId: string; readonly path: LibraryPath; readonly version: VersionView }) {
  const { api } = useSyncService();
  const i18n = useI18n();
  const [preview, setPreview] = useState<VersionPreview | null>(null);
  const [error, setError] = useState<SyncApiError | null>(null);
  useEffect(() => {
    let live = true;
    api.getVersionPreview({ libraryId, path, rev: version.rev }).then(
      (answer) => live && setPreview(answer),
      (caught: unknown) => live && setError(toApiError(caught)),
    );
    return () => {
      live = false;
    };
  }, [api, libraryId, path, version.rev]);
  let body;
  if (error !== null) body = <ErrorNotice error={error} />;
  else if (preview === null) body = <p className="muted">{i18n.t('common.loading')}</p>;
  else if (preview.kind === 'text') body = <pre className="history-text">{preview.text}</pre>;
  else if (preview.kind === 'image') body = <img className="history-image" src={preview.image.dataUrl} alt={i18n.t('history.imageAlt', { path, time: i18n.exactTime(version.committedAt) })} />;
  else body = <p className="muted">{i18n.t(preview.kind === 'binary' && preview.reason === 'too-large' ? 'history.noPreviewLarge' : 'history.noPreview', { size: i18n.bytes(version.size) })}</p>;
  return (
    <div className="history-preview" data-testid="history-preview" data-kind={preview?.kind ?? 'loading'}>
      {body}
    </div>
  );
}
