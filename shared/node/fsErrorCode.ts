// The errno code of a Node error, the one way client and server code asks "what failed".

/** The errno code of a Node fs error ('ENOENT', 'EACCES', ...), or undefined for other values. */
export function fsErrorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const code = (error as { code: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}
