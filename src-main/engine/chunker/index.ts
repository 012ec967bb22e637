// The chunker: content-defined chunking, chunk ids and content hashes, off the main thread.
//
//   createCutter(params)      - the streaming "next split point" for one stream (fastcdc, rabin)
//   chunkStream / chunkBytes  - bytes to chunks with ids, streaming / in memory
//   chunkFile                 - a file to chunks, with stat checks for changes during the read
//   openChunkReader/readChunk - chunks of a file re-read and checked against their ids
//   createChunkerPool         - chunkFile on worker threads, each cutting while its
//                               HashingThread hashes
//   HashingThread             - a second thread for chunkFile's SHA-256 on large files
//   contentHashOf / chunkIdOf - the two content identities

export type { Cutter } from './cutter.js';
export { checkChunkingParams } from './cutter.js';
export { createCutter } from './createCutter.js';
export { FastCdcCutter, GEAR } from './fastCdcCutter.js';
export { RabinCutter } from './rabinCutter.js';
export type { ChunkStreamOptions, LocatedChunk } from './chunkStream.js';
export { chunkBytes, chunkStream } from './chunkStream.js';
export type { ChunkedFile, ChunkedFileStat, ChunkFileOptions } from './chunkFile.js';
export { chunkFile } from './chunkFile.js';
export type { ChunkReader } from './chunkReader.js';
export { SequentialChunkReads, openChunkReader, readChunk, unhashedChunkReads } from './chunkReader.js';
export type { ScannedStat } from './chunkReader.js';
export type { ChunkFileAction, ChunkFileProblem } from './chunkFileError.js';
export { actionFor, ChunkFileError, FileChangedWhileReading } from './chunkFileError.js';
export type { ChunkerPool, ChunkerPoolOptions, PoolChunkFileOptions } from './chunkerPool.js';
export { ChunkerPoolClosed, createChunkerPool, defaultPoolSize } from './chunkerPool.js';
export { chunkIdOf, contentHashOf } from '../../../shared/node/contentHash.js';
export { HashingThread } from './hashingThread.js';
