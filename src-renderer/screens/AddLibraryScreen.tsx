// Add a library: pick one on the server (or create one), type the local folder, and choose
// whether the whole library syncs or only some of its folders.

import { useCallback, useEffect, useId, useState } from 'react';
import type { FormEvent } from 'react';
import type { RemoteLibraryView, SyncApiError } from '../../shared/api/index.js';
import type { LibraryPath } from '../../shared/paths.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { FolderTree } from '../components/FolderTree.js';
import { Icon } from '../components/Icon.js';
import { ScreenHeading } from '../components/ScreenHeading.js';
import type { MessageKey } from '../i18n/en.js';
import { useI18n } from '../i18n/I18nContext.js';
import { toApiError } from '../state/errorText.js';
import { checkLibraryName, checkLocalFolder, suggestLocalFolder } from '../state/forms.js';
import { useSyncService } from '../state/SyncServiceContext.js';
import { accountName } from '../state/accountName.js';

type Remote = { readonly kind: 'loading' } | { readonly kind: 'failed'; readonly error: SyncApiError } | { readonly kind: 'loaded'; readonly libraries: readonly RemoteLibraryView[] };

export function AddLibraryScreen({ onDone, onCancel }: { readonly onDone: (libraryId: string) => void; readonly onCancel: () => void }) {
  const { api, state, applyLibrary, stamp } = useSyncService();
  const { t } = useI18n();
  const ids = useId();
  const [remote, setRemote] = useState<Remote>({ kind: 'loading' });
  const [chosen, setChosen] = useState<string | null>(null);
  const [newName, setNewName] = useState('');
  const [nameProblem, setNameProblem] = useState<MessageKey | null>(null);
  const [creating, setCreating] = useState(false);
  const [createError, setCreateError] = useState<SyncApiError | null>(null);
  const [localRoot, setLocalRoot] = useState('');
  const [localRootEdited, setLocalRootEdited] = useState(false);
  const [folderProblem, setFolderProblem] = useState<MessageKey | null>(null);
  const [mode, setMode] = useState<'all' | 'some'>('all');
  const [selection, setSelection] = useState<LibraryPath[]>([]);
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<SyncApiError | null>(null);
  // With several accounts signed in, the library is one account's: the user picks which.
  const signedIn = (state.status?.accounts ?? []).filter((account) => account.signedIn);
  const [accountId, setAccountId] = useState<string | undefined>(signedIn.length > 1 ? signedIn[0]!.accountId : undefined);
  const account = accountId === undefined ? {} : { accountId };
  const chosenAccount = signedIn.find((candidate) => candidate.accountId === accountId);

  const loadRemote = useCallback(async () => {
    setRemote({ kind: 'loading' });
    try {
      const answer = await api.listRemoteLibraries(accountId === undefined ? {} : { accountId });
      setRemote({ kind: 'loaded', libraries: answer.libraries });
    } catch (caught) {
      setRemote({ kind: 'failed', error: toApiError(caught) });
    }
  }, [api, accountId]);
  useEffect(() => {
    void loadRemote();
  }, [loadRemote]);

  const existingRoots = state.status?.libraries.map((library) => library.localRoot) ?? [];
  const choose = (library: RemoteLibraryView) => {
    setChosen(library.libraryId);
    setSelection([]);
    if (!localRootEdited) setLocalRoot(suggestLocalFolder(existingRoots, library.name));
  };

  const create = async () => {
    const problem = checkLibraryName(newName);
    setNameProblem(problem);
    if (problem !== null) return;
    setCreating(true);
    setCreateError(null);
    try {
      const library = await api.createLibrary({ name: newName.trim(), ...account });
      setRemote((current) => (current.kind === 'loaded' ? { kind: 'loaded', libraries: [...current.libraries, library] } : { kind: 'loaded', libraries: [library] }));
      setNewName('');
      choose(library);
    } catch (caught) {
      setCreateError(toApiError(caught));
    } finally {
      setCreating(false);
    }
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (chosen === null) return;
    const problem = checkLocalFolder(localRoot);
    setFolderProblem(problem);
    if (problem !== null) return;
    if (mode === 'some' && selection.length === 0) return;
    setSubmitting(true);
    setError(null);
    const sent = stamp();
    try {
      const library = await api.addLibrary({ libraryId: chosen, localRoot: localRoot.trim(), selection: mode === 'all' ? null : selection, ...account });
      applyLibrary(library, sent);
      onDone(library.libraryId);
    } catch (caught) {
      setError(toApiError(caught));
      setSubmitting(false);
    }
  };

  const chosenLibrary = remote.kind === 'loaded' ? remote.libraries.find((library) => library.libraryId === chosen) : undefined;
  const canSubmit = chosen !== null && localRoot.trim() !== '' && !(mode === 'some' && selection.length === 0) && !submitting;

  return (
    <section className="screen" data-testid="add-library-screen">
      <ScreenHeading
        actions={
          <button type="button" className="button button-quiet" onClick={onCancel}>
            <Icon name="back" />
            {t('common.back')}
          </button>
        }
      >
        {t('add.title')}
      </ScreenHeading>

      <form className="form stack" onSubmit={(event) => void submit(event)} noValidate>
        <fieldset className="card section">
          <legend className="section-title">{t('add.step.library')}</legend>
          {signedIn.length > 1 ? (
            <div className="field account-choice">
              <label htmlFor={`${ids}-account`} className="field-label">
                {t('addLibrary.account')}
              </label>
              <select
                id={`${ids}-account`}
                className="select"
                data-testid="add-account-choice"
                value={accountId}
                onChange={(event) => {
                  setAccountId(event.target.value);
                  setChosen(null);
                  setSelection([]);
                }}
              >
                {signedIn.map((candidate) => (
                  <option key={candidate.accountId} value={candidate.accountId}>
                    {accountName(candidate)}
                  </option>
                ))}
              </select>
              <p className="field-hint">{t('addLibrary.accountHint')}</p>
            </div>
          ) : null}
          {remote.kind === 'loading' ? <p className="muted">{t('common.loading')}</p> : null}
          {remote.kind === 'failed' ? (
            <>
              <ErrorNotice error={remote.error} />
              <button type="button" className="button" onClick={() => void loadRemote()}>
                {t('common.retry')}
              </button>
            </>
          ) : null}
          {remote.kind === 'loaded' ? (
            remote.libraries.length === 0 ? (
              <p className="muted">{t('add.noRemote')}</p>
            ) : (
              <div className="choice-list" role="radiogroup" aria-label={t('add.step.library')}>
                {remote.libraries.map((library) => {
                  const id = `${ids}-remote-${library.libraryId}`;
                  const synced = library.syncedTo !== null;
                  return (
                    <div key={library.libraryId} className={`choice ${chosen === library.libraryId ? 'is-chosen' : ''} ${synced ? 'is-disabled' : ''}`}>
                      <input id={id} type="radio" name={`${ids}-remote`} value={library.libraryId} checked={chosen === library.libraryId} disabled={synced} onChange={() => choose(library)} />
                      <label htmlFor={id} className="choice-label">
                        <span className="choice-title">{library.name}</span>
                        <span className="choice-meta">
                          {synced
                            ? t('add.syncedTo', { folder: library.syncedTo ?? '' })
                            : library.owner === (chosenAccount ?? state.status?.account)?.user
                              ? t('add.yours')
                              : t('add.sharedBy', { owner: library.owner })}
                          {library.role === 'ro' ? <span className="tag">{t('add.readOnly')}</span> : null}
                        </span>
                      </label>
                    </div>
                  );
                })}
              </div>
            )
          ) : null}
          <div className="create-library">
            <label htmlFor={`${ids}-new`} className="field-label">
              {t('add.createLabel')}
            </label>
            <div className="inline-fields">
              <input
                id={`${ids}-new`}
                className="input"
                value={newName}
                onChange={(event) => setNewName(event.target.value)}
                onKeyDown={(event) => {
                  // Enter here creates the library rather than submitting the whole form.
                  if (event.key === 'Enter') {
                    event.preventDefault();
                    void create();
                  }
                }}
                placeholder={t('add.createPlaceholder')}
                aria-invalid={nameProblem !== null}
              />
              <button type="button" className="button" disabled={creating || newName.trim() === ''} onClick={() => void create()}>
                {creating ? t('add.creating') : t('add.create')}
              </button>
            </div>
            {nameProblem === null ? null : <p className="field-problem">{t(nameProblem)}</p>}
            {createError === null ? null : <ErrorNotice error={createError} />}
          </div>
        </fieldset>

        <fieldset className="card section" disabled={chosen === null}>
          <legend className="section-title">{t('add.step.folder')}</legend>
          <div className="field">
            <label htmlFor={`${ids}-folder`} className="field-label">
              {t('add.folderLabel')}
            </label>
            <input
              id={`${ids}-folder`}
              className="input input-mono"
              spellCheck={false}
              autoComplete="off"
              value={localRoot}
              placeholder={t('add.folderPlaceholder')}
              onChange={(event) => {
                setLocalRoot(event.target.value);
                setLocalRootEdited(true);
              }}
              onBlur={() => localRoot !== '' && setFolderProblem(checkLocalFolder(localRoot))}
              aria-invalid={folderProblem !== null}
              aria-describedby={`${ids}-folder-hint`}
            />
            <p id={`${ids}-folder-hint`} className={folderProblem === null ? 'field-hint' : 'field-problem'}>
              {t(folderProblem ?? 'add.folderHint')}
            </p>
          </div>
        </fieldset>

        <fieldset className="card section" disabled={chosen === null}>
          <legend className="section-title">{t('add.step.what')}</legend>
          <div className="radio-row">
            <label className="radio">
              <input type="radio" name={`${ids}-mode`} checked={mode === 'all'} onChange={() => setMode('all')} />
              {t('selection.whole')}
            </label>
            <label className="radio">
              <input type="radio" name={`${ids}-mode`} checked={mode === 'some'} onChange={() => setMode('some')} />
              {t('selection.some')}
            </label>
          </div>
          {mode === 'some' && chosen !== null ? (
            <>
              <FolderTree key={chosen} libraryId={chosen} accountId={accountId} selection={selection} onChange={setSelection} label={t('selection.treeLabel', { name: chosenLibrary?.name ?? '' })} />
              {selection.length === 0 ? <p className="field-hint">{t('selection.pickOne')}</p> : null}
            </>
          ) : null}
        </fieldset>

        {error === null ? null : <ErrorNotice error={error} testId="add-error" />}
        <div className="form-actions">
          <button type="button" className="button" onClick={onCancel}>
            {t('common.cancel')}
          </button>
          <button type="submit" className="button button-primary" disabled={!canSubmit}>
            {submitting ? t('add.starting') : t('add.submit')}
          </button>
        </div>
      </form>
    </section>
  );
}
