// The device tokens of a profile's accounts, as the one secret the profile's secret store keeps
// (the owner-only `credentials` file, or the desktop app's safeStorage-encrypted file): a JSON
// object from account id to token. A profile written before it held several accounts kept a
// bare token there; parseAccountTokens says so, and the engine moves it to its account.

const FORMAT = 'cairn-account-tokens';

export type AccountTokens = ReadonlyMap<string, string>;

/** The tokens in a stored secret: `legacy` is a bare token of an older profile (one account). */
export function parseAccountTokens(secret: string | undefined): { readonly tokens: Map<string, string>; readonly legacy: string | undefined } {
  const text = secret?.trim() ?? '';
  if (text === '') return { tokens: new Map(), legacy: undefined };
  if (!text.startsWith('{')) return { tokens: new Map(), legacy: text };
  try {
    const parsed = JSON.parse(text) as { format?: unknown; tokens?: unknown };
    const tokens = new Map<string, string>();
    if (parsed.format === FORMAT && typeof parsed.tokens === 'object' && parsed.tokens !== null) {
      for (const [accountId, token] of Object.entries(parsed.tokens)) {
        if (typeof token === 'string' && token !== '') tokens.set(accountId, token);
      }
    }
    return { tokens, legacy: undefined };
  } catch {
    // A damaged secret holds no usable token: every account is signed out.
    return { tokens: new Map(), legacy: undefined };
  }
}

export function serializeAccountTokens(tokens: AccountTokens): string {
  return JSON.stringify({ format: FORMAT, tokens: Object.fromEntries([...tokens].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) });
}
