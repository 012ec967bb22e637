// Where the user is: a sidebar section, or a page inside one. Plain state, no router: the UI is
// one window with a handful of screens. The one address it follows is the URL fragment, which
// the desktop app sets to open a place from outside (the tray's Preferences item):
// `#preferences`, `#conflicts`, `#conflict/12`, and the other sections by name.

import type { FolderPath } from '../../shared/api/index.js';
import type { LibraryPath } from '../../shared/paths.js';

export type Section = 'libraries' | 'activity' | 'conflicts' | 'problems' | 'preferences';

export type Place =
  | { readonly screen: 'libraries' }
  | { readonly screen: 'add-library' }
  | { readonly screen: 'library'; readonly libraryId: string }
  | { readonly screen: 'activity' }
  | { readonly screen: 'conflicts' }
  | { readonly screen: 'conflict'; readonly conflictId: number }
  | { readonly screen: 'history'; readonly libraryId: string; readonly path: LibraryPath; readonly back: Place }
  | { readonly screen: 'files'; readonly libraryId: string; readonly path: FolderPath; readonly back: Place }
  | { readonly screen: 'problems' }
  | { readonly screen: 'preferences' };

export function sectionOf(place: Place): Section {
  switch (place.screen) {
    case 'libraries':
    case 'add-library':
    case 'library':
    case 'files':
      return 'libraries';
    case 'conflict':
      return 'conflicts';
    case 'history':
      return sectionOf(place.back);
    default:
      return place.screen;
  }
}

const SECTIONS: readonly Section[] = ['libraries', 'activity', 'conflicts', 'problems', 'preferences'];

/** The place a URL fragment ('#preferences', 'conflict/12') names, or null when it names none. */
export function placeFromFragment(fragment: string): Place | null {
  let route: string;
  try {
    route = decodeURIComponent(fragment.startsWith('#') ? fragment.slice(1) : fragment).trim();
  } catch {
    return null;
  }
  const section = SECTIONS.find((candidate) => candidate === route);
  if (section !== undefined) return { screen: section };
  const conflict = /^conflict\/([1-9][0-9]{0,14})$/.exec(route);
  if (conflict !== null) return { screen: 'conflict', conflictId: Number(conflict[1]) };
  return null;
}
