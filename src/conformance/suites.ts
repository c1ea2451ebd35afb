// Every conformance suite, in the order they run: pull, push, chunked-upload, cross-mount, tag-listing,
// discovery, management, referrers, ranges, errors, auth, clients. A suite file adds one import and one entry.
import type { Suite } from './model.js';
import { pullSuite } from '../../suites/pull.js';
import { pushSuite } from '../../suites/push.js';
import { chunkedUploadSuite } from '../../suites/chunked-upload.js';
import { crossMountSuite } from '../../suites/cross-mount.js';
import { rangesSuite } from '../../suites/ranges.js';
import { tagListingSuite } from '../../suites/tag-listing.js';
import { discoverySuite } from '../../suites/discovery.js';
import { managementSuite } from '../../suites/management.js';
import { referrersSuite } from '../../suites/referrers.js';
import { errorsSuite } from '../../suites/errors.js';
import { authSuite } from '../../suites/auth.js';
import { clientsSuite } from '../../suites/clients.js';

export const SUITES: readonly Suite[] = [
  pullSuite,
  pushSuite,
  chunkedUploadSuite,
  crossMountSuite,
  tagListingSuite,
  discoverySuite,
  managementSuite,
  referrersSuite,
  rangesSuite,
  errorsSuite,
  authSuite,
  clientsSuite,
];
