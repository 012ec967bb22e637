// The scanner as a sync round uses it: files are hashed on the chunker's worker threads.

import type { ChunkerPool } from '../chunker/index.js';
import { LibraryRootError, scanLibrary } from '../scanner/index.js';
import type { LocalScanner } from './localScanner.js';

export function createLocalScanner(pool: ChunkerPool): LocalScanner {
  return {
    async scan(request) {
      try {
        const result = await scanLibrary({ ...request, hashFile: (file, params) => pool.chunkFile(file, params) });
        return { status: 'scanned', result };
      } catch (error) {
        if (error instanceof LibraryRootError) return { status: 'root-problem', error };
        throw error;
      }
    },
  };
}
