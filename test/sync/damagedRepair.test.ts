// A chunk the server holds damaged is repaired by any device that still has it: the feed's last
// page lists the library's damaged chunks, and a device whose file still has the server's
// content reads those chunks from the file, checks them against their ids and uploads them.
// Until then, a device that needs the file cannot download it (it is never given wrong bytes);
// afterwards every device can.

import { afterEach, expect, it } from 'vitest';
import type { LibraryPath } from '../../shared/paths.js';
import { recordDamagedChunk } from '../../src-server/chunkDamage.js';
import { fsck } from '../../src-server/maintenance/fsck.js';
import { describeEachBackend } from './backends.js';
import { startHarness } from './harness.js';
import type { Harness } from './harness.js';

const CONTENT = 'precious bytes that must outlive a damaged disk on the server';

describeEachBackend((backend) => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.stop();
    harness = undefined;
  });

  it('a device that has the file uploads the damaged chunk again, and every device reads the file', async () => {
    harness = await startHarness({ backend });
    const libraryId = await harness.createLibrary('alice', 'Repair');
    const alice = await harness.client('alice', { libraryName: 'Repair' });
    await alice.write('precious.txt', CONTENT);
    await alice.write('other.txt', 'an undamaged neighbour');
    await alice.sync();

    // What the server does when a read fails verification: set the copy aside, mark it damaged.
    const head = await harness.stores.metadata.versions.head(libraryId, 'precious.txt' as LibraryPath);
    const owner = (await harness.stores.metadata.users.byName('alice'))!.id;
    await recordDamagedChunk(harness.stores.metadata, harness.stores.chunks, owner, head!.chunks[0]!.id, 'the disk lost it (test)');

    // A new device cannot get the file yet, and gets nothing wrong.
    const laptop = await harness.client('alice-laptop', { libraryName: 'Repair' });
    await laptop.syncRaw();
    expect(await laptop.exists('precious.txt')).toBe(false);

    // Alice's device still has it: its next round sends the chunk again.
    const repair = await alice.sync();
    expect(repair.uploadedBytes).toBe(Buffer.byteLength(CONTENT));
    expect(await harness.stores.metadata.chunks.damaged(libraryId, 10)).toEqual([]);
    await laptop.sync();
    expect(await laptop.read('precious.txt')).toBe(CONTENT);
    expect(await laptop.read('other.txt')).toBe('an undamaged neighbour');
    // Nothing more to repair: the next round sends nothing.
    expect((await alice.sync()).uploadedBytes).toBe(0);
    expect((await fsck(harness.stores, { repair: false })).problems).toEqual([]);
  });
});
