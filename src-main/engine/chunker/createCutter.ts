// The one place that maps a library's chunking algorithm to its implementation.

import type { ChunkingParams } from '../../../shared/model.js';
import { checkChunkingParams } from './cutter.js';
import type { Cutter } from './cutter.js';
import { FastCdcCutter } from './fastCdcCutter.js';
import { RabinCutter } from './rabinCutter.js';

/** Creates a cutter for one stream with the library's parameters (checked first). */
export function createCutter(params: ChunkingParams): Cutter {
  checkChunkingParams(params);
  switch (params.algorithm) {
    case 'fastcdc':
      return new FastCdcCutter(params);
    case 'rabin':
      return new RabinCutter(params);
    default:
      return missingAlgorithm(params.algorithm);
  }
}

function missingAlgorithm(algorithm: never): never {
  throw new RangeError(`Unknown chunking algorithm ${JSON.stringify(algorithm)}.`);
}
