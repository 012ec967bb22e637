// Who can use a library, in its settings. The owner shares it with another user read-write or
// read-only, changes a member's role and stops sharing; a member sees who else is in it and can
// leave it (which also stops syncing it here; the files stay on disk).

import { useCallback, useEffect, useId, useState } from 'react';
import type { LibraryView, MemberView } from '../../shared/api/index.js';
import { ConfirmDialog } from '../components/ConfirmDialog.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { useApiAction } from '../components/useApiAction.js';
import type { MessageKey } from '../i18n/en.js';
import { useI18n } from '../i18n/I18nContext.js';
import { useSyncService } from '../state/SyncServiceContext.js';
import { shown } from '../i18n/shown.js';

export const ROLE_KEYS: Readonly<Record<MemberView['role'], MessageKey>> = { owner: 'role.owner', rw: 'role.rw', ro: 'role.ro' };

export function SharingSection({ library, onLeft }: { readonly library: LibraryView; readonly onLeft: (name: string, folder: string) => void }) {
  const { api, state, forgetLibrary } = useSyncService();
  const { t } = useI18n();
  const ids = useId();
  const me = state.status?.account?.user ?? null;
  const [members, setMembers] = useState<readonly MemberView[] | null>(null);
  const [user, setUser] = useState('');
  const [role, setRole] = useState<'rw' | 'ro'>('rw');
  const [leaving, setLeaving] = useState(false);
  const load = useApiAction();
  const change = useApiAction();
  const libraryId = library.libraryId;

  const reload = useCallback(() => {
    void load.run(async () => setMembers((await api.listMembers({ libraryId })).members));
    // load.run only sets this component's state, so the first one serves every later call.
  }, [api, libraryId]);
  useEffect(reload, [reload]);

  const owner = members?.find((member) => member.role === 'owner')?.user ?? null;
  const mine = owner !== null && owner === me;
  const share = async () => {
    const name = user.trim();
    if (name === '') return;
    const done = await change.run(async () => setMembers((await api.setMember({ libraryId, user: name, role })).members));
    if (done) setUser('');
  };
  const setRoleOf = (member: string, next: 'rw' | 'ro') => change.run(async () => setMembers((await api.setMember({ libraryId, user: member, role: next })).members));
  const unshare = (member: string) => change.run(async () => setMembers((await api.removeMember({ libraryId, user: member })).members));
  const leave = async () => {
    if (me === null) return;
    const done = await change.run(async () => {
      await api.removeMember({ libraryId, user: me });
      const removed = await api.removeLibrary({ libraryId });
      forgetLibrary(removed.libraryId);
      onLeft(removed.name, removed.localRoot);
    });
    if (!done) setLeaving(false);
  };

  return (
    <section className="card section" aria-labelledby={`${ids}-title`} data-testid="sharing-section">
      <h2 id={`${ids}-title`} className="section-title">
        {t('sharing.title')}
      </h2>
      {load.error === null ? null : <ErrorNotice error={load.error} />}
      {members === null ? (
        load.error === null ? (
          <p className="muted">{t('common.loading')}</p>
        ) : null
      ) : (
        <>
          <p className="muted">{mine ? t(members.length > 1 ? 'sharing.ownerShared' : 'sharing.ownerPrivate') : t('sharing.memberOf', { owner: owner ?? '' })}</p>
          <ul className="member-list" aria-label={t('sharing.membersLabel', { name: library.name })}>
            {members.map((member) => (
              <li key={member.user} className="member-item" data-testid="member" data-user={member.user} data-role={member.role}>
                <span className="member-name">
                  {shown(member.user)}
                  {member.user === me ? <span className="tag">{t('sharing.you')}</span> : null}
                </span>
                {mine && member.role !== 'owner' ? (
                  <>
                    <select
                      className="select member-role"
                      value={member.role}
                      disabled={change.busy}
                      aria-label={t('sharing.roleOf', { user: member.user })}
                      onChange={(event) => void setRoleOf(member.user, event.target.value === 'ro' ? 'ro' : 'rw')}
                    >
                      <option value="rw">{t('role.rw')}</option>
                      <option value="ro">{t('role.ro')}</option>
                    </select>
                    <button type="button" className="button button-small button-danger-outline" disabled={change.busy} onClick={() => void unshare(member.user)} aria-label={t('sharing.unshareWith', { user: member.user })}>
                      {t('sharing.unshare')}
                    </button>
                  </>
                ) : (
                  <span className="muted member-role-text">{t(ROLE_KEYS[member.role])}</span>
                )}
              </li>
            ))}
          </ul>
          {change.error === null ? null : <ErrorNotice error={change.error} />}
          {mine ? (
            <form
              className="share-form"
              onSubmit={(event) => {
                event.preventDefault();
                void share();
              }}
            >
              <div className="field share-user">
                <label className="field-label" htmlFor={`${ids}-user`}>
                  {t('sharing.user')}
                </label>
                <input id={`${ids}-user`} className="input" value={user} autoComplete="off" spellCheck={false} onChange={(event) => setUser(event.target.value)} />
              </div>
              <div className="field share-role">
                <label className="field-label" htmlFor={`${ids}-role`}>
                  {t('sharing.role')}
                </label>
                <select id={`${ids}-role`} className="select" value={role} onChange={(event) => setRole(event.target.value === 'ro' ? 'ro' : 'rw')}>
                  <option value="rw">{t('role.rw')}</option>
                  <option value="ro">{t('role.ro')}</option>
                </select>
              </div>
              <button type="submit" className="button button-primary" disabled={change.busy || user.trim() === ''}>
                {t('sharing.share')}
              </button>
            </form>
          ) : (
            <div className="form-actions">
              <button type="button" className="button button-danger-outline" onClick={() => setLeaving(true)}>
                {t('sharing.leave')}
              </button>
            </div>
          )}
        </>
      )}
      <ConfirmDialog
        open={leaving}
        title={t('sharing.leaveTitle', { name: library.name })}
        confirmLabel={t('sharing.leaveConfirm')}
        cancelLabel={t('common.cancel')}
        danger
        busy={change.busy}
        onConfirm={() => void leave()}
        onCancel={() => setLeaving(false)}
      >
        <p>{t('sharing.leaveText', { owner: owner ?? '', folder: library.localRoot })}</p>
      </ConfirmDialog>
    </section>
  );
}
