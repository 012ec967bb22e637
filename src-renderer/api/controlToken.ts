// The daemon's control token in a browser page. The daemon's link carries it in the URL
// fragment (`#token=...`), which a browser never sends to any server. The page takes it from
// there before anything else reads the fragment, removes it from the address bar (and so from
// the history), and keeps it in sessionStorage, which belongs to the page's origin (scheme,
// host and port) and tab alone: a page on another 127.0.0.1 port cannot read it, and two
// daemons' pages each keep their own. A cookie would not do: cookies are not scoped by port.

import { controlTokenFromFragment } from '../../shared/api/index.js';

/** Where the page keeps the token, in its own origin's sessionStorage. */
export const CONTROL_TOKEN_STORAGE_KEY = 'cairn.controlToken';

/** The parts of a browser window this module uses (the page's own window, or a test's). */
export interface TokenPage {
  readonly location: { readonly hash: string; readonly pathname: string; readonly search: string };
  readonly history: { readonly state: unknown; replaceState(state: unknown, unused: string, url: string): void };
  readonly sessionStorage?: { getItem(key: string): string | null; setItem(key: string, value: string): void };
}

/**
 * The control token for this page: from the link's fragment (kept for later loads of this tab,
 * and removed from the address bar), else the one kept earlier; undefined when there is none
 * (the daemon then answers "unauthorized" and the UI says to open the link).
 */
export function takeControlToken(page: TokenPage): string | undefined {
  const fromLink = controlTokenFromFragment(page.location.hash);
  const storage = readableStorage(page);
  if (fromLink !== null) {
    try {
      storage?.setItem(CONTROL_TOKEN_STORAGE_KEY, fromLink);
    } catch {
      // Storage refused (a private window's quota): the token lives for this load only.
    }
    page.history.replaceState(page.history.state, '', page.location.pathname + page.location.search);
    return fromLink;
  }
  try {
    return storage?.getItem(CONTROL_TOKEN_STORAGE_KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

/** sessionStorage, or undefined where reading it throws (storage disabled by the browser). */
function readableStorage(page: TokenPage): TokenPage['sessionStorage'] {
  try {
    return page.sessionStorage;
  } catch {
    return undefined;
  }
}
