// API workloads: small requests where the registry's request handling is what is measured.
// ping, token issuance, manifest HEAD/GET (by tag or digest), tag lists, catalog, referrers.
import { getReferrers, headManifest, listCatalogPage, listTagsPage, putManifest } from '../../src/client/operations.js';
import { manifestGetOp, manifestHeadOp, pingOp, tagsPageOp, type ReadResult } from '../../src/client/load-reads.js';
import { findChallenge, parseChallenges } from '../../src/auth/challenge.js';
import { TokenClient, type TokenCredentials } from '../../src/auth/token-client.js';
import { TokenEndpointClient } from '../../src/client/token-endpoint.js';
import { makeArtifact, pushManifestWithBlobs } from '../../src/conformance/fixtures.js';
import { MediaType } from '../../src/oci/media-types.js';
import { bool, num, str, WorkloadSkip, type OpProbe, type Params, type WorkloadDefinition, type WorkloadEnv } from '../workload.js';
import { makeImageContent, pushImage, readImage, repoName, uid, type ReadImage } from './common.js';

const pingWorkload: WorkloadDefinition = {
  id: 'ping',
  title: 'GET /v2/ (API version check): the cheapest authenticated request',
  family: 'api',
  writes: false,
  defaults: {},
  async setup(env) {
    const op = pingOp(env.client);
    return {
      run: async (_in, probe) => {
        probe.ttfbMs = (await op()).ttfbMs;
      },
    };
  },
};

const tokenIssue: WorkloadDefinition = {
  id: 'token.issue',
  title: 'a Bearer token from the realm the registry names (needs token auth)',
  family: 'api',
  writes: false,
  defaults: { scope: 'pull' },
  paramHelp: { scope: 'actions asked for on one repository: pull or pull,push' },
  async setup(env, params) {
    const res = await env.client.request({ method: 'GET', path: '/v2/', anonymous: true });
    const challenge = findChallenge(parseChallenges(res.header('www-authenticate')), 'bearer');
    await res.dump();
    if (res.status !== 401 || !challenge?.params.realm) throw new WorkloadSkip('the registry does not use token auth (GET /v2/ gave no Bearer challenge)');
    let realm: URL;
    try {
      realm = new URL(challenge.params.realm, env.client.baseUrl);
    } catch {
      throw new WorkloadSkip(`the Bearer challenge names an unusable realm: ${challenge.params.realm}`);
    }
    const o = env.client.options;
    const http = new TokenEndpointClient({ ...(o.insecure ? { insecure: true } : {}), ...(o.ca ? { ca: o.ca } : {}), ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}) });
    const tokens = new TokenClient(http);
    const repo = env.existing?.repo ?? repoName(env, 'token');
    const credentials: TokenCredentials | undefined = env.credentials ? { kind: 'password', ...env.credentials } : undefined;
    const service = challenge.params.service;
    const scopes = [`repository:${repo}:${str(params, 'scope')}`];
    return {
      // Each operation is a fresh token request: the engine's cache is bypassed on purpose here.
      run: async () => {
        await tokens.fetch({ realm, ...(service !== undefined ? { service } : {}), scopes, ...(credentials ? { credentials } : {}) });
      },
      close: async () => {
        await http.close();
      },
    };
  },
};

function byParam(params: Params): 'tag' | 'digest' {
  const by = str(params, 'by');
  if (by !== 'tag' && by !== 'digest') throw new TypeError(`by must be tag or digest, got ${by}`);
  return by;
}

/** manifest.get and manifest.head: one manifest read by tag or by digest; `op` builds the operation once. */
function manifestRead(id: string, title: string, op: (env: WorkloadEnv, img: ReadImage, ref: string) => () => Promise<ReadResult>): WorkloadDefinition {
  return {
    id,
    title,
    family: 'api',
    writes: false,
    defaults: { by: 'tag' },
    paramHelp: { by: 'tag or digest' },
    label: (p) => `by-${String(p.by)}`,
    async setup(env, params) {
      const img = await readImage(env, 'manifest', [1024]);
      const ref = byParam(params) === 'tag' ? img.tag : img.digest;
      const read = op(env, img, ref);
      return {
        run: async (_in, probe) => {
          const r = await read();
          probe.ttfbMs = r.ttfbMs;
          probe.bytes = r.bytes;
        },
      };
    },
  };
}

const manifestGet = manifestRead('manifest.get', 'GET a manifest by tag or digest, its bytes checked against the digest', (env, img, ref) => manifestGetOp(env.client, img.repo, ref));

// A HEAD that announces another digest than the manifest has is a mismatch a client would act on.
const manifestHead = manifestRead('manifest.head', 'HEAD a manifest by tag or digest (what clients do to check for updates)', (env, img, ref) => manifestHeadOp(env.client, img.repo, ref, img.digest));

/** Tags a manifest `count` times (concurrently, bounded) for the tag-list workload. */
async function seedTags(env: WorkloadEnv, repo: string, count: number): Promise<void> {
  const img = await makeImageContent(env.content, [256]);
  await pushImage(env, env.client, repo, img, { tag: 't00000' });
  let next = 1;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      await putManifest(env.client, repo, `t${String(i).padStart(5, '0')}`, img.manifest, MediaType.ociManifest);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}

const tagsList: WorkloadDefinition = {
  id: 'tags.list',
  title: 'GET the tag list of a repository of 10 / 1,000 / 10,000 tags, with or without ?n=',
  family: 'api',
  writes: false,
  defaults: { tags: 1000, n: 0, walk: false },
  paramHelp: { tags: 'tags in the repository (seeded)', n: 'page size (?n=); 0 = none', walk: 'follow Link pages to the end (one operation = the whole list)' },
  label: (p) => `${String(p.tags)}${num(p, 'n') > 0 ? `.n${String(p.n)}` : ''}${bool(p, 'walk') ? '.walk' : ''}`,
  async setup(env, params) {
    const tags = num(params, 'tags');
    const n = num(params, 'n');
    const walk = bool(params, 'walk');
    let repo: string;
    if (env.readOnly) {
      if (!env.existing) throw new WorkloadSkip('read-only mode needs existing content: --tag REPO:TAG');
      repo = env.existing.repo;
    } else {
      repo = repoName(env, `tags-${tags}`);
      await seedTags(env, repo, tags);
    }
    const firstPage = tagsPageOp(env.client, repo, n);
    return {
      run: async (_in, probe) => {
        const first = await firstPage();
        probe.ttfbMs = first.ttfbMs;
        probe.bytes = first.bytes;
        // Bounded: never more pages than the list can have.
        let next = first.next;
        for (let pages = 1; walk && next && pages < 100_000; pages++) {
          const page = await listTagsPage(env.client, repo, { path: next });
          probe.bytes += page.bytes;
          next = page.next;
        }
      },
    };
  },
};

const catalog: WorkloadDefinition = {
  id: 'catalog',
  title: 'GET /v2/_catalog (first page of ?n= repositories)',
  family: 'api',
  writes: false,
  defaults: { n: 100, repos: 10 },
  paramHelp: { n: 'page size; 0 = none', repos: 'repositories seeded under the namespace first' },
  label: (p) => (num(p, 'n') > 0 ? `n${String(p.n)}` : undefined),
  async setup(env, params) {
    const n = num(params, 'n');
    if (!env.readOnly) {
      const repos = num(params, 'repos');
      const img = await makeImageContent(env.content, [256]);
      for (let i = 0; i < repos; i++) await pushImage(env, env.client, repoName(env, `catalog-${i}`), img, { tag: 'bench' });
    }
    // Registries may refuse the catalog (401/403/404): that is "not offered", not a failure of the run.
    try {
      await listCatalogPage(env.client, n > 0 ? { n } : {});
    } catch (err) {
      const status = (err as { status?: number }).status;
      if (status === 401 || status === 403 || status === 404 || status === 405) throw new WorkloadSkip(`the registry does not serve /v2/_catalog to this client (${status})`);
      throw err;
    }
    return {
      run: async (_in, probe) => {
        const page = await listCatalogPage(env.client, n > 0 ? { n } : {});
        probe.ttfbMs = page.ttfbMs;
        probe.bytes = page.bytes;
      },
    };
  },
};

const referrers: WorkloadDefinition = {
  id: 'referrers',
  title: 'GET the referrers of a manifest that has N referrers (OCI 1.1)',
  family: 'api',
  writes: false,
  defaults: { referrers: 10 },
  paramHelp: { referrers: 'artifacts pushed with the subject (seeded)' },
  label: (p) => String(p.referrers),
  async setup(env, params) {
    const img = await readImage(env, `referrers-${uid()}`, [1024]);
    if (!env.readOnly) {
      const subject = { mediaType: MediaType.ociManifest, digest: img.digest, size: (await headManifest(env.client, img.repo, img.digest)).size };
      for (let i = 0; i < num(params, 'referrers'); i++) {
        const a = makeArtifact({ artifactType: 'application/vnd.regprobe.bench.v1', subject, annotations: { 'regprobe.index': String(i) } });
        await pushManifestWithBlobs(env.client, img.repo, a);
        for (const b of a.blobs) env.cleanup.blob(img.repo, b.digest);
        env.cleanup.manifest(img.repo, a.digest);
      }
    }
    try {
      await getReferrers(env.client, img.repo, img.digest);
    } catch (err) {
      const status = (err as { status?: number }).status;
      if (status === 404 || status === 405) throw new WorkloadSkip(`the registry has no referrers API (GET .../referrers/<digest> answered ${status})`);
      throw err;
    }
    return {
      run: async (_in, probe) => {
        const r = await getReferrers(env.client, img.repo, img.digest);
        probe.ttfbMs = r.ttfbMs;
        probe.bytes = r.bytes;
      },
    };
  },
};

export const API_WORKLOADS: readonly WorkloadDefinition[] = [pingWorkload, tokenIssue, manifestGet, manifestHead, tagsList, catalog, referrers];
