// Content no other push of the run shares: a random annotation makes its digest new, so deleting it
// (or listing it) meets nothing another case pushed.
import { randomBytes } from 'node:crypto';
import { makeArtifact, type Manifest } from '../../src/conformance/fixtures.js';

/** `{ "org.regprobe.nonce": <16 random hex digits> }`, to make a manifest's digest unique. */
export function nonce(): Record<string, string> {
  return { 'org.regprobe.nonce': randomBytes(8).toString('hex') };
}

/** A small artifact (empty config, no layer blob of its own) with a digest of its own. */
export function uniqueArtifact(): Manifest {
  return makeArtifact({ artifactType: 'application/vnd.regprobe.test.v1', annotations: nonce() });
}
