// The scanner as a sync round uses it. Large files are chunked and hashed on the chunker's
// worker threads; small ones in this thread, where a file costs less than the round trip to a
// worker (measured: 1,000 files of 8 KiB in 0.33 s in-thread with 4 at once, 0.74 s through
// the pool). Their calls are synchronous (chunkSmallFileSync): a few pages read at once cost
// less than a promise round trip through the thread pool per call.

import type { ChunkerPool } from '../chunker/index.js';
import { SMALL_FILE_BYTES, chunkSmallFileSync } from '../chunker/chunkSmallFile.js';
import { LibraryRootError, diskMatchesRecord, loadIgnoreMatcher, scanLibrary } from '../scanner/index.js';
import type { LocalScanner } from './localScanner.js';
import type { LibraryPath } from '../../../shared/paths.js';
import path from 'node:path';

/** The library path of a file below `root` (as the scanner names it; a path it names otherwise just finds no previous version). */
function libraryPathOf(root: string, file: string): LibraryPath {
  return path.relative(root, file).split(path.sep).join('/') as LibraryPath;
}

/** Files up to this size are hashed in-thread: about 0.2 ms of CPU each at the most. */
const IN_THREAD_BYTES = SMALL_FILE_BYTES;
const HASH_CONCURRENCY = 4;

/** `statOnThisThread`: see ScanOptions; for a process that serves nothing else while it scans. */
export function createLocalScanner(pool: ChunkerPool, options: { readonly statOnThisThread?: boolean } = {}): LocalScanner {
  return {
    ...(options.statOnThisThread === true
      ? {
          async matchesRecord({ root, recorded }) {
            const absolute = path.resolve(root);
            let ignore;
            try {
              ignore = await loadIgnoreMatcher(absolute);
            } catch {
              return null;
            }
            return diskMatchesRecord(absolute, recorded, ignore) ? { ignore } : null;
          },
        }
      : {}),
    async scan({ keptChunks, earlyUpload, ...request }) {
      // Small files are read into this one buffer: KeptChunks copies what it keeps before the
      // next file is read (the read and the copy run with no await between them).
      const scratch = new Uint8Array(SMALL_FILE_BYTES + 1);
      try {
        const result = await scanLibrary({
          hashConcurrency: HASH_CONCURRENCY,
          ...(options.statOnThisThread === true ? { statOnThisThread: true } : {}),
          ...request,
          hashFile: async (file, params, sizeHint) => {
            if (sizeHint === undefined || sizeHint > IN_THREAD_BYTES) return pool.chunkFile(file, params);
            // A small file is read whole here anyway; its bytes can wait for the upload. They
            // are copied into KeptChunks at once: `bytes` is the scratch buffer, read into again
            // by the next file.
            const small = chunkSmallFileSync(file, params, scratch);
            if (small === null) return pool.chunkFile(file, params);
            const { bytes, ...chunked } = small;
            if (keptChunks?.wants(chunked.size) === true) {
              keptChunks.keep(chunked.chunks, bytes);
              // The previous version of an edited file, whose chunks its new ones may be patches of.
              const previous = earlyUpload === undefined ? undefined : request.previous.get(libraryPathOf(request.root, file));
              await earlyUpload?.offer(chunked.chunks, previous?.node.kind === 'file' ? previous.chunks : undefined);
            }
            return chunked;
          },
        });
        return { status: 'scanned', result };
      } catch (error) {
        if (error instanceof LibraryRootError) return { status: 'root-problem', error };
        throw error;
      }
    },
  };
}
