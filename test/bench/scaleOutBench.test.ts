// Smoke test of the scale-out benchmarks at tiny sizes, on the real PostgreSQL and Ceph RGW:
// the sync steps run against the scale-out backend, and the commit benchmark runs two server
// processes with writers contending for one library, every commit landing whole (fsck clean).
// Nothing here depends on how fast the machine is.

import { expect, it } from 'vitest';
import { runCommitBench } from '../../bench/commitBench.js';
import { backendFlags, destroyScaleOutTarget, freshScaleOutTarget } from '../../bench/scaleOutBackend.js';
import { runSyncBench } from '../../bench/syncBench.js';
import { describeScaleOut } from '../support/scaleOutServices.js';

const FILE_BYTES = 4 * 1024 * 1024;

describeScaleOut('benchmarks of the scale-out backend', () => {
  const services = { postgres: process.env.CAIRN_TEST_POSTGRES!, s3: process.env.CAIRN_TEST_S3! };

  it('syncs the large file and the small files through PostgreSQL + S3', async () => {
    const target = freshScaleOutTarget(services.postgres, services.s3);
    const [, metadata, , chunks] = backendFlags(target);
    try {
      const figures = await runSyncBench({ largeFileBytes: FILE_BYTES, smallFiles: 100, serverInProcess: true, scaleOut: { metadata: metadata!, chunks: chunks! } });
      expect(figures.largeFile!.firstSync.up.uploadedBytes).toBe(FILE_BYTES);
      expect(figures.largeFile!.firstSync.down.downloadedBytes).toBe(FILE_BYTES);
      expect(figures.largeFile!.firstSync.up.chunksStored).toBeGreaterThan(0);
      expect(figures.manyFiles!.firstSync.down.downloadedFiles).toBe(100);
    } finally {
      await destroyScaleOutTarget(target);
    }
  });

  it('counts commits through two instances into one library, all landed whole', async () => {
    const figures = await runCommitBench({ scaleOut: services, instances: 2, writers: 4, sharedLibrary: true, seconds: 1 });
    expect(figures).toMatchObject({ backend: 'scale-out', instances: 2, writers: 4, failures: 0, problems: 0 });
    expect(figures.commits).toBeGreaterThan(0);
    expect(figures.p50Ms).toBeLessThanOrEqual(figures.p99Ms);
    expect(figures.p99Ms).toBeLessThanOrEqual(figures.maxMs);
  });
});
