import { startTestServer, makeChunk, fileOf } from '/work/main/test/server/test-server.js';
import { routes, encodeFrames, buildPath, FRAMES_CONTENT_TYPE } from '/work/main/shared/protocol/index.js';
const chunks0 = Array.from({ length: 10000 }, (_, i) => makeChunk(`c${i}`, 8300));
const server = await startTestServer();
await server.addUser('alice');
const token = await server.login('alice');
const libraryId = (await server.ok(routes.createLibrary, { token, body: { name: 'Bench' } })).id;
const chunks = chunks0;
let t = performance.now();
const missing = await server.ok(routes.missingChunks, { token, params: { libraryId }, body: { ids: chunks.map(c => c.id) } });
console.log('missing 10k', (performance.now() - t).toFixed(0), 'ms', missing.missing.length);
t = performance.now();
for (let i = 0; i < chunks.length; i += 1000) {
  const r = await server.raw(buildPath(routes.uploadChunks, { libraryId }), { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': FRAMES_CONTENT_TYPE }, body: encodeFrames(chunks.slice(i, i + 1000)) as Uint8Array<ArrayBuffer> });
  if (r.status !== 200) throw new Error(await r.text());
}
console.log('upload 10k x 8.3KB (83 MB)', (performance.now() - t).toFixed(0), 'ms');
t = performance.now();
const changes = chunks.map((c, i) => ({ op: 'put' as const, path: `dir${i % 100}/file${i}.txt`, baseRev: null, ...fileOf([c.ref]) }));
const result = await server.ok(routes.commit, { token, params: { libraryId }, body: { changes } });
console.log('commit 10k', (performance.now() - t).toFixed(0), 'ms', result.headSeq);
t = performance.now();
let after = 0, n = 0;
while (true) { const p = await server.ok(routes.changes, { token, params: { libraryId }, query: { after, limit: 5000 } }); n += p.entries.length; after = p.cursor; if (!p.hasMore) break; }
console.log('feed', n, (performance.now() - t).toFixed(0), 'ms');
t = performance.now();
const r = await server.raw(`${buildPath(routes.changes, { libraryId })}?after=0&limit=5000`, { headers: { authorization: `Bearer ${token}`, 'accept-encoding': 'gzip' } });
const raw = await r.arrayBuffer();
console.log('feed page gzip header', r.headers.get('content-encoding'), 'decoded bytes', raw.byteLength);
// move folder of 100 files
const dirRev = (await server.ok(routes.history, { token, params: { libraryId }, query: { path: 'dir0' } })).versions[0]!.rev;
t = performance.now();
await server.ok(routes.commit, { token, params: { libraryId }, body: { changes: [{ op: 'move', from: 'dir0', to: 'moved', baseRev: dirRev, toBaseRev: null }] } });
console.log('move 100-file folder', (performance.now() - t).toFixed(0), 'ms');
t = performance.now();
const dl = await server.raw(buildPath(routes.downloadChunks, { libraryId }), { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ ids: chunks.slice(0, 5000).map(c => c.id) }) });
const buf = await dl.arrayBuffer();
console.log('download 5000 chunks', buf.byteLength, (performance.now() - t).toFixed(0), 'ms');
await server.stop();
