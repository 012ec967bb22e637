// The comparison half of the conflict dialog: both versions' facts side by side, the version
// both started from, and a preview that fits the content: a line diff for text, both pictures
// for images, size and fingerprint for other files, a note for folders and missing files.

import { useState } from 'react';
import type { ConflictDetails, ConflictPreview, ConflictVersion, DiffViewData, PreviewImage, SyncApiError } from '../../shared/api/index.js';
import { MAX_PREVIEW_IMAGE_BYTES } from '../../shared/api/index.js';
import { MAX_TEXT_BYTES } from '../../shared/merge/index.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { useI18n } from '../i18n/I18nContext.js';
import { toApiError } from '../state/errorText.js';
import { useSyncService } from '../state/SyncServiceContext.js';
import { fileNameOf, keepWording, lineEndingKey, sideLabel, sideText } from './conflictText.js';

/** Rows drawn at first; the rest wait for "show all", so a huge file cannot stall the window. */
export const FIRST_ROWS = 1500;

export function VersionsTable({ details, now }: { readonly details: ConflictDetails; readonly now: number }) {
  const i18n = useI18n();
  const { t } = i18n;
  const { api, state } = useSyncService();
  const thisDevice = state.status?.account?.deviceName ?? null;
  const [openError, setOpenError] = useState<SyncApiError | null>(null);
  // A file no preview shows (binary, or a picture) can be opened with this computer's app for it.
  const openable = details.preview.kind === 'binary' || details.preview.kind === 'image';
  const openButton = (version: ConflictVersion) =>
    version.kind !== 'file' ? (
      <span className="muted">{t('conflict.missing')}</span>
    ) : (
      <button
        type="button"
        className="button button-small"
        onClick={() => {
          setOpenError(null);
          api.openFile({ libraryId: details.conflict.libraryId, path: version.path }).catch((caught: unknown) => setOpenError(toApiError(caught)));
        }}
        aria-label={t('conflict.openVersionOf', { name: fileNameOf(version.path) })}
      >
        {t('conflict.open')}
      </button>
    );
  const cell = (version: ConflictVersion, field: 'file' | 'size' | 'modified' | 'device' | 'user') => {
    const unknown = <span className="muted">{t('conflict.unknown')}</span>;
    switch (field) {
      case 'file':
        return (
          <span className="mono" title={version.path}>
            {fileNameOf(version.path)}
          </span>
        );
      case 'size':
        if (version.kind === 'missing') return <span className="muted">{t('conflict.missing')}</span>;
        if (version.kind === 'dir') return t('conflict.isFolder');
        return version.size === null ? unknown : i18n.bytes(version.size);
      case 'modified':
        if (version.mtimeMs === null) return unknown;
        return (
          <time dateTime={new Date(version.mtimeMs).toISOString()}>
            {i18n.exactTime(version.mtimeMs)} <span className="muted">({i18n.timeAgo(version.mtimeMs, now)})</span>
          </time>
        );
      case 'device':
        return version.device ?? unknown;
      case 'user':
        return version.user ?? unknown;
      default:
        return field satisfies never;
    }
  };
  const rows = [
    { field: 'file', label: t('conflict.file') },
    { field: 'size', label: t('conflict.size') },
    { field: 'modified', label: t('conflict.modified') },
    { field: 'device', label: t('conflict.device') },
    { field: 'user', label: t('conflict.user') },
  ] as const;
  return (
    <>
      <table className="compare-table" data-testid="conflict-versions">
        <caption className="visually-hidden">{t('conflict.versions')}</caption>
        <thead>
          <tr>
            <td />
            <th scope="col" data-testid="mine-heading">
              {sideText(sideLabel(details.local, 'local', thisDevice), t)}
            </th>
            <th scope="col" data-testid="theirs-heading">
              {sideText(sideLabel(details.remote, 'remote', thisDevice), t)}
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.field}>
              <th scope="row">{row.label}</th>
              <td data-testid={`mine-${row.field}`}>{cell(details.local, row.field)}</td>
              <td data-testid={`theirs-${row.field}`}>{cell(details.remote, row.field)}</td>
            </tr>
          ))}
          {openable ? (
            <tr>
              <th scope="row">{t('conflict.openRow')}</th>
              <td data-testid="mine-open">{openButton(details.local)}</td>
              <td data-testid="theirs-open">{openButton(details.remote)}</td>
            </tr>
          ) : null}
        </tbody>
      </table>
      {openError === null ? null : <ErrorNotice error={openError} />}
    </>
  );
}

/** The version both sides started from, or why there is none to merge from. */
export function BaseLine({ details, now }: { readonly details: ConflictDetails; readonly now: number }) {
  const i18n = useI18n();
  const { t } = i18n;
  const base = details.base;
  if (details.baseStatus === 'unknown') return <p className="muted small">{t('conflict.baseUnknown')}</p>;
  if (base === null || details.baseStatus === 'unavailable') {
    return details.preview.kind === 'text' ? <p className="muted small">{t('conflict.baseUnavailable')}</p> : null;
  }
  const facts = [
    ...(base.rev === null ? [] : [t('conflict.baseRev', { rev: base.rev })]),
    ...(base.committedAt === null ? [] : [t('conflict.savedAt', { time: i18n.timeAgo(base.committedAt, now) })]),
    ...(base.user === null ? [] : [t('conflicts.byUser', { user: base.user })]),
    ...(base.device === null ? [] : [t('conflicts.onDevice', { device: base.device })]),
  ];
  return (
    <p className="small" data-testid="conflict-base">
      <span className="base-label">{t('conflict.baseTitle')}</span> {facts.join(' · ')}
    </p>
  );
}

export function PreviewView({ preview, details }: { readonly preview: ConflictPreview; readonly details: ConflictDetails }) {
  switch (preview.kind) {
    case 'text':
      return <DiffPreview diff={preview.diff} details={details} />;
    case 'image':
      return <ImagePreview local={preview.local} remote={preview.remote} details={details} />;
    case 'binary':
      return <BinaryPreview reason={preview.reason} details={details} />;
    case 'none':
      return <NonePreview reason={preview.reason} />;
    default:
      return preview satisfies never;
  }
}

function DiffPreview({ diff, details }: { readonly diff: DiffViewData; readonly details: ConflictDetails }) {
  const { t, tn } = useI18n();
  // Away from the computer that found the conflict, the sides are named by their computers.
  const wording = keepWording(details.local, details.remote, useSyncService().state.status?.account?.deviceName ?? null);
  const [limit, setLimit] = useState(FIRST_ROWS);
  const rows = diff.rows.slice(0, limit);
  const endingsDiffer = diff.old.lineEndings !== diff.new.lineEndings;
  return (
    <div className="diff" data-testid="conflict-diff">
      <p className="diff-summary">
        <span className="diff-count diff-count-mine">{wording.neutral ? tn('conflict.diff.onlyIn', diff.removed, { device: wording.local }) : tn('diff.onlyMine', diff.removed)}</span>
        <span className="diff-count diff-count-theirs">{wording.neutral ? tn('conflict.diff.onlyIn', diff.added, { device: wording.remote }) : tn('diff.onlyTheirs', diff.added)}</span>
      </p>
      {diff.identical ? <p className="muted small">{t('diff.identical')}</p> : null}
      {endingsDiffer ? (
        <p className="small" data-testid="line-endings">
          {t('diff.lineEndings', { mine: t(lineEndingKey(diff.old.lineEndings)), theirs: t(lineEndingKey(diff.new.lineEndings)) })}
        </p>
      ) : null}
      {diff.old.bom !== diff.new.bom ? <p className="small">{t('diff.bom')}</p> : null}
      {diff.minimal ? null : <p className="muted small">{t('diff.notMinimal')}</p>}
      {rows.length === 0 ? null : (
        <div className="code-scroll">
          <table className="diff-table">
            <caption className="visually-hidden">{wording.neutral ? t('conflict.diff.caption', { local: wording.local, remote: wording.remote }) : t('diff.caption')}</caption>
            <thead>
              <tr>
                <th scope="col" className="diff-number">
                  {wording.neutral ? wording.local : t('diff.colMine')}
                </th>
                <th scope="col" className="diff-number">
                  {wording.neutral ? wording.remote : t('diff.colTheirs')}
                </th>
                <th scope="col" className="diff-sign">
                  <span className="visually-hidden">{t('diff.colChange')}</span>
                </th>
                <th scope="col" className="diff-text-head">
                  <span className="visually-hidden">{t('diff.colText')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row, index) => {
                if (row.kind === 'collapsed') {
                  return (
                    <tr key={index} className="diff-row diff-collapsed">
                      <td colSpan={4}>{tn('diff.collapsed', row.count)}</td>
                    </tr>
                  );
                }
                const sign = row.kind === 'delete' ? '−' : row.kind === 'insert' ? '+' : '';
                return (
                  <tr key={index} className={`diff-row diff-${row.kind}`} data-kind={row.kind}>
                    <td className="diff-number">{row.oldLine ?? ''}</td>
                    <td className="diff-number">{row.newLine ?? ''}</td>
                    <td className="diff-sign">
                      <span aria-hidden="true">{sign}</span>
                      {row.kind === 'context' ? null : (
                        <span className="visually-hidden">
                          {wording.neutral
                            ? t('conflict.diff.onlyInRow', { device: row.kind === 'delete' ? wording.local : wording.remote })
                            : t(row.kind === 'delete' ? 'diff.onlyInMine' : 'diff.onlyInTheirs')}
                        </span>
                      )}
                    </td>
                    <td className="diff-text">
                      <span className="line-text">{row.text}</span>
                      {row.noFinalNewline ? <span className="line-note">{t('diff.noNewline')}</span> : null}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {diff.rows.length > limit ? <ShowAll count={diff.rows.length} onShow={() => setLimit(diff.rows.length)} /> : null}
    </div>
  );
}

export function ShowAll({ count, onShow }: { readonly count: number; readonly onShow: () => void }) {
  const { t } = useI18n();
  return (
    <div className="form-actions form-actions-center">
      <button type="button" className="button button-small" onClick={onShow}>
        {t('preview.showAll', { count })}
      </button>
    </div>
  );
}

function ImagePreview({ local, remote, details }: { readonly local: PreviewImage | null; readonly remote: PreviewImage | null; readonly details: ConflictDetails }) {
  const { t } = useI18n();
  const thisDevice = useSyncService().state.status?.account?.deviceName ?? null;
  return (
    <div className="image-compare" data-testid="conflict-images">
      <Picture image={local} caption={sideText(sideLabel(details.local, 'local', thisDevice), t)} name={fileNameOf(details.local.path)} side="mine" />
      <Picture image={remote} caption={sideText(sideLabel(details.remote, 'remote', thisDevice), t)} name={fileNameOf(details.remote.path)} side="theirs" />
    </div>
  );
}

function Picture({ image, caption, name, side }: { readonly image: PreviewImage | null; readonly caption: string; readonly name: string; readonly side: 'mine' | 'theirs' }) {
  const i18n = useI18n();
  const [size, setSize] = useState<{ readonly width: number; readonly height: number } | null>(null);
  return (
    <figure className="picture" data-testid={`image-${side}`}>
      {image === null ? (
        <div className="picture-none">{i18n.t('image.none', { size: i18n.bytes(MAX_PREVIEW_IMAGE_BYTES) })}</div>
      ) : (
        <div className="picture-frame">
          <img
            src={image.dataUrl}
            alt={i18n.t('image.alt', { side: caption, name })}
            onLoad={(event) => setSize({ width: event.currentTarget.naturalWidth, height: event.currentTarget.naturalHeight })}
          />
        </div>
      )}
      <figcaption>
        <span className="picture-caption">{caption}</span>
        {size === null ? null : <span className="muted small">{i18n.t('image.pixels', { width: size.width, height: size.height })}</span>}
      </figcaption>
    </figure>
  );
}

function BinaryPreview({ reason, details }: { readonly reason: 'not-text' | 'too-large'; readonly details: ConflictDetails }) {
  const i18n = useI18n();
  const { t } = i18n;
  const same = details.local.contentHash !== null && details.local.contentHash === details.remote.contentHash;
  const thisDevice = useSyncService().state.status?.account?.deviceName ?? null;
  return (
    <div className="binary-compare" data-testid="conflict-binary">
      <p>{reason === 'too-large' ? t('binary.tooLarge', { size: i18n.bytes(MAX_TEXT_BYTES) }) : t('binary.intro')}</p>
      <dl className="facts binary-facts">
        <div>
          <dt>{sideText(sideLabel(details.local, 'local', thisDevice), t)}</dt>
          <dd>
            {details.local.size === null ? t('conflict.unknown') : i18n.bytes(details.local.size)}
            <span className="hash mono" title={t('binary.hash')}>
              {details.local.contentHash ?? t('conflict.unknown')}
            </span>
          </dd>
        </div>
        <div>
          <dt>{sideText(sideLabel(details.remote, 'remote', thisDevice), t)}</dt>
          <dd>
            {details.remote.size === null ? t('conflict.unknown') : i18n.bytes(details.remote.size)}
            <span className="hash mono" title={t('binary.hash')}>
              {details.remote.contentHash ?? t('conflict.unknown')}
            </span>
          </dd>
        </div>
      </dl>
      <p className="muted small">{same ? t('binary.same') : t('binary.hashHint')}</p>
    </div>
  );
}

function NonePreview({ reason }: { readonly reason: 'folder' | 'missing' }) {
  const { t } = useI18n();
  return <p data-testid="conflict-nothing">{t(reason === 'folder' ? 'none.folder' : 'none.missing')}</p>;
}
