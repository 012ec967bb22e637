// The app: the sync service's state, the language from the preferences, and the screens. It
// shows the connect screen until this computer has an account, and says so plainly when the
// sync service cannot be reached or the page lacks its token.

import { useEffect, useMemo, useRef, useState } from 'react';
import type { SyncApi } from '../../shared/api/index.js';
import { ConflictDialog } from '../conflicts/ConflictDialog.js';
import { ConflictsScreen } from '../conflicts/ConflictsScreen.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { ConfirmDialog } from '../components/ConfirmDialog.js';
import { CairnMark } from '../components/Icon.js';
import { I18nProvider, useI18n } from '../i18n/I18nContext.js';
import { guessLanguage } from '../i18n/translate.js';
import { ActivityScreen } from '../screens/ActivityScreen.js';
import { AddLibraryScreen } from '../screens/AddLibraryScreen.js';
import { ConnectScreen } from '../screens/ConnectScreen.js';
import { FilesScreen } from '../screens/FilesScreen.js';
import { HistoryScreen } from '../screens/HistoryScreen.js';
import { LibrariesScreen } from '../screens/LibrariesScreen.js';
import { LibrarySettingsScreen } from '../screens/LibrarySettingsScreen.js';
import { PreferencesScreen } from '../screens/PreferencesScreen.js';
import { ProblemsScreen } from '../screens/ProblemsScreen.js';
import { SyncServiceProvider, useSyncService } from '../state/SyncServiceContext.js';
import type { LeaveGuards } from './leaveGuard.js';
import { LeaveGuardContext } from './leaveGuard.js';
import type { Place } from './navigation.js';
import { placeFromFragment, sectionOf } from './navigation.js';
import { Sidebar } from './Sidebar.js';

export function App({ api }: { readonly api: SyncApi }) {
  return (
    <SyncServiceProvider api={api}>
      <Localized />
    </SyncServiceProvider>
  );
}

function Localized() {
  const { state } = useSyncService();
  const [guessed] = useState(() => guessLanguage(navigator.languages ?? [navigator.language]));
  // The colours: the page follows the OS (prefers-color-scheme) unless the user chose light or dark.
  const theme = state.preferences?.theme ?? 'system';
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  return (
    <I18nProvider language={state.preferences?.language ?? guessed}>
      <Shell />
    </I18nProvider>
  );
}

function Shell() {
  const { state } = useSyncService();
  if (state.status === null) return state.statusError === null ? <Starting /> : <ServiceProblem />;
  // Connected before and refused now: the service restarted with another token.
  if (state.statusError?.code === 'unauthorized') return <Restarted />;
  if (state.status.account === null) return <ConnectScreen />;
  return <Main />;
}

function Starting() {
  const { t } = useI18n();
  return (
    <main className="splash" aria-busy="true">
      <CairnMark size={48} />
      <p className="muted">{t('app.starting')}</p>
    </main>
  );
}

function ServiceProblem() {
  const { state, reload } = useSyncService();
  const { t } = useI18n();
  const error = state.statusError;
  return (
    <main className="splash" data-testid="service-problem">
      <CairnMark size={48} />
      <h1 className="splash-title">{t(error?.code === 'unauthorized' ? 'app.needsLink' : 'app.serviceProblem')}</h1>
      {error === null ? null : <ErrorNotice error={error} />}
      {error?.code === 'unauthorized' ? null : (
        <button type="button" className="button" onClick={reload}>
          {t('common.retry')}
        </button>
      )}
    </main>
  );
}

function Restarted() {
  const { t } = useI18n();
  return (
    <main className="splash" data-testid="service-restarted">
      <CairnMark size={48} />
      <h1 className="splash-title">{t('app.restarted')}</h1>
      <p className="muted splash-text" role="alert">
        {t('app.restartedHelp')}
      </p>
    </main>
  );
}

function Main() {
  const { state } = useSyncService();
  const { t } = useI18n();
  const [place, setPlace] = useState<Place>({ screen: 'libraries' });
  const [notice, setNotice] = useState<string | null>(null);
  // Unsaved changes on the current screen, by owner; leaving asks first (see leaveGuard.tsx).
  const unsaved = useRef(new Map<string, string>());
  const [leaving, setLeaving] = useState<{ readonly to: Place; readonly what: string } | null>(null);
  const guards = useMemo<LeaveGuards>(
    () => ({
      set: (owner, what) => {
        if (what === null) unsaved.current.delete(owner);
        else unsaved.current.set(owner, what);
      },
    }),
    [],
  );
  const leave = (next: Place) => {
    unsaved.current.clear();
    setLeaving(null);
    setNotice(null);
    setPlace(next);
  };
  const go = (next: Place) => {
    const what = [...unsaved.current.values()][0];
    if (what !== undefined) setLeaving({ to: next, what });
    else leave(next);
  };
  useFragmentNavigation(go);
  const libraries = state.status?.libraries ?? [];

  const librariesScreen = (
    <LibrariesScreen
      notice={notice}
      onAdd={() => go({ screen: 'add-library' })}
      onOpen={(libraryId, link) =>
        go(link === 'settings' ? { screen: 'library', libraryId } : link === 'files' ? { screen: 'files', libraryId, path: '', back: { screen: 'libraries' } } : { screen: link })
      }
    />
  );
  let screen;
  switch (place.screen) {
    case 'libraries':
      screen = librariesScreen;
      break;
    case 'add-library':
      screen = <AddLibraryScreen onDone={() => go({ screen: 'libraries' })} onCancel={() => go({ screen: 'libraries' })} />;
      break;
    case 'library': {
      // A library removed meanwhile (here or from the command line) leads back to the list.
      const library = libraries.find((candidate) => candidate.libraryId === place.libraryId);
      screen =
        library === undefined ? (
          librariesScreen
        ) : (
          <LibrarySettingsScreen
            key={library.libraryId}
            library={library}
            onHistory={(path) => go({ screen: 'history', libraryId: library.libraryId, path, back: place })}
            onFiles={() => go({ screen: 'files', libraryId: library.libraryId, path: '', back: place })}
            onBack={() => go({ screen: 'libraries' })}
            onRemoved={(name, folder) => {
              setPlace({ screen: 'libraries' });
              setNotice(t('remove.done', { name, folder }));
            }}
            onLeft={(name, folder) => {
              setPlace({ screen: 'libraries' });
              setNotice(t('sharing.left', { name, folder }));
            }}
          />
        );
      break;
    }
    case 'activity':
      screen = <ActivityScreen onHistory={(libraryId, path) => go({ screen: 'history', libraryId, path, back: place })} />;
      break;
    case 'conflicts':
      screen = <ConflictsScreen notice={notice} onOpen={(conflictId) => go({ screen: 'conflict', conflictId })} />;
      break;
    case 'conflict':
      screen = (
        <ConflictDialog
          key={place.conflictId}
          conflictId={place.conflictId}
          onBack={() => go({ screen: 'conflicts' })}
          onOpen={(conflictId) => go({ screen: 'conflict', conflictId })}
          onHistory={(libraryId, path) => go({ screen: 'history', libraryId, path, back: place })}
          onResolved={(message) => {
            setPlace({ screen: 'conflicts' });
            setNotice(message);
          }}
        />
      );
      break;
    case 'files':
      // A library removed meanwhile leads back to the list.
      screen = !libraries.some((candidate) => candidate.libraryId === place.libraryId) ? (
        librariesScreen
      ) : (
        <FilesScreen
          key={`${place.libraryId}:${place.path}`}
          libraryId={place.libraryId}
          path={place.path}
          onFolder={(path) => go({ ...place, path })}
          onHistory={(path) => go({ screen: 'history', libraryId: place.libraryId, path, back: place })}
          onTrash={() => go({ screen: 'library', libraryId: place.libraryId })}
          onBack={() => go(place.back)}
        />
      );
      break;
    case 'history':
      screen = <HistoryScreen key={`${place.libraryId}:${place.path}`} libraryId={place.libraryId} path={place.path} onBack={() => go(place.back)} />;
      break;
    case 'problems':
      screen = <ProblemsScreen />;
      break;
    case 'preferences':
      screen = <PreferencesScreen />;
      break;
    default:
      screen = place satisfies never;
  }

  return (
    <LeaveGuardContext.Provider value={guards}>
      <div className="layout">
        <Sidebar current={sectionOf(place)} onNavigate={(section) => go({ screen: section })} />
        <main className="content">
          {state.connection === 'lost' ? (
            <div className="banner" role="status" data-testid="connection-lost">
              {t('app.connectionLost')}
            </div>
          ) : null}
          {screen}
        </main>
      </div>
      <ConfirmDialog
        open={leaving !== null}
        title={t('leave.title')}
        confirmLabel={t('leave.discard')}
        cancelLabel={t('leave.stay')}
        danger
        onConfirm={() => leaving !== null && leave(leaving.to)}
        onCancel={() => setLeaving(null)}
      >
        <p>{t('leave.text', { what: leaving?.what ?? '' })}</p>
      </ConfirmDialog>
    </LeaveGuardContext.Provider>
  );
}

/**
 * Follows the URL fragment the desktop app sets to open a place (`#preferences` from the tray),
 * now and whenever it changes. Once followed, the fragment is cleared, so that the same place
 * asked for again later is a change the page hears about.
 */
function useFragmentNavigation(navigate: (place: Place) => void): void {
  const latest = useRef(navigate);
  latest.current = navigate;
  useEffect(() => {
    const follow = () => {
      if (window.location.hash === '') return;
      const place = placeFromFragment(window.location.hash);
      clearFragment();
      if (place !== null) latest.current(place);
    };
    follow();
    window.addEventListener('hashchange', follow);
    return () => window.removeEventListener('hashchange', follow);
  }, []);
}

function clearFragment(): void {
  try {
    window.history.replaceState(window.history.state, '', window.location.pathname + window.location.search);
  } catch {
    // Some pages (file:// in a locked-down window) may refuse; an empty fragment works as well.
    window.location.hash = '';
  }
}
