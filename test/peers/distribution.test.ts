import t from 'tap';
import { startDistribution } from '../../src/peers/distribution.js';
import { RegistryClient } from '../../src/client/registry-client.js';
import { uploadBlobPostPut, uploadBlobChunked, getManifest } from '../../src/client/operations.js';
import { makeImage, pushManifestWithBlobs } from '../../src/conformance/fixtures.js';
import { requirePeers } from '../helpers/peers.js';

t.test('docker-registry peer starts, takes a push, and stops', async (t) => {
  if (!requirePeers(t, 'docker-registry')) return;
  const peer = await startDistribution();
  t.teardown(() => peer.stop());
  const client = new RegistryClient({ baseUrl: peer.url });
  t.teardown(() => client.close());
  const ping = await client.request({ method: 'GET', path: '/v2/' });
  t.equal(ping.status, 200);
  t.equal(ping.header('docker-distribution-api-version'), 'registry/2.0');
  await ping.dump();
  const img = makeImage({ layerSizes: [10, 70_000] });
  const digest = await pushManifestWithBlobs(client, 'peer/test', img, 'v1');
  t.equal(digest, img.digest);
  const got = await getManifest(client, 'peer/test', 'v1');
  t.ok(got.bytes.equals(img.bytes), 'manifest bytes round-trip');
  const chunked = await uploadBlobChunked(client, 'peer/test', Buffer.alloc(100_000, 7), 30_000);
  t.equal(chunked.chunks, 4);
  const blob = await client.request({ method: 'GET', path: `/v2/peer/test/blobs/${chunked.digest}` });
  t.equal((await blob.bytes()).length, 100_000);
  const again = await uploadBlobPostPut(client, 'peer/test', Buffer.from('x'));
  t.match(again.digest, /^sha256:/);
});
