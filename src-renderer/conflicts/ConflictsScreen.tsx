// Open conflicts, oldest first: where, what kind, when, and who made each side. Opening one
// shows the conflict dialog (ConflictDialog), which compares both versions and resolves it.

import type { ConflictView } from '../../shared/api/index.js';
import { Notice } from '../components/Notice.js';
import { ScreenHeading } from '../components/ScreenHeading.js';
import { useNow } from '../components/useNow.js';
import { useI18n } from '../i18n/I18nContext.js';
import { allConflicts } from '../state/syncState.js';
import { useSyncService } from '../state/SyncServiceContext.js';
import { conflictKindKey, copyHolder, describeSide, fileNameOf, mayMerge, sideLabel, sideText } from './conflictText.js';
import { shown } from '../i18n/shown.js';

export function ConflictsScreen({ notice, onOpen }: { readonly notice: string | null; readonly onOpen: (conflictId: number) => void }) {
  const { state } = useSyncService();
  const { t } = useI18n();
  const conflicts = allConflicts(state);
  return (
    <section className="screen" data-testid="conflicts-screen">
      <ScreenHeading subtitle={t('conflicts.subtitle')}>{t('conflicts.title')}</ScreenHeading>
      {notice === null ? null : (
        <Notice tone="success" testId="conflicts-notice">
          {notice}
        </Notice>
      )}
      {conflicts.length === 0 ? (
        <div className="empty">
          <p className="empty-title">{t('conflicts.emptyTitle')}</p>
          <p className="muted">{t('conflicts.emptyText')}</p>
        </div>
      ) : (
        <ul className="conflict-list">
          {conflicts.map((conflict) => (
            <ConflictItem key={conflict.conflictId} conflict={conflict} onOpen={onOpen} />
          ))}
        </ul>
      )}
    </section>
  );
}

function ConflictItem({ conflict, onOpen }: { readonly conflict: ConflictView; readonly onOpen: (conflictId: number) => void }) {
  const i18n = useI18n();
  const { t } = i18n;
  const now = useNow();
  const { state } = useSyncService();
  const thisDevice = state.status?.account?.deviceName ?? null;
  const holder = copyHolder(conflict.local.device, thisDevice);
  const titleId = `conflict-${conflict.conflictId}`;
  return (
    <li className="card conflict-item" aria-labelledby={titleId} data-testid="conflict" data-path={conflict.path} data-conflict-id={conflict.conflictId}>
      <div className="conflict-item-head">
        <h2 id={titleId} className="conflict-path mono">
          {shown(conflict.path)}
        </h2>
        <span className="conflict-tags">
          <span className="tag">{t(conflictKindKey(conflict))}</span>
          {mayMerge(conflict) ? <span className="tag tag-merge">{t('conflicts.mergeable')}</span> : null}
        </span>
      </div>
      <p className="muted small">
        {conflict.libraryName} · {t('conflicts.foundAt', { time: i18n.timeAgo(conflict.createdAt, now) })}
      </p>
      <dl className="conflict-sides">
        <div>
          <dt>{sideText(sideLabel(conflict.local, 'local', thisDevice), t)}</dt>
          <dd>{describeSide(conflict.local, i18n, now)}</dd>
        </div>
        <div>
          <dt>{sideText(sideLabel(conflict.remote, 'remote', thisDevice), t)}</dt>
          <dd>{describeSide(conflict.remote, i18n, now)}</dd>
        </div>
      </dl>
      <div className="conflict-actions">
        {conflict.conflictPath === null ? null : (
          <p className="small conflict-copy">
            {holder.mine
              ? t('conflicts.copySavedAs', { name: fileNameOf(conflict.conflictPath) })
              : t('conflicts.copyFromSavedAs', { name: fileNameOf(conflict.conflictPath), device: holder.device })}
          </p>
        )}
        <button
          type="button"
          className="button conflict-open"
          aria-label={t('conflicts.openFor', { path: conflict.path })}
          onClick={() => onOpen(conflict.conflictId)}
          data-testid="open-conflict"
        >
          {t('conflicts.open')}
        </button>
      </div>
    </li>
  );
}
