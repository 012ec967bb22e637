// The Cairn client-server protocol: types and runtime schemas, side by side, one file per area.
// The server validates every request with these schemas and the client every response.
// docs/protocol.md describes the same contract in prose.

export * from './common.js';
export * from './errors.js';
export * from './auth.js';
export * from './libraries.js';
export * from './chunkEdits.js';
export * from './folderMoves.js';
export * from './entries.js';
export * from './changes.js';
export * from './chunks.js';
export * from './commit.js';
export * from './history.js';
export * from './conflicts.js';
export * from './frames.js';
// Chunk patches: sub-chunk deltas.
export * from './chunkPatches.js';
export * from './routes.js';
