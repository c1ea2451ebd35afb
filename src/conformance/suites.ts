// Every conformance suite, in the order they run: pull, push, chunked-upload, cross-mount, tag-listing,
// discovery, management, referrers, ranges, errors, auth. A suite file adds one import and one entry.
import type { Suite } from './model.js';
import { tagListingSuite } from '../../suites/tag-listing.js';
import { discoverySuite } from '../../suites/discovery.js';
import { managementSuite } from '../../suites/management.js';
import { referrersSuite } from '../../suites/referrers.js';
import { errorsSuite } from '../../suites/errors.js';

export const SUITES: readonly Suite[] = [
  tagListingSuite,
  discoverySuite,
  managementSuite,
  referrersSuite,
  errorsSuite,
];
