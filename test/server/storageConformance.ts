// The storage conformance suite: every backend (metadata store + chunk store) must pass it.
// Run it with a harness that opens the backend; `open` may be called again after the stores
// were closed, and must then see the same data (that is what durable means).

import { describe, expect, it, beforeEach, afterEach } from 'vitest';
import type { ChunkId, ChunkingParams } from '../../shared/model.js';
import { DEFAULT_CHUNKING } from '../../shared/model.js';
import type { LibraryPath } from '../../shared/paths.js';
import type { Change } from '../../shared/protocol/index.js';
import type { Stores } from '../../src-server/server.js';
import { comparePaths } from '../../shared/pathOrder.js';
import { NameTakenError } from '../../src-server/storage/metadataStore.js';
import type { CommitInput, MetadataStore } from '../../src-server/storage/metadataStore.js';
import { chunkIdOf, fileOf, makeChunk } from './testServer.js';

export interface StorageHarness {
  open(): Promise<Stores>;
  /** Removes everything the harness created; the stores are closed by then. */
  destroy(): Promise<void>;
}

const path = (raw: string) => raw as LibraryPath;
const chunkA = makeChunk('conformance a');
const chunkB = makeChunk('conformance b', 777);

export function describeStorageConformance(backend: string, createHarness: () => Promise<StorageHarness>): void {
  describe(`storage conformance: ${backend}`, () => {
    let harness: StorageHarness;
    let stores: Stores;
    let store: MetadataStore;
    let open = true;

    beforeEach(async () => {
      harness = await createHarness();
      stores = await harness.open();
      store = stores.metadata;
      open = true;
    });
    afterEach(async () => {
      if (open) await closeStores();
      await harness.destroy();
    });

    async function closeStores(): Promise<void> {
      await stores.metadata.close();
      await stores.chunks.close();
      open = false;
    }

    async function reopen(): Promise<void> {
      await closeStores();
      stores = await harness.open();
      store = stores.metadata;
      open = true;
    }

    let counter = 0;
    async function user(name = `user${++counter}`) {
      const record = { id: `user-id-${name}`, name, admin: false, passwordHash: `hash-of-${name}`, createdAt: 1000 + counter };
      await store.users.create(record);
      return record;
    }

    async function library(ownerId: string, name = `library ${++counter}`, chunking: ChunkingParams = DEFAULT_CHUNKING) {
      const id = `library-id-${++counter}`;
      await store.libraries.create({ id, name, ownerId, chunking, createdAt: 5000 });
      return id;
    }

    function commitInput(libraryId: string, changes: Change[]): CommitInput {
      return { libraryId, userId: 'user-id-owner', userName: 'owner', device: 'test device', committedAt: 9000, changes };
    }

    const put = (raw: string, baseRev: number | null, file = fileOf([chunkA.ref])): Change => ({ op: 'put', path: path(raw), baseRev, ...file });
    const mkdir = (raw: string): Change => ({ op: 'mkdir', path: path(raw), baseRev: null });

    async function committed(libraryId: string, changes: Change[]) {
      const outcome = await store.versions.commit(commitInput(libraryId, changes));
      if (outcome.kind !== 'committed') throw new Error(`commit refused: ${outcome.kind}`);
      return outcome;
    }

    describe('users', () => {
      it('creates, finds and lists users, refusing a taken name', async () => {
        const alice = await user('alice');
        await user('bob');
        expect(await store.users.byName('alice')).toEqual({ ...alice, removedAt: null, quotaBytes: null });
        expect(await store.users.byId(alice.id)).toEqual({ ...alice, removedAt: null, quotaBytes: null });
        expect(await store.users.byName('nobody')).toBeNull();
        expect((await store.users.list()).map((record) => record.name)).toEqual(['alice', 'bob']);
        await expect(user('alice')).rejects.toBeInstanceOf(NameTakenError);
      });

      it('changes password hashes and the admin flag', async () => {
        const alice = await user('alice');
        await store.users.setPasswordHash(alice.id, 'new hash');
        await store.users.setAdmin(alice.id, true);
        expect(await store.users.byId(alice.id)).toMatchObject({ passwordHash: 'new hash', admin: true });
      });

      it('removes a user: tokens and memberships go, owned libraries go to the trash, the name stays taken', async () => {
        const alice = await user('alice');
        const bob = await user('bob');
        const own = await library(alice.id);
        const bobs = await library(bob.id);
        await store.libraries.setMember(bobs, alice.id, 'rw');
        await store.tokens.create({ id: 'token-1', userId: alice.id, tokenHash: new Uint8Array(32).fill(1), deviceName: 'd', createdAt: 1, lastUsedAt: 1 });
        await store.users.remove(alice.id, 7777);
        expect((await store.users.byId(alice.id))?.removedAt).toBe(7777);
        expect(await store.tokens.findByHash(new Uint8Array(32).fill(1))).toBeNull();
        expect(await store.libraries.accessFor(bobs, alice.id)).toBeNull();
        expect((await store.libraries.accessFor(own, alice.id))?.deletedAt).toBe(7777);
        await expect(user('alice')).rejects.toBeInstanceOf(NameTakenError);
      });
    });

    describe('tokens', () => {
      it('finds tokens by hash only, lists, touches and revokes them', async () => {
        const alice = await user('alice');
        const hash = (byte: number) => new Uint8Array(32).fill(byte);
        await store.tokens.create({ id: 'token-a', userId: alice.id, tokenHash: hash(1), deviceName: 'laptop', createdAt: 10, lastUsedAt: 10 });
        await store.tokens.create({ id: 'token-b', userId: alice.id, tokenHash: hash(2), deviceName: 'phone', createdAt: 20, lastUsedAt: 20 });
        expect(await store.tokens.findByHash(hash(1))).toEqual({ id: 'token-a', userId: alice.id, deviceName: 'laptop', createdAt: 10, lastUsedAt: 10 });
        expect(await store.tokens.findByHash(hash(3))).toBeNull();
        await store.tokens.touch('token-a', 99);
        expect((await store.tokens.findByHash(hash(1)))?.lastUsedAt).toBe(99);
        expect((await store.tokens.listForUser(alice.id)).map((token) => token.id)).toEqual(['token-a', 'token-b']);
        expect(await store.tokens.revoke('someone else', 'token-a')).toBe(false);
        expect(await store.tokens.revoke(alice.id, 'token-a')).toBe(true);
        expect(await store.tokens.findByHash(hash(1))).toBeNull();
        expect(await store.tokens.revokeAllForUser(alice.id)).toBe(1);
        expect(await store.tokens.listForUser(alice.id)).toEqual([]);
      });
    });

    describe('libraries', () => {
      it('gives each user their role, and strangers nothing', async () => {
        const [alice, bob, carol, dave] = [await user(), await user(), await user(), await user()];
        const chunking: ChunkingParams = { algorithm: 'rabin', minSize: 2048, avgSize: 4096, maxSize: 8192 };
        const id = await library(alice.id, 'Shared', chunking);
        await store.libraries.setMember(id, bob.id, 'rw');
        await store.libraries.setMember(id, carol.id, 'ro');
        expect(await store.libraries.accessFor(id, alice.id)).toEqual({
          id,
          name: 'Shared',
          ownerId: alice.id,
          ownerName: alice.name,
          chunking,
          headSeq: 0,
          createdAt: 5000,
          deletedAt: null,
          liveBytes: 0,
          role: 'owner',
        });
        expect((await store.libraries.accessFor(id, bob.id))?.role).toBe('rw');
        expect((await store.libraries.accessFor(id, carol.id))?.role).toBe('ro');
        expect(await store.libraries.accessFor(id, dave.id)).toBeNull();
        expect(await store.libraries.accessFor('no such library', alice.id)).toBeNull();
        expect((await store.libraries.members(id)).map((member) => [member.userName, member.role])).toEqual([
          [alice.name, 'owner'],
          [bob.name, 'rw'],
          [carol.name, 'ro'],
        ]);
        await store.libraries.setMember(id, carol.id, 'rw');
        expect((await store.libraries.accessFor(id, carol.id))?.role).toBe('rw');
        expect(await store.libraries.removeMember(id, carol.id)).toBe(true);
        expect(await store.libraries.removeMember(id, carol.id)).toBe(false);
        expect(await store.libraries.accessFor(id, carol.id)).toBeNull();
      });

      it('lists live libraries by name for owners and members, trashed ones for owners', async () => {
        const [alice, bob] = [await user(), await user()];
        const zeta = await library(alice.id, 'Zeta');
        const alpha = await library(alice.id, 'Alpha');
        const trashed = await library(alice.id, 'Trashed');
        await store.libraries.setMember(trashed, bob.id, 'ro');
        await store.libraries.setMember(zeta, bob.id, 'ro');
        await store.libraries.setDeletedAt(trashed, 1234);
        expect((await store.libraries.listFor(alice.id, 'live')).map((item) => item.id)).toEqual([alpha, zeta]);
        expect((await store.libraries.listFor(bob.id, 'live')).map((item) => item.id)).toEqual([zeta]);
        expect((await store.libraries.listFor(alice.id, 'trashed')).map((item) => [item.id, item.deletedAt])).toEqual([[trashed, 1234]]);
        expect(await store.libraries.listFor(bob.id, 'trashed')).toEqual([]);
      });

      it('keeps live names unique per owner across create, rename and restore', async () => {
        const [alice, bob] = [await user(), await user()];
        const first = await library(alice.id, 'Name');
        await expect(library(alice.id, 'Name')).rejects.toBeInstanceOf(NameTakenError);
        await library(bob.id, 'Name');
        const second = await library(alice.id, 'Other');
        await expect(store.libraries.rename(second, 'Name')).rejects.toBeInstanceOf(NameTakenError);
        await store.libraries.setDeletedAt(first, 1);
        await store.libraries.rename(second, 'Name');
        await expect(store.libraries.setDeletedAt(first, null)).rejects.toBeInstanceOf(NameTakenError);
        expect((await store.libraries.accessFor(first, alice.id))?.deletedAt).toBe(1);
      });
    });

    describe('chunk links', () => {
      it('answers missing ids per library, in order, without duplicates', async () => {
        const alice = await user();
        const [one, two] = [await library(alice.id), await library(alice.id)];
        await store.chunks.link(one, [{ id: chunkA.id, size: 100 }]);
        await store.chunks.link(one, [{ id: chunkA.id, size: 100 }]);
        expect(await store.chunks.missing(one, [chunkB.id, chunkA.id, chunkB.id])).toEqual([chunkB.id]);
        expect(await store.chunks.missing(two, [chunkA.id])).toEqual([chunkA.id]);
      });

      it('keeps a library\'s conflicts: reported once per path and copy, open until resolved', async () => {
        const alice = await user();
        const libraryId = await library(alice.id);
        const input = { libraryId, path: path('notes.txt'), conflictPath: path('notes (conflict laptop 2026-01-01 000000).txt'), remoteRev: 3, baseRev: 2, device: 'laptop', userName: alice.name, createdAt: 7000 };
        const first = await store.conflicts.report(input);
        expect(first).toMatchObject({ ...input, resolvedAt: null });
        expect(await store.conflicts.report({ ...input, device: 'desktop' })).toEqual(first);
        const second = await store.conflicts.report({ ...input, conflictPath: path('notes (conflict desktop 2026-01-02 000000).txt'), remoteRev: null, baseRev: null });
        expect(second.id).toBeGreaterThan(first.id);
        expect(await store.conflicts.open(libraryId)).toEqual([first, second]);
        expect(await store.conflicts.resolve(libraryId, first.id, alice.id, 'keep-mine', 8000)).toBe(true);
        expect(await store.conflicts.resolve(libraryId, first.id, alice.id, 'keep-mine', 8000)).toBe(false);
        expect(await store.conflicts.open(libraryId)).toEqual([second]);
        expect(await store.conflicts.report(input)).toMatchObject({ id: first.id, resolvedAt: 8000 });
      });

      it('lists a library\'s damaged chunks until they are linked again', async () => {
        const alice = await user();
        const [one, two] = [await library(alice.id), await library(alice.id)];
        await store.chunks.link(one, [chunkA.ref, chunkB.ref]);
        await store.chunks.link(two, [chunkA.ref]);
        expect(await store.chunks.damaged(one, 10)).toEqual([]);
        await store.chunks.markDamaged(alice.id, [chunkA.id, chunkB.id]);
        expect((await store.chunks.damaged(one, 10)).sort()).toEqual([chunkA.id, chunkB.id].sort());
        expect(await store.chunks.damaged(one, 1)).toHaveLength(1);
        expect(await store.chunks.damaged(two, 10)).toEqual([chunkA.id]);
        await store.chunks.link(two, [chunkA.ref]);
        expect(await store.chunks.damaged(two, 10)).toEqual([]);
      });
    });

    describe('versions', () => {
      let libraryId: string;
      beforeEach(async () => {
        const owner = await user('owner');
        libraryId = await library(owner.id);
        // As the upload route does: the bytes are stored before the library links them.
        await stores.chunks.put(owner.id, [chunkA, chunkB]);
        await store.chunks.link(libraryId, [chunkA.ref, chunkB.ref]);
      });

      it('commits versions with consecutive revs and records who and when', async () => {
        const outcome = await committed(libraryId, [put('a/f', null), mkdir('d')]);
        expect(outcome.headSeq).toBe(3);
        expect(outcome.results).toMatchObject([
          { index: 0, status: 'applied', entry: { path: 'a/f', rev: 2 } },
          { index: 1, status: 'applied', entry: { path: 'd', rev: 3 } },
        ]);
        expect((await store.libraries.accessFor(libraryId, 'user-id-owner'))?.headSeq).toBe(3);
        expect(await store.versions.head(libraryId, path('a/f'))).toEqual({
          path: 'a/f',
          kind: 'file',
          deleted: false,
          rev: 2,
          ...fileOf([chunkA.ref]),
          device: 'test device',
          userName: 'owner',
          committedAt: 9000,
        });
        expect(await store.versions.commitStart(libraryId, 3)).toBe(1);
        expect(await store.versions.commitStart(libraryId, 4)).toBeNull();
      });

      it('refuses a commit naming unlinked chunks or wrong chunk sizes, applying nothing', async () => {
        const unknown = makeChunk('not linked');
        const missing = await store.versions.commit(commitInput(libraryId, [put('ok', null), put('f', null, fileOf([unknown.ref, chunkA.ref]))]));
        expect(missing).toEqual({ kind: 'missing-chunks', missing: [unknown.id] });
        const wrongSize = await store.versions.commit(commitInput(libraryId, [put('f', null, fileOf([{ id: chunkB.id, size: 1 }]))]));
        expect(wrongSize).toEqual({ kind: 'chunk-size-mismatch', chunkId: chunkB.id, claimed: 1, stored: 777 });
        expect(await store.versions.headSeq(libraryId)).toBe(0);
        expect(await store.versions.head(libraryId, path('ok'))).toBeNull();
      });

      it('applies the commit rules: conflicts, folder deletes and subtree moves', async () => {
        await committed(libraryId, [put('d/x', null), put('d/e/y', null)]); // d 1, d/x 2, d/e 3, d/e/y 4
        const outcome = await committed(libraryId, [
          put('d/x', null),
          { op: 'delete', path: path('d'), baseRev: 1 },
          { op: 'move', from: path('d'), to: path('m'), baseRev: 1, toBaseRev: null },
        ]);
        expect(outcome.results.map((result) => (result.status === 'applied' ? 'applied' : result.reason))).toEqual(['stale-base', 'not-empty', 'applied']);
        const live = await store.versions.snapshot(libraryId, outcome.headSeq, null, 100);
        expect(live.items.map((entry) => entry.path)).toEqual(['m', 'm/e', 'm/e/y', 'm/x']);
        expect((await store.versions.head(libraryId, path('d/e/y')))?.movedTo).toBe('m/e/y');
        expect((await store.versions.head(libraryId, path('m/e/y')))?.movedFrom).toBe('d/e/y');
      });

      it('reads the feed, history, versions, trash, snapshots and subtrees', async () => {
        await committed(libraryId, [put('a', null), put('b/c', null)]); // a 1, b 2, b/c 3
        await committed(libraryId, [put('a', 1, fileOf([chunkB.ref]))]); // a 4
        await committed(libraryId, [{ op: 'delete', path: path('b/c'), baseRev: 3 }]); // 5

        const page = await store.versions.changes(libraryId, 0, 2);
        expect([page.items.map((entry) => [entry.path, entry.rev]), page.hasMore, page.headSeq]).toEqual([[['b', 2], ['a', 4]], true, 5]);
        const rest = await store.versions.changes(libraryId, 4, 2);
        expect([rest.items.map((entry) => [entry.path, entry.rev, entry.deleted]), rest.hasMore]).toEqual([[['b/c', 5, true]], false]);

        expect((await store.versions.history(libraryId, path('a'))).map((entry) => entry.rev)).toEqual([4, 1]);
        expect((await store.versions.version(libraryId, path('a'), 1))?.chunks).toEqual([chunkA.ref]);
        expect(await store.versions.version(libraryId, path('a'), 2)).toBeNull();

        const trash = await store.versions.trash(libraryId, null, 10);
        expect(trash.items.map((item) => [item.deleted.path, item.deleted.rev, item.lastLive.rev])).toEqual([['b/c', 5, 3]]);
        expect((await store.versions.trash(libraryId, path('b/c'), 10)).items).toEqual([]);

        expect((await store.versions.snapshot(libraryId, 3, null, 10)).items.map((entry) => [entry.path, entry.rev])).toEqual([
          ['a', 1],
          ['b', 2],
          ['b/c', 3],
        ]);
        const paged = await store.versions.snapshot(libraryId, 5, path('a'), 1);
        expect([paged.items.map((entry) => entry.path), paged.hasMore]).toEqual([['b'], false]);
        expect((await store.versions.subtreeAt(libraryId, path('b'), 4)).map((entry) => entry.path)).toEqual(['b/c']);
        expect(await store.versions.subtreeAt(libraryId, path('b'), 5)).toEqual([]);
      });

      it('orders paths by code point and keeps subtrees to their own folder, whatever the database collation', async () => {
        // Inside folder a, and beside it: names a linguistic collation (ICU, en_US) sorts into
        // the range of a/ or mixes with it.
        const inside = ['a/b', 'a/ä', 'a/Z', 'a/😀', 'a/日本'];
        const beside = ['A/b', 'a+', 'a-b', 'a~', 'a0', 'ä', 'b', '😀', 'ﬀ', 'a b'];
        await committed(libraryId, [...inside, ...beside].map((raw) => put(raw, null)));
        const head = await store.versions.headSeq(libraryId);
        const expectedOrder = [...new Set(['a', 'A', ...inside, ...beside])].sort(comparePaths);
        const all = await store.versions.snapshot(libraryId, head, null, 100);
        expect(all.items.map((entry) => entry.path)).toEqual(expectedOrder);
        // Paging after a non-ASCII path continues in the same order.
        const after = await store.versions.snapshot(libraryId, head, path('a/ä'), 3);
        expect(after.items.map((entry) => entry.path)).toEqual(expectedOrder.slice(expectedOrder.indexOf('a/ä') + 1, expectedOrder.indexOf('a/ä') + 4));
        expect((await store.versions.subtreeAt(libraryId, path('a'), head)).map((entry) => entry.path)).toEqual([...inside].sort(comparePaths));

        // Deleting folder a is refused only for its own children; moving it moves exactly them.
        const refused = await committed(libraryId, [{ op: 'delete', path: path('a'), baseRev: 1 }]);
        expect(refused.results[0]).toMatchObject({ status: 'conflict', reason: 'not-empty' });
        const firstChild = refused.results[0]!.status === 'conflict' ? refused.results[0]!.current?.path : undefined;
        expect(inside).toContain(firstChild);
        const moved = await committed(libraryId, [{ op: 'move', from: path('a'), to: path('m'), baseRev: 1, toBaseRev: null }]);
        const live = (await store.versions.snapshot(libraryId, moved.headSeq, null, 100)).items.map((entry) => entry.path);
        expect(live).toEqual([...new Set(['A', 'm', ...inside.map((raw) => `m${raw.slice(1)}`), ...beside])].sort(comparePaths));
      });

      it('numbers the revs of concurrent commits through two store instances without a gap, and a reader never skips one', async () => {
        const second = await harness.open();
        try {
          const writers = [store, second.metadata];
          const perWriter = 15;
          const seen = new Set<number>();
          let cursor = 0;
          let writing = true;
          // A reader polling the feed by cursor, as clients do: it must see every rev.
          const reader = (async () => {
            while (writing || cursor < (await store.versions.headSeq(libraryId))) {
              const page = await store.versions.changes(libraryId, cursor, 1000);
              for (const entry of page.items) {
                expect(entry.rev).toBe(cursor + 1);
                seen.add(entry.rev);
                cursor = entry.rev;
              }
              await new Promise((resolve) => setTimeout(resolve, 1));
            }
          })();
          await Promise.all(
            writers.map(async (writer, number) => {
              for (let index = 0; index < perWriter; index++) {
                const outcome = await writer.versions.commit(commitInput(libraryId, [put(`w${number}-${index}`, null)]));
                expect(outcome.kind).toBe('committed');
              }
            }),
          );
          writing = false;
          await reader;
          const total = writers.length * perWriter;
          expect(await store.versions.headSeq(libraryId)).toBe(total);
          expect([...seen].sort((x, y) => x - y)).toEqual(Array.from({ length: total }, (_, index) => index + 1));
        } finally {
          await second.metadata.close();
          await second.chunks.close();
        }
      });

      it('answers missing for 10,000 ids at once, in order', async () => {
        const ids = Array.from({ length: 10_000 }, (_, index) => chunkIdOf(new TextEncoder().encode(`many ids ${index}`)));
        await store.chunks.link(
          libraryId,
          ids.filter((_, index) => index % 2 === 0).map((id) => ({ id, size: 10 })),
        );
        expect(await store.chunks.missing(libraryId, ids)).toEqual(ids.filter((_, index) => index % 2 === 1));
      });

      it('keeps everything across a reopen', async () => {
        await committed(libraryId, [put('kept', null)]);
        await reopen();
        expect((await store.versions.head(libraryId, path('kept')))?.rev).toBe(1);
        expect(await store.chunks.missing(libraryId, [chunkA.id])).toEqual([]);
        expect(await store.versions.headSeq(libraryId)).toBe(1);
      });
    });

    describe('storage usage and quotas', () => {
      let ownerId: string;
      let libraryId: string;
      beforeEach(async () => {
        ownerId = (await user('owner')).id;
        libraryId = await library(ownerId);
        await stores.chunks.put(ownerId, [chunkA, chunkB]);
        await store.chunks.link(libraryId, [chunkA.ref, chunkB.ref]);
      });
      const usage = () => store.users.usage(ownerId);
      const sizeOf = async (id: string) => (await store.libraries.accessFor(id, ownerId))?.liveBytes;

      it('counts the sizes of current files only: not history, deletions, folders or trashed libraries', async () => {
        expect(await usage()).toEqual({ usedBytes: 0, quotaBytes: null });
        await committed(libraryId, [put('d/a', null), put('b', null, fileOf([chunkB.ref]))]);
        expect(await usage()).toEqual({ usedBytes: 877, quotaBytes: null });
        // Overwritten: only the new version counts.
        await committed(libraryId, [put('d/a', 2, fileOf([chunkB.ref]))]);
        expect(await sizeOf(libraryId)).toBe(1554);
        // A file moved over another replaces it; a folder move changes nothing.
        await committed(libraryId, [{ op: 'move', from: path('b'), to: path('d/a'), baseRev: 3, toBaseRev: 4 }]);
        expect(await sizeOf(libraryId)).toBe(777);
        await committed(libraryId, [{ op: 'move', from: path('d'), to: path('e'), baseRev: 1, toBaseRev: null }]);
        expect(await sizeOf(libraryId)).toBe(777);
        await committed(libraryId, [{ op: 'delete', path: path('e/a'), baseRev: (await store.versions.head(libraryId, path('e/a')))!.rev }]);
        expect(await usage()).toEqual({ usedBytes: 0, quotaBytes: null });
        const other = await library(ownerId);
        await store.chunks.link(other, [chunkA.ref]);
        await committed(other, [put('x', null)]);
        expect(await usage()).toMatchObject({ usedBytes: 100 });
        await store.libraries.setDeletedAt(other, 7000);
        expect(await usage()).toMatchObject({ usedBytes: 0 });
        await reopen();
        await store.libraries.setDeletedAt(other, null);
        expect(await usage()).toMatchObject({ usedBytes: 100 });
      });

      it('refuses a commit that would pass the quota whole, and lets through one that frees space', async () => {
        await store.users.setQuota(ownerId, 900);
        await committed(libraryId, [put('a', null)]);
        const refused = await store.versions.commit(commitInput(libraryId, [put('b', null), put('c', null, fileOf([chunkB.ref]))]));
        expect(refused).toEqual({ kind: 'quota-exceeded', usedBytes: 100, quotaBytes: 900, addedBytes: 877 });
        expect(await store.versions.headSeq(libraryId)).toBe(1);
        expect(await store.versions.head(libraryId, path('b'))).toBeNull();
        expect(await usage()).toEqual({ usedBytes: 100, quotaBytes: 900 });
        await committed(libraryId, [put('c', null, fileOf([chunkB.ref]))]);
        expect(await usage()).toEqual({ usedBytes: 877, quotaBytes: 900 });
        await store.users.setQuota(ownerId, 500);
        // Over the quota (it was lowered): deleting still works, adding does not.
        await committed(libraryId, [{ op: 'delete', path: path('a'), baseRev: 1 }]);
        expect((await store.versions.commit(commitInput(libraryId, [put('f', null)]))).kind).toBe('quota-exceeded');
        await store.users.setQuota(ownerId, null);
        await committed(libraryId, [put('f', null)]);
        expect(await usage()).toEqual({ usedBytes: 877, quotaBytes: null });
      });

      it('lets only one of two concurrent commits to two libraries of one owner fill the quota', async () => {
        const second = await library(ownerId);
        await store.chunks.link(second, [chunkB.ref]);
        await store.users.setQuota(ownerId, 1000);
        const outcomes = await Promise.all([
          store.versions.commit(commitInput(libraryId, [put('big', null, fileOf([chunkB.ref]))])),
          store.versions.commit(commitInput(second, [put('big', null, fileOf([chunkB.ref]))])),
        ]);
        expect(outcomes.map((outcome) => outcome.kind).sort()).toEqual(['committed', 'quota-exceeded']);
        expect(await usage()).toEqual({ usedBytes: 777, quotaBytes: 1000 });
      });
    });

    describe('chunk store', () => {
      it('stores, finds and returns chunks per owner, idempotently', async () => {
        expect(await stores.chunks.has('owner1', chunkA.id)).toBe(false);
        expect(await stores.chunks.get('owner1', chunkA.id)).toBeNull();
        await stores.chunks.put('owner1', [chunkA, chunkB, chunkA]);
        await stores.chunks.put('owner1', [chunkA]);
        expect(await stores.chunks.has('owner1', chunkA.id)).toBe(true);
        expect(await stores.chunks.get('owner1', chunkB.id)).toEqual(chunkB.bytes);
        expect(await stores.chunks.has('owner2', chunkA.id)).toBe(false);
        expect(await stores.chunks.get('owner2', chunkA.id)).toBeNull();
      });

      it('writes held chunks again when asked to (writeAll), still serving the first copy', async () => {
        const packBytes = async () => {
          let total = 0;
          for await (const pack of stores.chunks.packs()) if (pack.ownerId === 'owner7') total += pack.bytes;
          return total;
        };
        await stores.chunks.put('owner7', [chunkA]);
        const first = await packBytes();
        await stores.chunks.put('owner7', [chunkA]);
        expect(await packBytes()).toBe(first);
        await stores.chunks.put('owner7', [chunkA], { writeAll: true });
        expect(await packBytes()).toBeGreaterThanOrEqual(first + chunkA.bytes.length);
        expect(await stores.chunks.get('owner7', chunkA.id)).toEqual(chunkA.bytes);
      });

      it('stores the same new chunks through two store instances at once', async () => {
        const second = await harness.open();
        try {
          const same = Array.from({ length: 5 }, (_, index) => makeChunk(`raced ${index}`, 3000 + index));
          await Promise.all([stores.chunks.put('owner6', same), second.chunks.put('owner6', same), stores.chunks.put('owner6', same)]);
          for (const chunk of same) {
            expect(await stores.chunks.get('owner6', chunk.id)).toEqual(chunk.bytes);
            expect(await second.chunks.get('owner6', chunk.id)).toEqual(chunk.bytes);
          }
        } finally {
          await second.metadata.close();
          await second.chunks.close();
        }
      });

      it('stores a large batch and keeps it across a reopen', async () => {
        const many = Array.from({ length: 64 }, (_, index) => makeChunk(`many ${index}`, 64 + index));
        await stores.chunks.put('owner3', many);
        await reopen();
        for (const chunk of many) expect(await stores.chunks.get('owner3', chunk.id as ChunkId)).toEqual(chunk.bytes);
      });

      it('stores concurrent batches that share chunks, each resolving only once its chunks are readable', async () => {
        const shared = Array.from({ length: 8 }, (_, index) => makeChunk(`shared ${index}`, 1000 + index));
        const batches = Array.from({ length: 6 }, (_, batch) => [...shared.slice(batch % 3), makeChunk(`own ${batch}`, 500 + batch)]);
        await Promise.all(
          batches.map(async (batch) => {
            await stores.chunks.put('owner4', batch);
            for (const chunk of batch) expect(await stores.chunks.get('owner4', chunk.id as ChunkId)).toEqual(chunk.bytes);
          }),
        );
        await reopen();
        for (const chunk of batches.flat()) expect(await stores.chunks.get('owner4', chunk.id as ChunkId)).toEqual(chunk.bytes);
      });

      it('stores chunks from 1 byte to 8 MiB', async () => {
        const sizes = [1, 1024, 8 * 1024 * 1024];
        const chunks = sizes.map((size) => makeChunk(`size ${size}`, size));
        await stores.chunks.put('owner5', chunks);
        for (const chunk of chunks) {
          // Compared by hash: a deep equality over 8 MiB element by element takes minutes.
          const bytes = await stores.chunks.get('owner5', chunk.id as ChunkId);
          expect(bytes?.length).toBe(chunk.bytes.length);
          expect(chunkIdOf(bytes!)).toBe(chunk.id);
        }
      });
    });
  });
}
