// How the UI names an account in one line: "ann@cairn.example" (the server's host and port).

/** The host (and port) of a server address; the address itself when it is not a URL. */
export function hostOf(serverUrl: string): string {
  try {
    return new URL(serverUrl).host;
  } catch {
    return serverUrl;
  }
}

/** "user@host" for an account. */
export function accountName(account: { readonly user: string; readonly serverUrl: string }): string {
  return `${account.user}@${hostOf(account.serverUrl)}`;
}
