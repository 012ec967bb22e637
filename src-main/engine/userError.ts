// Errors the user must fix, with what kind of thing it is, so that callers can map them to
// codes (the SyncApi) or print them (the CLI).

/**
 * What kind of thing the user must fix, for callers that map it to a code (the SyncApi):
 * 'not-logged-in', a 'not-found' library, path or conflict, a 'conflict' with the current state
 * (already synced, overlapping folders, changed meanwhile), or an 'invalid' request.
 */
export type UserErrorReason = 'not-logged-in' | 'not-found' | 'conflict' | 'invalid';

/** Thrown for what the user must fix (not logged in, unknown library, ...): a message to show. */
export class UserError extends Error {
  override readonly name = 'UserError';
  constructor(
    message: string,
    readonly reason: UserErrorReason = 'invalid',
    /** Facts a caller may act on (the libraries an account change would stop syncing). */
    readonly details: Readonly<Record<string, unknown>> | undefined = undefined,
  ) {
    super(message);
  }
}
