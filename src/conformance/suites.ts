// Every conformance suite, in the order they run: pull, push, chunked-upload, cross-mount, tag-listing,
// discovery, management, referrers, ranges, errors, auth. A suite file adds one import and one entry.
import type { Suite } from './model.js';

export const SUITES: readonly Suite[] = [];
