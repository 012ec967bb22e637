// The scale-out backend (PostgreSQL metadata + S3 chunk store on a real Ceph RGW) against the
// storage conformance suite.

import { createScaleOutHarness, describeScaleOut } from '../support/scaleOutServices.js';
import { describeStorageConformance } from './storageConformance.js';

describeScaleOut('PostgreSQL + S3', () => {
  describeStorageConformance('PostgreSQL + S3 (Ceph RGW)', createScaleOutHarness);
});
