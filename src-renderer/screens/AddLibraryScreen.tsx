// Add a library: pick one on the server (or create one), type the local folder (suggested by
// the service, checked by it as you type, or chosen in the app's folder dialog), and choose
// whether the whole library syncs or only some of its folders.

import { useCallback, useEffect, useId, useRef, useState } from 'react';
import type { FormEvent } from 'react';
import type { FolderCheck, FolderCheckReason, RemoteLibraryView, SyncApiError } from '../../shared/api/index.js';
import { FOLDER_CHECK_COUNT_LIMIT } from '../../shared/api/index.js';
import type { LibraryPath } from '../../shared/paths.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { FolderTree } from '../components/FolderTree.js';
import { Icon } from '../components/Icon.js';
import { ScreenHeading } from '../components/ScreenHeading.js';
import type { MessageKey } from '../i18n/en.js';
import { useI18n } from '../i18n/I18nContext.js';
import { toApiError } from '../state/errorText.js';
import { checkLibraryName, checkLocalFolder } from '../state/forms.js';
import { useSyncService } from '../state/SyncServiceContext.js';
import { accountName } from '../state/accountName.js';
import { shown } from '../i18n/shown.js';

/** How long typing must pause before the folder is checked. */
const CHECK_DELAY_MS = 300;

const CHECK_KEYS: Readonly<Record<Exclude<FolderCheckReason, 'not-empty'>, MessageKey>> = {
  missing: 'add.folderCheck.missing',
  'not-absolute': 'add.folderCheck.notAbsolute',
  'not-folder': 'add.folderCheck.notFolder',
  'not-writable': 'add.folderCheck.notWritable',
  'cannot-create': 'add.folderCheck.cannotCreate',
  'profile-folder': 'add.folderCheck.profileFolder',
  'is-library': 'add.folderCheck.isLibrary',
  'inside-library': 'add.folderCheck.insideLibrary',
  'contains-library': 'add.folderCheck.containsLibrary',
  'will-create': 'add.folderCheck.willCreate',
  empty: 'add.folderCheck.empty',
};

type Remote = { readonly kind: 'loading' } | { readonly kind: 'failed'; readonly error: SyncApiError } | { readonly kind: 'loaded'; readonly libraries: readonly RemoteLibraryView[] };

export function AddLibraryScreen({ onDone, onCancel }: { readonly onDone: (libraryId: string) => void; readonly onCancel: () => void }) {
  const { api, state, applyLibrary, stamp } = useSyncService();
  const i18n = useI18n();
  const { t, tn } = i18n;
  const ids = useId();
  const [remote, setRemote] = useState<Remote>({ kind: 'loading' });
  const [chosen, setChosen] = useState<string | null>(null);
  const [newName, setNewName] = useState('');
  const [nameProblem, setNameProblem] = useState<MessageKey | null>(null);
  const [creating, setCreating] = useState(false);
  const [createError, setCreateError] = useState<SyncApiError | null>(null);
  const [localRoot, setLocalRoot] = useState('');
  const [folderProblem, setFolderProblem] = useState<MessageKey | null>(null);
  // The service's verdict on the folder typed, for the text it was given (older answers are dropped).
  const [check, setCheck] = useState<{ readonly path: string; readonly result: FolderCheck } | null>(null);
  const [nativePicker, setNativePicker] = useState(false);
  const [picking, setPicking] = useState(false);
  const [pickError, setPickError] = useState<SyncApiError | null>(null);
  // Set once the user typed or picked a folder: suggestions no longer replace it.
  const edited = useRef(false);
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

  const choose = (library: RemoteLibraryView) => {
    setChosen(library.libraryId);
    setSelection([]);
    // The service suggests the folder (~/Cairn/<name> for the first library), until the user edits it.
    api.suggestFolder({ libraryName: library.name }).then(
      (suggestion) => {
        setNativePicker(suggestion.nativePicker);
        if (!edited.current) setLocalRoot(suggestion.path);
      },
      () => undefined,
    );
  };

  // The typed folder is checked by the service once typing pauses.
  useEffect(() => {
    if (chosen === null || localRoot.trim() === '') return;
    let live = true;
    const timer = setTimeout(() => {
      api.checkFolder({ path: localRoot }).then(
        (result) => live && setCheck({ path: localRoot, result }),
        () => undefined,
      );
    }, CHECK_DELAY_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [api, chosen, localRoot]);
  const verdict = check !== null && check.path === localRoot ? check.result : null;

  const pickFolder = async () => {
    setPicking(true);
    setPickError(null);
    try {
      const trimmed = localRoot.trim();
      const answer = await api.chooseFolder({ title: t('add.chooseTitle', { name: chosenLibrary?.name ?? '' }), startIn: checkLocalFolder(trimmed) === null ? trimmed : null });
      if (answer.path !== null) {
        edited.current = true;
        setLocalRoot(answer.path);
        setFolderProblem(null);
      }
    } catch (caught) {
      setPickError(toApiError(caught));
    } finally {
      setPicking(false);
    }
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
  const canSubmit = chosen !== null && localRoot.trim() !== '' && verdict?.verdict !== 'error' && !(mode === 'some' && selection.length === 0) && !submitting;
  const checkText = (result: FolderCheck): string =>
    result.reason === 'not-empty'
      ? (result.entries ?? 0) >= FOLDER_CHECK_COUNT_LIMIT
        ? t('add.folderCheck.notEmptyMany', { count: FOLDER_CHECK_COUNT_LIMIT })
        : tn('add.folderCheck.notEmpty', result.entries ?? 0)
      : t(CHECK_KEYS[result.reason], { library: result.libraryName ?? '' });
  const typedCheck = localRoot.trim() === '' || chosen === null ? null : verdict === null ? 'checking' : verdict;

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
                        <span className="choice-title">{shown(library.name)}</span>
                        <span className="choice-meta">
                          {synced
                            ? t('add.syncedTo', { folder: library.syncedTo ?? '' })
                            : library.owner === (chosenAccount ?? state.status?.account)?.user
                              ? t('add.yours')
                              : t('add.sharedBy', { owner: library.owner })}
                          {library.role === 'ro' ? <span className="tag">{t('add.readOnly')}</span> : null}
                          {library.sizeBytes === null || library.sizeBytes === undefined ? null : (
                            <span className="choice-size" data-testid="remote-size">
                              {i18n.bytes(library.sizeBytes)}
                            </span>
                          )}
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
            <div className="inline-fields">
              <input
                id={`${ids}-folder`}
                data-testid="folder-input"
                className="input input-mono"
                spellCheck={false}
                autoComplete="off"
                value={localRoot}
                placeholder={t('add.folderPlaceholder')}
                onChange={(event) => {
                  edited.current = true;
                  setLocalRoot(event.target.value);
                  setFolderProblem(null);
                }}
                // A suggestion arriving while the field has the focus would replace the text
                // under the cursor, or have what is typed next appended to it.
                onFocus={() => {
                  edited.current = true;
                }}
                onBlur={() => localRoot !== '' && setFolderProblem(checkLocalFolder(localRoot))}
                aria-invalid={folderProblem !== null || (typedCheck !== null && typedCheck !== 'checking' && typedCheck.verdict === 'error')}
                aria-describedby={`${ids}-folder-check ${ids}-folder-hint`}
              />
              {nativePicker ? (
                <button type="button" className="button" disabled={picking} onClick={() => void pickFolder()} aria-label={t('add.chooseLabel')} data-testid="choose-folder">
                  <Icon name="folder" />
                  {t('add.choose')}
                </button>
              ) : null}
            </div>
            <p
              id={`${ids}-folder-check`}
              className={`folder-check ${typedCheck === null || typedCheck === 'checking' ? 'is-checking' : `is-${typedCheck.verdict}`}`}
              role="status"
              data-testid="folder-check"
              data-verdict={typedCheck === null ? 'none' : typedCheck === 'checking' ? 'checking' : typedCheck.verdict}
              data-reason={typedCheck === null || typedCheck === 'checking' ? undefined : typedCheck.reason}
            >
              {typedCheck === null ? null : typedCheck === 'checking' ? t('add.folderCheck.checking') : checkText(typedCheck)}
            </p>
            <p id={`${ids}-folder-hint`} className={folderProblem === null ? 'field-hint' : 'field-problem'}>
              {t(folderProblem ?? 'add.folderHint')}
            </p>
            {pickError === null ? null : <ErrorNotice error={pickError} />}
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
