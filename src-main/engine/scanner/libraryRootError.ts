export type LibraryRootProblem = 'missing' | 'not-a-folder' | 'unreadable' | 'ignore-file-unreadable';

/**
 * The scan could not look at the library at all. The engine pauses the library (circuit
 * breaker): scanning on would make every file look deleted. The message tells the user what to
 * do.
 */
export class LibraryRootError extends Error {
  override readonly name = 'LibraryRootError';
  constructor(
    readonly reason: LibraryRootProblem,
    readonly root: string,
    readonly code?: string,
  ) {
    super(messageFor(reason, root, code));
  }
}

function messageFor(reason: LibraryRootProblem, root: string, code: string | undefined): string {
  switch (reason) {
    case 'missing':
      return `The library folder ${root} is missing. If it is on a removable or network disk, connect it; otherwise choose its new location or remove the library. Syncing it is paused.`;
    case 'not-a-folder':
      return `${root} is not a folder, so Cairn cannot sync the library there. Move the file away or choose another folder. Syncing it is paused.`;
    case 'unreadable':
      return `Cairn may not read the library folder ${root} (${code ?? 'error'}). Give your user access to it. Syncing it is paused.`;
    case 'ignore-file-unreadable':
      return `Cairn may not read ${root}'s .cairnignore (${code ?? 'error'}), so it cannot tell which files to leave out. Fix its permissions. Syncing it is paused.`;
    default:
      return reason satisfies never;
  }
}
