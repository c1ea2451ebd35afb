// The catalogue of faults for the fault-injection proof: each breaks one rule of the spec by
// rewriting a request or response between the suites and the reference registry, and names the
// cases that must catch it. Faults touch only the exchanges their rule is about, so a suite's setup
// (pushing its content) still works and the break shows up as a case failure, not an error.
import { createHash } from 'node:crypto';
import { editJson, errorResponse, routeOf, type Fault, type ProxyRequest, type ProxyResponse } from './fault-proxy.js';

const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const is = (req: ProxyRequest, kind: ReturnType<typeof routeOf>['kind'], method?: string): boolean =>
  routeOf(req.path).kind === kind && (method === undefined || req.method === method);
const isTagRef = (ref: string | undefined): boolean => ref !== undefined && !ref.includes(':');
const json = (res: ProxyResponse): boolean => /json/.test(res.headers['content-type'] ?? '');
/** The tags/list request has neither n nor last: the full list. */
const fullTagList = (req: ProxyRequest): boolean => is(req, 'tags', 'GET') && !req.query.has('n') && !req.query.has('last');
const empty = (status: number, headers: Record<string, string> = {}): ProxyResponse => ({ status, headers, body: Buffer.alloc(0) });

/** Rewrites every error code of a JSON error body. */
function mapCodes(res: ProxyResponse, f: (code: string) => string): boolean {
  if (res.status < 400 || !json(res)) return false;
  return editJson(res, (j) => {
    if (!Array.isArray(j?.errors)) return false;
    let changed = false;
    for (const e of j.errors) {
      const next = f(e.code);
      if (next !== e.code) {
        e.code = next;
        changed = true;
      }
    }
    return changed;
  });
}

// Requests whose artifactType filter the proxy removed (the response then claims it was applied).
const strippedFilter = new WeakSet<ProxyRequest>();
// Manifest digests the registry stored through the proxy (for the "missing subject refused" fault).
const storedManifests = new Set<string>();
// Blob GETs whose Range (last-pos below first-pos) the proxy removed, answered as a 206 of that range.
const backwardsRange = new WeakMap<ProxyRequest, string>();
// Repositories a manifest was pushed to through the proxy (for the "referrers of a repository without manifests" fault).
const reposWithManifests = new Set<string>();
// Upload session path -> the state token of its newest Location (for the "earlier Location" fault).
const uploadStates = new Map<string, number>();
// Referrers answers served once, by URL (for the "stale referrers list" fault).
const referrersCache = new Map<string, ProxyResponse>();

export const FAULTS: Fault[] = [
  // ---- tag listing ----
  {
    id: 'tags-unsorted',
    breaks: 'tags/list answers the tags in reverse order (not lexical)',
    suites: ['tag-listing'],
    caughtBy: ['tag-listing.list.sorted'],
    response: (req, res) => is(req, 'tags', 'GET') && res.status === 200 && editJson(res, (j) => j.tags?.length > 1 && void j.tags.reverse()),
  },
  {
    id: 'tags-ignore-n',
    breaks: 'tags/list ignores the n parameter',
    suites: ['tag-listing'],
    caughtBy: ['tag-listing.paginate.n', 'tag-listing.paginate.n-zero', 'tag-listing.paginate.link-walk'],
    request: (req) => is(req, 'tags') && req.query.has('n') && (req.query.delete('n'), true),
  },
  {
    id: 'tags-ignore-last',
    breaks: 'tags/list ignores the last parameter',
    suites: ['tag-listing'],
    caughtBy: ['tag-listing.paginate.last', 'tag-listing.paginate.last-at-end', 'tag-listing.paginate.last-without-n'],
    request: (req) => is(req, 'tags') && req.query.has('last') && (req.query.delete('last'), true),
  },
  {
    id: 'tags-last-inclusive',
    breaks: 'tags/list includes the tag named by last (it must start after it)',
    suites: ['tag-listing'],
    caughtBy: ['tag-listing.paginate.last'],
    request: (req) => {
      const last = req.query.get('last');
      if (!is(req, 'tags') || !last || last.length < 2) return false;
      req.query.set('last', last.slice(0, -1));
      return true;
    },
  },
  {
    id: 'tags-n-zero-lists-tags',
    breaks: 'tags/list?n=0 answers tags instead of an empty list',
    suites: ['tag-listing'],
    caughtBy: ['tag-listing.paginate.n-zero'],
    request: (req) => is(req, 'tags') && req.query.get('n') === '0' && (req.query.delete('n'), true),
  },
  {
    id: 'tags-n-zero-link',
    breaks: 'tags/list?n=0 sends a Link header (it MUST NOT)',
    suites: ['tag-listing'],
    caughtBy: ['tag-listing.paginate.n-zero'],
    response: (req, res) => {
      if (!is(req, 'tags') || req.query.get('n') !== '0') return false;
      res.headers.link = `<${req.path}?n=1&last=a>; rel="next"`;
      return true;
    },
  },
  {
    id: 'tags-link-no-rel',
    breaks: 'the tags/list Link header has no rel="next"',
    suites: ['tag-listing'],
    caughtBy: ['tag-listing.paginate.n', 'tag-listing.paginate.link-walk'],
    response: (req, res) => {
      if (!is(req, 'tags') || !res.headers.link) return false;
      res.headers.link = res.headers.link.replace(/;\s*rel="?next"?/, '');
      return true;
    },
  },
  {
    id: 'tags-link-to-first-page',
    breaks: 'the tags/list Link header points back at the first page',
    suites: ['tag-listing'],
    caughtBy: ['tag-listing.paginate.link-walk'],
    response: (req, res) => {
      const n = req.query.get('n');
      if (!is(req, 'tags') || !res.headers.link || !n) return false;
      res.headers.link = `<${req.path}?n=${n}>; rel="next"`;
      return true;
    },
  },
  {
    id: 'tags-wrong-name',
    breaks: 'the tags/list "name" field is not the repository name',
    suites: ['tag-listing'],
    caughtBy: ['tag-listing.list.name-field'],
    response: (req, res) => is(req, 'tags', 'GET') && res.status === 200 && editJson(res, (j) => void (j.name = `${j.name}-other`)),
  },
  {
    id: 'tags-drop-one',
    breaks: 'the full tag list leaves out a tag',
    suites: ['tag-listing'],
    caughtBy: ['tag-listing.list.full'],
    response: (req, res) => fullTagList(req) && res.status === 200 && editJson(res, (j) => j.tags?.length > 0 && void j.tags.pop()),
  },
  {
    id: 'tags-duplicate',
    breaks: 'the full tag list has a tag twice',
    suites: ['tag-listing'],
    caughtBy: ['tag-listing.list.full'],
    response: (req, res) => fullTagList(req) && res.status === 200 && editJson(res, (j) => j.tags?.length > 0 && void j.tags.unshift(j.tags[0])),
  },
  {
    id: 'tags-short-page-without-link',
    breaks: 'tags/list?n= answers fewer than n tags with no Link header while more exist',
    suites: ['tag-listing'],
    caughtBy: ['tag-listing.paginate.n'],
    response: (req, res) => {
      const n = Number(req.query.get('n'));
      if (!is(req, 'tags') || !(n > 1) || res.status !== 200) return false;
      return editJson(res, (j) => {
        if (j.tags?.length !== n) return false;
        j.tags.pop();
        delete res.headers.link;
      });
    },
  },
  {
    id: 'tags-link-not-rfc5988',
    breaks: 'the tags/list Link header is a bare URL, not RFC 5988 (<url>; rel="next")',
    suites: ['tag-listing'],
    caughtBy: ['tag-listing.paginate.n', 'tag-listing.paginate.link-walk'],
    only: ['tag-listing.paginate.n', 'tag-listing.paginate.link-walk'],
    response: (req, res) => {
      const m = /^<([^>]*)>/.exec(res.headers.link ?? '');
      if (!is(req, 'tags', 'GET') || !m) return false;
      res.headers.link = m[1]!;
      return true;
    },
  },
  {
    id: 'tags-link-at-end',
    breaks: 'tags/list?n= sends a Link rel="next" on the page that ends the list',
    suites: ['tag-listing'],
    caughtBy: ['tag-listing.paginate.no-link-at-end'],
    only: ['tag-listing.paginate.no-link-at-end'],
    response: (req, res) => {
      if (!is(req, 'tags', 'GET') || !(Number(req.query.get('n')) > 0) || res.status !== 200 || res.headers.link) return false;
      res.headers.link = `<${req.path}?n=${req.query.get('n')}&last=zz>; rel="next"`;
      return true;
    },
  },
  {
    id: 'tags-last-past-end-ignored',
    breaks: 'tags/list ignores a last that sorts after every tag (lists from the start)',
    suites: ['tag-listing'],
    caughtBy: ['tag-listing.paginate.last-past-end'],
    only: ['tag-listing.paginate.last-past-end'],
    request: (req) => is(req, 'tags') && (req.query.get('last') ?? '').length > 100 && (req.query.delete('last'), true),
  },
  {
    id: 'tag-delete-ignored',
    breaks: 'DELETE of a tag answers 202 but the tag stays',
    suites: ['tag-listing', 'management'],
    caughtBy: ['tag-listing.delete.tag-disappears', 'management.delete.tag'],
    request: (req) => (is(req, 'manifest', 'DELETE') && isTagRef(routeOf(req.path).ref) ? empty(202) : false),
  },
  // ---- catalog ----
  {
    id: 'catalog-ignore-n',
    breaks: '_catalog ignores the n parameter',
    suites: ['discovery'],
    caughtBy: ['discovery.catalog.paginate-n', 'discovery.catalog.paginate-walk'],
    request: (req) => is(req, 'catalog') && req.query.has('n') && (req.query.delete('n'), true),
  },
  {
    id: 'catalog-ignore-last',
    breaks: '_catalog ignores the last parameter',
    suites: ['discovery'],
    caughtBy: ['discovery.catalog.paginate-walk'],
    request: (req) => is(req, 'catalog') && req.query.has('last') && (req.query.delete('last'), true),
  },
  {
    id: 'catalog-drop-repository',
    breaks: '_catalog leaves out a repository that has content',
    suites: ['discovery'],
    caughtBy: ['discovery.catalog.lists-repositories', 'discovery.catalog.paginate-walk'],
    response: (req, res) =>
      is(req, 'catalog') && res.status === 200 && editJson(res, (j) => {
        const before = j.repositories?.length;
        j.repositories = j.repositories?.filter((r: string) => !/-a-\d+$/.test(r));
        return j.repositories?.length !== before;
      }),
  },
  // ---- content management ----
  {
    id: 'manifest-delete-200',
    breaks: 'DELETE of a manifest answers 200 instead of 202',
    suites: ['management'],
    caughtBy: ['management.delete.manifest', 'management.delete.tag'],
    response: (req, res) => is(req, 'manifest', 'DELETE') && res.status === 202 && ((res.status = 200), true),
  },
  {
    id: 'manifest-delete-ignored',
    breaks: 'DELETE of a manifest by digest answers 202 but the manifest stays',
    suites: ['management', 'referrers'],
    caughtBy: ['management.delete.manifest', 'referrers.delete.referrer-removed'],
    request: (req) => (is(req, 'manifest', 'DELETE') && !isTagRef(routeOf(req.path).ref) ? empty(202) : false),
  },
  {
    id: 'blob-delete-ignored',
    breaks: 'DELETE of a blob answers 202 but the blob stays',
    suites: ['management'],
    caughtBy: ['management.delete.blob'],
    request: (req) => (is(req, 'blob', 'DELETE') ? empty(202) : false),
  },
  {
    id: 'blob-delete-unknown-202',
    breaks: 'DELETE of a blob the repository does not have answers 202 instead of 404',
    suites: ['management'],
    caughtBy: ['management.delete.blob-unknown'],
    response: (req, res) => is(req, 'blob', 'DELETE') && res.status === 404 && (Object.assign(res, empty(202)), true),
  },
  {
    id: 'manifest-delete-unknown-repository-202',
    breaks: 'DELETE of a manifest in a repository that does not exist answers 202 instead of 404',
    suites: ['management'],
    caughtBy: ['management.delete.manifest-unknown-repository'],
    response: (req, res) => is(req, 'manifest', 'DELETE') && res.status === 404 && (Object.assign(res, empty(202)), true),
  },
  // ---- referrers ----
  {
    id: 'referrers-content-type',
    breaks: 'the referrers answer has Content-Type application/json instead of the OCI index type',
    suites: ['referrers'],
    caughtBy: ['referrers.list.index-shape'],
    response: (req, res) => is(req, 'referrers', 'GET') && res.status === 200 && ((res.headers['content-type'] = 'application/json'), true),
  },
  {
    id: 'referrers-schema-version',
    breaks: 'the referrers index has schemaVersion 1',
    suites: ['referrers'],
    caughtBy: ['referrers.list.index-shape'],
    response: (req, res) => is(req, 'referrers', 'GET') && res.status === 200 && editJson(res, (j) => void (j.schemaVersion = 1)),
  },
  {
    id: 'no-oci-subject',
    breaks: 'PUT of a manifest with a subject answers no OCI-Subject header',
    suites: ['referrers'],
    caughtBy: ['referrers.push.oci-subject'],
    response: (req, res) => is(req, 'manifest', 'PUT') && res.headers['oci-subject'] !== undefined && (delete res.headers['oci-subject'], true),
  },
  {
    id: 'wrong-oci-subject',
    breaks: 'PUT of a manifest with a subject answers OCI-Subject with the pushed manifest\'s own digest',
    suites: ['referrers'],
    caughtBy: ['referrers.push.oci-subject'],
    response: (req, res) => {
      if (!is(req, 'manifest', 'PUT') || res.headers['oci-subject'] === undefined) return false;
      res.headers['oci-subject'] = sha256(req.body);
      return true;
    },
  },
  {
    id: 'referrers-filter-claimed-not-applied',
    breaks: 'the referrers answer says OCI-Filters-Applied: artifactType but is not filtered',
    suites: ['referrers'],
    caughtBy: ['referrers.filter.artifact-type'],
    request: (req) => {
      if (!is(req, 'referrers', 'GET') || !req.query.has('artifactType')) return false;
      req.query.delete('artifactType');
      strippedFilter.add(req);
      return true;
    },
    response: (req, res) => strippedFilter.has(req) && ((res.headers['oci-filters-applied'] = 'artifactType'), true),
  },
  {
    id: 'referrers-filter-without-header',
    breaks: 'the referrers answer is filtered by artifactType without the OCI-Filters-Applied header',
    suites: ['referrers'],
    caughtBy: ['referrers.filter.artifact-type'],
    response: (req, res) => is(req, 'referrers', 'GET') && res.headers['oci-filters-applied'] !== undefined && (delete res.headers['oci-filters-applied'], true),
  },
  {
    id: 'referrers-no-artifact-type',
    breaks: 'referrer descriptors leave out artifactType',
    suites: ['referrers'],
    caughtBy: ['referrers.list.artifact-type'],
    response: (req, res) =>
      is(req, 'referrers', 'GET') && res.status === 200 && editJson(res, (j) => {
        const had = j.manifests?.some((m: { artifactType?: string }) => m.artifactType !== undefined);
        for (const m of j.manifests ?? []) delete m.artifactType;
        return had;
      }),
  },
  {
    id: 'referrers-no-annotations',
    breaks: 'referrer descriptors leave out the manifests\' annotations',
    suites: ['referrers'],
    caughtBy: ['referrers.list.annotations'],
    response: (req, res) =>
      is(req, 'referrers', 'GET') && res.status === 200 && editJson(res, (j) => {
        const had = j.manifests?.some((m: { annotations?: unknown }) => m.annotations !== undefined);
        for (const m of j.manifests ?? []) delete m.annotations;
        return had;
      }),
  },
  {
    id: 'referrers-wrong-size',
    breaks: 'referrer descriptors give a wrong size',
    suites: ['referrers'],
    caughtBy: ['referrers.list.descriptor-fields'],
    response: (req, res) =>
      is(req, 'referrers', 'GET') && res.status === 200 && editJson(res, (j) => {
        for (const m of j.manifests ?? []) m.size += 1;
        return j.manifests?.length > 0;
      }),
  },
  {
    id: 'referrers-drop-one',
    breaks: 'the referrers list leaves out a referrer',
    suites: ['referrers'],
    caughtBy: ['referrers.list.all-referrers'],
    response: (req, res) => is(req, 'referrers', 'GET') && res.status === 200 && editJson(res, (j) => j.manifests?.length > 1 && void j.manifests.pop()),
  },
  {
    id: 'referrers-extra-entry',
    breaks: 'the referrers list has an entry that does not refer to the subject (the subject itself)',
    suites: ['referrers'],
    caughtBy: ['referrers.list.all-referrers', 'referrers.list.empty'],
    response: (req, res) =>
      is(req, 'referrers', 'GET') && res.status === 200 && editJson(res, (j) => {
        j.manifests?.push({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: routeOf(req.path).ref, size: 2 });
      }),
  },
  {
    id: 'referrers-empty-404',
    breaks: 'referrers of a digest nothing refers to answer 404 instead of an empty index',
    suites: ['referrers'],
    caughtBy: ['referrers.list.empty'],
    response: (req, res) =>
      is(req, 'referrers', 'GET') && res.status === 200 && JSON.parse(res.body.toString()).manifests?.length === 0 && (Object.assign(res, errorResponse(404, 'MANIFEST_UNKNOWN', 'manifest unknown')), true),
  },
  {
    id: 'referrers-invalid-digest-404',
    breaks: 'referrers of a malformed digest answer 404 instead of 400',
    suites: ['referrers'],
    caughtBy: ['referrers.list.invalid-digest'],
    response: (req, res) => is(req, 'referrers', 'GET') && res.status === 400 && ((res.status = 404), true),
  },
  {
    id: 'referrers-stale-after-delete',
    breaks: 'the referrers list still names a referrer after it was deleted (answers served from a cache)',
    suites: ['referrers'],
    caughtBy: ['referrers.delete.referrer-removed'],
    request: (req) => {
      if (!is(req, 'referrers', 'GET')) return false;
      const cached = referrersCache.get(req.path + '?' + req.query.toString());
      return cached ? { ...cached, headers: { ...cached.headers } } : false;
    },
    response: (req, res) => {
      if (is(req, 'referrers', 'GET') && res.status === 200) referrersCache.set(req.path + '?' + req.query.toString(), { ...res, headers: { ...res.headers } });
      return false;
    },
  },
  // The fault-injection registry serves referrers in pages of REFERRERS_PAGE_SIZE (fault-injection.test.ts).
  {
    id: 'referrers-page-without-link',
    breaks: 'a referrers page cut short by the registry has no Link header (the rest of the list is lost)',
    suites: ['referrers'],
    caughtBy: ['referrers.paginate.link-walk', 'referrers.list.all-referrers'],
    response: (req, res) => is(req, 'referrers', 'GET') && res.headers.link !== undefined && (delete res.headers.link, true),
  },
  {
    id: 'referrers-link-no-rel',
    breaks: 'the referrers Link header has no rel="next"',
    suites: ['referrers'],
    caughtBy: ['referrers.paginate.link-walk'],
    only: ['referrers.paginate.link-walk'],
    response: (req, res) => {
      if (!is(req, 'referrers', 'GET') || !res.headers.link) return false;
      res.headers.link = res.headers.link.replace(/;\s*rel="?next"?/, '');
      return true;
    },
  },
  {
    id: 'referrers-link-not-rfc5988',
    breaks: 'the referrers Link header is a bare URL, not RFC 5988 (<url>; rel="next")',
    suites: ['referrers'],
    caughtBy: ['referrers.paginate.link-walk'],
    only: ['referrers.paginate.link-walk'],
    response: (req, res) => {
      const m = /^<([^>]*)>/.exec(res.headers.link ?? '');
      if (!is(req, 'referrers', 'GET') || !m) return false;
      res.headers.link = m[1]!;
      return true;
    },
  },
  {
    id: 'referrers-link-to-first-page',
    breaks: 'the referrers Link header points back at the first page',
    suites: ['referrers'],
    caughtBy: ['referrers.paginate.link-walk'],
    only: ['referrers.paginate.link-walk'],
    response: (req, res) => is(req, 'referrers', 'GET') && res.headers.link !== undefined && ((res.headers.link = `<${req.path}>; rel="next"`), true),
  },
  {
    id: 'referrers-pages-overlap',
    breaks: 'each referrers page after the first repeats the last referrer of the page before',
    suites: ['referrers'],
    caughtBy: ['referrers.paginate.link-walk'],
    only: ['referrers.paginate.link-walk'],
    response: (req, res) => {
      const last = req.query.get('last');
      if (!is(req, 'referrers', 'GET') || !last || res.status !== 200) return false;
      return editJson(res, (j) => void j.manifests?.unshift({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: last, size: 100 }));
    },
  },
  {
    id: 'missing-subject-refused',
    breaks: 'a manifest whose subject does not exist is refused (it MUST be accepted)',
    suites: ['referrers'],
    caughtBy: ['referrers.list.missing-subject'],
    request: (req) => {
      if (!is(req, 'manifest', 'PUT')) return false;
      let subject: string | undefined;
      try {
        subject = (JSON.parse(req.body.toString()) as { subject?: { digest?: string } }).subject?.digest;
      } catch {
        return false;
      }
      return subject !== undefined && !storedManifests.has(subject) ? errorResponse(400, 'MANIFEST_BLOB_UNKNOWN', 'subject unknown') : false;
    },
    response: (req, res) => {
      if (is(req, 'manifest', 'PUT') && res.status === 201 && res.headers['docker-content-digest']) storedManifests.add(res.headers['docker-content-digest']);
      return false;
    },
  },
  {
    id: 'referrers-tag-refused',
    breaks: 'a PUT to a referrers tag-schema tag (sha256-<hex>) is refused as an invalid tag',
    suites: ['referrers'],
    caughtBy: ['referrers.tag-schema.fallback-push'],
    request: (req) => (is(req, 'manifest', 'PUT') && /^sha256-[0-9a-f]{64}$/.test(routeOf(req.path).ref ?? '') ? errorResponse(400, 'TAG_INVALID', 'invalid tag') : false),
  },
  // ---- pull, push, chunked upload, mount, ranges (the other suites) ----
  {
    id: 'manifest-content-type-wrong',
    breaks: 'a pulled manifest comes with Content-Type application/octet-stream instead of its media type',
    suites: ['pull'],
    caughtBy: ['pull.manifest.content-type'],
    response: (req, res) => is(req, 'manifest') && ['GET', 'HEAD'].includes(req.method) && res.status === 200 && ((res.headers['content-type'] = 'application/octet-stream'), true),
  },
  {
    id: 'blob-body-corrupt',
    breaks: 'GET of a blob answers bytes that are not the blob (one byte flipped)',
    suites: ['pull'],
    caughtBy: ['pull.blob.get'],
    response: (req, res) => {
      if (!is(req, 'blob', 'GET') || res.status !== 200 || res.body.length === 0) return false;
      res.body = Buffer.from(res.body);
      res.body[0] = res.body[0]! ^ 0xff;
      return true;
    },
  },
  {
    id: 'manifest-digest-header-wrong',
    breaks: 'Docker-Content-Digest on a pulled manifest is not the digest of its bytes',
    suites: ['pull'],
    caughtBy: ['pull.manifest.headers-required'],
    response: (req, res) => is(req, 'manifest') && res.status === 200 && res.headers['docker-content-digest'] !== undefined && ((res.headers['docker-content-digest'] = sha256(Buffer.from('other'))), true),
  },
  {
    id: 'manifest-get-digest-header-other-algorithm',
    breaks: 'GET of a manifest answers a sha512 Docker-Content-Digest that is not the sha512 of its bytes',
    suites: ['pull'],
    caughtBy: ['pull.manifest.headers-required'],
    only: ['pull.manifest.headers-required'],
    response: (req, res) =>
      is(req, 'manifest', 'GET') && res.status === 200 && res.headers['docker-content-digest'] !== undefined &&
      ((res.headers['docker-content-digest'] = `sha512:${createHash('sha512').update('other').digest('hex')}`), true),
  },
  {
    id: 'manifest-by-tag-digest-header-wrong',
    breaks: 'GET of a manifest by tag answers a Docker-Content-Digest that is not the digest of its bytes (by digest it is right)',
    suites: ['pull'],
    caughtBy: ['pull.manifest.headers-required'],
    only: ['pull.manifest.headers-required'],
    response: (req, res) =>
      is(req, 'manifest', 'GET') && isTagRef(routeOf(req.path).ref) && res.status === 200 && res.headers['docker-content-digest'] !== undefined &&
      ((res.headers['docker-content-digest'] = sha256(Buffer.from('other'))), true),
  },
  {
    id: 'blob-head-digest-header-wrong',
    breaks: 'HEAD of a blob answers a Docker-Content-Digest that is not the blob\'s digest',
    suites: ['pull'],
    caughtBy: ['pull.blob.headers-required'],
    only: ['pull.blob'],
    response: (req, res) => is(req, 'blob', 'HEAD') && res.status === 200 && ((res.headers['docker-content-digest'] = sha256(Buffer.from('other'))), true),
  },
  {
    id: 'blob-get-digest-header-wrong',
    breaks: 'GET of a blob answers its bytes with a Docker-Content-Digest that is not their digest',
    suites: ['pull'],
    caughtBy: ['pull.blob.get', 'pull.blob.headers-required'],
    verdicts: { 'pull.blob.get': { status: 'fail', level: 'MUST' } },
    only: ['pull.blob'],
    response: (req, res) => is(req, 'blob', 'GET') && res.status === 200 && ((res.headers['docker-content-digest'] = sha256(Buffer.from('other'))), true),
  },
  {
    id: 'upload-put-digest-header-wrong',
    breaks: 'the 201 closing an upload answers a Docker-Content-Digest that is not the uploaded blob\'s',
    suites: ['push'],
    caughtBy: ['push.blob.digest-header'],
    verdicts: { 'push.blob.digest-header': { status: 'fail', level: 'SHOULD' } },
    only: ['push.blob.digest-header'],
    response: (req, res) => is(req, 'upload', 'PUT') && res.status === 201 && ((res.headers['docker-content-digest'] = sha256(Buffer.from('other'))), true),
  },
  {
    id: 'manifest-put-digest-header-wrong',
    breaks: 'the 201 to a manifest PUT answers a Docker-Content-Digest that is not the manifest\'s digest',
    suites: ['push'],
    caughtBy: ['push.manifest.image', 'push.manifest.by-digest'],
    verdicts: { 'push.manifest.image': { status: 'fail', level: 'MUST' } },
    only: ['push.manifest.image', 'push.manifest.by-digest'],
    response: (req, res) => is(req, 'manifest', 'PUT') && res.status === 201 && ((res.headers['docker-content-digest'] = sha256(Buffer.from('other'))), true),
  },
  {
    id: 'mount-digest-header-wrong',
    breaks: 'a successful mount (201) answers a Docker-Content-Digest that is not the mounted blob\'s',
    suites: ['cross-mount'],
    caughtBy: ['cross-mount.mount.digest-header'],
    verdicts: { 'cross-mount.mount.digest-header': { status: 'fail', level: 'SHOULD' }, 'cross-mount.mount.location': { status: 'pass' } },
    response: (req, res) => is(req, 'upload', 'POST') && req.query.has('mount') && res.status === 201 && ((res.headers['docker-content-digest'] = sha256(Buffer.from('other'))), true),
  },
  {
    id: 'head-content-length-wrong',
    breaks: 'HEAD of a manifest answers a Content-Length that is not the manifest\'s size',
    suites: ['pull'],
    caughtBy: ['pull.manifest.head-by-digest'],
    response: (req, res) => is(req, 'manifest', 'HEAD') && res.status === 200 && ((res.headers['content-length'] = String(Number(res.headers['content-length']) + 1)), true),
  },
  {
    id: 'upload-post-no-location',
    breaks: 'POST opening an upload session answers 202 without a Location header',
    suites: ['push'],
    caughtBy: ['push.blob.post-put'],
    only: ['push.blob'],
    response: (req, res) => is(req, 'upload', 'POST') && res.status === 202 && res.headers.location !== undefined && (delete res.headers.location, true),
  },
  {
    id: 'blob-put-no-location',
    breaks: 'the 201 completing an upload has no Location header',
    suites: ['push'],
    caughtBy: ['push.blob.post-put'],
    only: ['push.blob.post-put', 'push.blob.streamed'],
    response: (req, res) => is(req, 'upload', 'PUT') && res.status === 201 && res.headers.location !== undefined && (delete res.headers.location, true),
  },
  {
    id: 'manifest-put-no-location',
    breaks: 'the 201 to a manifest PUT has no Location header',
    suites: ['push'],
    caughtBy: ['push.manifest.image'],
    only: ['push.manifest.image', 'push.manifest.by-digest', 'push.manifest.index'],
    response: (req, res) => is(req, 'manifest', 'PUT') && res.status === 201 && res.headers.location !== undefined && (delete res.headers.location, true),
  },
  {
    id: 'manifest-over-limit-500',
    breaks: 'a manifest over the size limit answers 500 instead of 413',
    suites: ['push'],
    caughtBy: ['push.manifest.over-limit'],
    only: ['push.manifest.over-limit'],
    response: (req, res) => is(req, 'manifest', 'PUT') && res.status === 413 && ((res.status = 500), true),
  },
  {
    id: 'patch-no-range',
    breaks: 'a 202 to a PATCH chunk has no Range header',
    suites: ['chunked-upload'],
    caughtBy: ['chunked-upload.chunks.range-header'],
    response: (req, res) => is(req, 'upload', 'PATCH') && res.status === 202 && res.headers.range !== undefined && (delete res.headers.range, true),
  },
  {
    id: 'upload-status-200',
    breaks: 'GET of an active upload session answers 200 instead of 204',
    suites: ['chunked-upload'],
    caughtBy: ['chunked-upload.status.get'],
    response: (req, res) => is(req, 'upload', 'GET') && res.status === 204 && ((res.status = 200), true),
  },
  {
    id: 'mount-no-location',
    breaks: 'a successful mount (201) has no Location header',
    suites: ['cross-mount'],
    caughtBy: ['cross-mount.mount.location'],
    response: (req, res) => is(req, 'upload', 'POST') && req.query.has('mount') && res.status === 201 && (delete res.headers.location, true),
  },
  {
    id: 'range-ignored',
    breaks: 'a GET with Range answers 200 with the whole blob instead of 206',
    suites: ['ranges'],
    caughtBy: ['ranges.blob.satisfiable'],
    request: (req) => is(req, 'blob', 'GET') && req.headers.range !== undefined && (delete req.headers.range, true),
  },
  {
    id: 'range-content-range-wrong',
    breaks: 'a 206 answers a Content-Range one byte off',
    suites: ['ranges'],
    caughtBy: ['ranges.blob.satisfiable'],
    response: (req, res) => {
      const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(res.headers['content-range'] ?? '');
      if (!is(req, 'blob') || res.status !== 206 || !m) return false;
      res.headers['content-range'] = `bytes ${Number(m[1]) + 1}-${m[2]}/${m[3]}`;
      return true;
    },
  },
  {
    id: 'range-416-without-content-range',
    breaks: 'a 416 to an unsatisfiable Range has no Content-Range: bytes */size',
    suites: ['ranges'],
    caughtBy: ['ranges.blob.unsatisfiable'],
    response: (req, res) => is(req, 'blob') && res.status === 416 && res.headers['content-range'] !== undefined && (delete res.headers['content-range'], true),
  },
  // ---- replayed clients (suites/clients.ts) ----
  {
    id: 'manifest-reserialized',
    breaks: 'a pulled manifest is re-serialized (indented JSON) while Docker-Content-Digest still names the bytes that were pushed',
    suites: ['clients'],
    caughtBy: ['clients.docker.pull-by-tag', 'clients.docker.pull-by-digest', 'clients.containerd.pull'],
    only: ['clients.docker.pull-*', 'clients.containerd.pull'],
    response: (req, res) => {
      if (!is(req, 'manifest', 'GET') || res.status !== 200) return false;
      try {
        res.body = Buffer.from(JSON.stringify(JSON.parse(res.body.toString('utf8')), null, 2));
        return true;
      } catch {
        return false;
      }
    },
  },
  {
    id: 'range-refused',
    breaks: 'a blob GET with a Range header is refused with 416 (the server does not serve ranges)',
    suites: ['clients'],
    caughtBy: ['clients.containerd.resume-layer'],
    only: ['clients.containerd.resume-layer'],
    request: (req) => (is(req, 'blob', 'GET') && req.headers.range !== undefined ? errorResponse(416, 'RANGE_INVALID', 'ranges are not supported') : false),
  },
  {
    id: 'sig-tags-lost',
    breaks: 'tags of the form sha256-<hex>.sig are accepted on PUT but never served (a retention rule or tag filter drops them)',
    suites: ['clients'],
    caughtBy: ['clients.cosign.verify'],
    only: ['clients.cosign.sign', 'clients.cosign.verify'],
    request: (req) => (is(req, 'manifest') && ['GET', 'HEAD'].includes(req.method) && /^sha256-[0-9a-f]{64}\.sig$/.test(routeOf(req.path).ref ?? '') ? errorResponse(404, 'MANIFEST_UNKNOWN', 'manifest unknown') : false),
  },
  // ---- error codes ----
  {
    id: 'error-codes-lower-case',
    breaks: 'error codes are sent in lower case',
    suites: ['errors'],
    caughtBy: ['errors.blob-unknown.get', 'errors.manifest-unknown.tag', 'errors.name-unknown.tags-list'],
    response: (_req, res) => mapCodes(res, (c) => c.toLowerCase()),
  },
  {
    id: 'error-body-wrong-shape',
    breaks: 'JSON error bodies are {"error": "..."} instead of {"errors": [...]}',
    suites: ['errors'],
    caughtBy: ['errors.blob-unknown.get', 'errors.manifest-unknown.digest', 'errors.manifest-invalid.unparsable'],
    response: (_req, res) =>
      res.status >= 400 && json(res) && editJson(res, (j) => {
        if (!Array.isArray(j?.errors)) return false;
        const message = j.errors[0]?.message;
        delete j.errors;
        j.error = message ?? 'error';
      }),
  },
  {
    id: 'blob-unknown-wrong-code',
    breaks: 'a missing blob answers code NAME_UNKNOWN instead of BLOB_UNKNOWN',
    suites: ['errors'],
    caughtBy: ['errors.blob-unknown.get'],
    // Another code of the table: the right one is a SHOULD, the 404 still met.
    verdicts: { 'errors.blob-unknown.get': { status: 'fail', level: 'SHOULD' } },
    response: (_req, res) => mapCodes(res, (c) => (c === 'BLOB_UNKNOWN' ? 'NAME_UNKNOWN' : c)),
  },
  {
    id: 'blob-digest-not-verified',
    breaks: 'completing an upload does not verify the client\'s digest (the proxy replaces it with the true one)',
    suites: ['errors'],
    caughtBy: ['errors.digest-invalid.blob-put'],
    request: (req) => {
      if (!is(req, 'upload', 'PUT') || req.body.length === 0 || !req.query.has('digest')) return false;
      const actual = sha256(req.body);
      if (req.query.get('digest') === actual) return false;
      req.query.set('digest', actual);
      return true;
    },
  },
  {
    id: 'manifest-digest-not-verified',
    breaks: 'PUT of a manifest by digest does not check the digest against the bytes',
    suites: ['errors'],
    caughtBy: ['errors.digest-invalid.manifest-put'],
    request: (req) => {
      const r = routeOf(req.path);
      if (!is(req, 'manifest', 'PUT') || !r.ref?.startsWith('sha256:')) return false;
      const actual = sha256(req.body);
      if (actual === r.ref) return false;
      req.path = `/v2/${r.name}/manifests/${actual}`;
      return true;
    },
  },
  {
    id: 'out-of-order-chunk-accepted',
    breaks: 'a PATCH chunk out of order is accepted (202) instead of 416',
    suites: ['errors'],
    caughtBy: ['errors.blob-upload-invalid.out-of-order'],
    response: (req, res) => is(req, 'upload', 'PATCH') && res.status === 416 && (Object.assign(res, empty(202, { location: req.path, range: '0-9' })), true),
  },
  // ---- missed violations (issue 11): each reproduces one registry's deviation ----
  {
    id: 'upload-status-earlier-location-404',
    breaks: 'GET of an upload session by the Location of an earlier POST answers 404 BLOB_UPLOAD_INVALID after a PATCH (distribution 2.8: each Location carries a state token the next PATCH replaces)',
    suites: ['chunked-upload'],
    caughtBy: ['chunked-upload.status.earlier-location'],
    only: ['chunked-upload.status'],
    verdicts: { 'chunked-upload.status.earlier-location': { status: 'fail', level: 'MUST', message: /status 204, got status 404/ } },
    request: (req) => {
      if (!is(req, 'upload') || !req.query.has('_state')) return false;
      const state = Number(req.query.get('_state'));
      req.query.delete('_state');
      if (req.method === 'GET' && state !== uploadStates.get(req.path)) return errorResponse(404, 'BLOB_UPLOAD_INVALID', 'blob upload invalid');
      return false;
    },
    response: (req, res) => {
      if (!is(req, 'upload') || !['POST', 'PATCH'].includes(req.method) || res.status !== 202 || !res.headers.location) return false;
      const u = new URL(res.headers.location, 'http://relative.invalid');
      const n = (uploadStates.get(u.pathname) ?? 0) + 1;
      uploadStates.set(u.pathname, n);
      u.searchParams.set('_state', String(n));
      res.headers.location = u.origin === 'http://relative.invalid' ? u.pathname + u.search : u.toString();
      return true;
    },
  },
  {
    id: 'mount-sha512-claimed',
    breaks: 'a mount of a sha512 blob answers 201 with a Location under the target, but the blob is not there (distribution 2.8 and v3)',
    suites: ['cross-mount'],
    caughtBy: ['cross-mount.mount.sha512'],
    only: ['cross-mount.mount.sha512'],
    verdicts: { 'cross-mount.mount.sha512': { status: 'fail', level: 'MUST', message: /status 200, got status 404/ } },
    request: (req) => {
      const digest = req.query.get('mount');
      if (!is(req, 'upload', 'POST') || !digest?.startsWith('sha512:')) return false;
      return empty(201, { location: `/v2/${routeOf(req.path).name}/blobs/${digest}`, 'docker-content-digest': digest });
    },
  },
  {
    id: 'manifest-invalid-reference-stored',
    breaks: 'a manifest PUT to sha256:baddigeststring (neither a tag nor a digest) is stored and served (go-containerregistry)',
    suites: ['push'],
    caughtBy: ['push.manifest.reference-invalid'],
    only: ['push.manifest.reference-invalid'],
    verdicts: { 'push.manifest.reference-invalid': { status: 'fail', level: 'MUST', message: /status 201/ } },
    // The reference registry refuses the reference, so the proxy stores it under a tag of the same letters.
    request: (req) => {
      const r = routeOf(req.path);
      if (r.kind !== 'manifest' || r.ref !== 'sha256:baddigeststring') return false;
      req.path = `/v2/${r.name}/manifests/sha256-baddigeststring`;
      return true;
    },
  },
  {
    id: 'manifest-invalid-reference-500',
    breaks: 'a manifest PUT to sha256:baddigeststring answers 500 (distribution 2.8 and v3)',
    suites: ['push'],
    caughtBy: ['push.manifest.reference-invalid'],
    only: ['push.manifest.reference-invalid'],
    verdicts: { 'push.manifest.reference-invalid': { status: 'fail', level: 'SHOULD', message: /status 400, got status 500/ } },
    request: (req) => (is(req, 'manifest', 'PUT') && routeOf(req.path).ref === 'sha256:baddigeststring' ? errorResponse(500, 'UNKNOWN', 'unknown error') : false),
  },
  {
    id: 'range-backwards-206',
    breaks: 'Range: bytes=500-0 is answered 206 with Content-Range: bytes 500-0/<size> (distribution 2.8 and v3)',
    suites: ['ranges'],
    caughtBy: ['ranges.blob.invalid'],
    only: ['ranges.blob.satisfiable', 'ranges.blob.invalid'],
    verdicts: { 'ranges.blob.invalid': { status: 'fail', level: 'SHOULD', message: /Content-Range: bytes \d+-0\// } },
    request: (req) => {
      const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
      if (!is(req, 'blob', 'GET') || !m || Number(m[1]) <= Number(m[2])) return false;
      backwardsRange.set(req, `${m[1]}-${m[2]}`);
      delete req.headers.range;
      return true;
    },
    response: (req, res) => {
      const r = backwardsRange.get(req);
      if (!r || res.status !== 200) return false;
      res.headers['content-range'] = `bytes ${r}/${res.body.length}`;
      res.status = 206;
      res.body = Buffer.alloc(0);
      return true;
    },
  },
  {
    id: 'range-empty-suffix-206',
    breaks: 'Range: bytes=-0 is answered 206 with Content-Range: bytes <size>-<size-1>/<size> (distribution 2.8 and v3)',
    suites: ['ranges'],
    caughtBy: ['ranges.blob.unsatisfiable'],
    only: ['ranges.blob.satisfiable', 'ranges.blob.unsatisfiable'],
    verdicts: { 'ranges.blob.unsatisfiable': { status: 'fail', level: 'SHOULD', message: /bytes=-0.*status 206/ } },
    response: (req, res) => {
      if (!is(req, 'blob', 'GET') || req.headers.range !== 'bytes=-0') return false;
      const size = /\/(\d+)$/.exec(res.headers['content-range'] ?? '')?.[1] ?? '0';
      Object.assign(res, empty(206, { 'content-range': `bytes ${size}-${Number(size) - 1}/${size}` }));
      return true;
    },
  },
  {
    id: 'referrers-no-manifests-404',
    breaks: 'referrers of a digest in a repository that holds no manifest answer 404 NAME_UNKNOWN',
    suites: ['referrers'],
    caughtBy: ['referrers.list.empty-repository'],
    only: ['referrers.api.available', 'referrers.list.empty-repository'],
    verdicts: { 'referrers.list.empty-repository': { status: 'fail', level: 'SHOULD', observations: { 'referrers-without-manifests': '404 NAME_UNKNOWN' } } },
    request: (req) => {
      const r = routeOf(req.path);
      if (r.kind === 'referrers' && req.method === 'GET' && !reposWithManifests.has(r.name!)) return errorResponse(404, 'NAME_UNKNOWN', 'repository name not known to registry');
      return false;
    },
    response: (req, res) => {
      if (is(req, 'manifest', 'PUT') && res.status === 201) reposWithManifests.add(routeOf(req.path).name!);
      return false;
    },
  },
  {
    id: 'invalid-tag-500',
    breaks: 'GET/HEAD of a tag outside the grammar (.INVALID_MANIFEST_NAME) answers 500',
    suites: ['pull'],
    caughtBy: ['pull.manifest.invalid-tag'],
    only: ['pull.manifest.invalid-tag'],
    verdicts: { 'pull.manifest.invalid-tag': { status: 'fail', level: 'MUST', message: /status 404 or 400, got status 500/ } },
    request: (req) => (is(req, 'manifest') && routeOf(req.path).ref === '.INVALID_MANIFEST_NAME' ? errorResponse(500, 'UNKNOWN', 'unknown error') : false),
  },
  // ---- false alarms (issue 11): legal behaviour seen on real registries must not fail ----
  {
    id: 'invalid-tag-400',
    breaks: 'nothing: GET/HEAD of a tag outside the grammar answers 400 TAG_INVALID (404 and 400 are both defensible)',
    suites: ['pull'],
    caughtBy: [],
    legal: true,
    only: ['pull.manifest.invalid-tag'],
    verdicts: { 'pull.manifest.invalid-tag': { status: 'pass', observations: { 'invalid-tag-head': 400, 'invalid-tag-get': 400, 'error-codes': 'TAG_INVALID' } } },
    request: (req) => (is(req, 'manifest') && routeOf(req.path).ref === '.INVALID_MANIFEST_NAME' ? errorResponse(400, 'TAG_INVALID', 'manifest tag did not match URI') : false),
  },
  {
    id: 'out-of-order-416-upload-unknown',
    breaks: 'nothing: the 416 to an out-of-order chunk carries BLOB_UPLOAD_UNKNOWN (the spec assigns no code there; any code of the table is legal)',
    suites: ['errors'],
    caughtBy: [],
    legal: true,
    only: ['errors.blob-upload-invalid.out-of-order'],
    verdicts: { 'errors.blob-upload-invalid.out-of-order': { status: 'pass', observations: { 'error-codes': 'BLOB_UPLOAD_UNKNOWN' } } },
    response: (req, res) => is(req, 'upload', 'PATCH') && res.status === 416 && mapCodes(res, () => 'BLOB_UPLOAD_UNKNOWN'),
  },
  {
    id: 'out-of-order-416-range-invalid',
    breaks: 'the 416 to an out-of-order chunk carries RANGE_INVALID, a code outside the spec\'s table (distribution v3)',
    suites: ['errors'],
    caughtBy: ['errors.blob-upload-invalid.out-of-order'],
    only: ['errors.blob-upload-invalid.out-of-order'],
    verdicts: { 'errors.blob-upload-invalid.out-of-order': { status: 'fail', level: 'MUST', message: /code from the spec's table.*RANGE_INVALID/ } },
    response: (req, res) => is(req, 'upload', 'PATCH') && res.status === 416 && mapCodes(res, () => 'RANGE_INVALID'),
  },
  {
    id: 'tag-delete-refused-digest-invalid',
    breaks: 'nothing: a refused tag DELETE answers 400 DIGEST_INVALID (distribution 2.8; the spec asks for 400 or 405, not a code)',
    suites: ['errors'],
    caughtBy: [],
    legal: true,
    only: ['errors.unsupported'],
    verdicts: { 'errors.unsupported.tag-delete-refused': { status: 'pass', observations: { status: 400, 'error-codes': 'DIGEST_INVALID' } } },
    request: (req) => (is(req, 'manifest', 'DELETE') && isTagRef(routeOf(req.path).ref) ? errorResponse(400, 'DIGEST_INVALID', 'invalid digest') : false),
  },
  {
    id: 'blob-delete-refused-405-text',
    breaks: 'nothing: a refused blob DELETE answers 405 with a plain-text body (a 4XX body MAY be in any format; no code is prescribed)',
    suites: ['errors'],
    caughtBy: [],
    legal: true,
    only: ['errors.unsupported'],
    verdicts: { 'errors.unsupported.blob-delete-refused': { status: 'pass', observations: { status: 405, 'error-body': 'not JSON (text/plain)' } } },
    request: (req) => (is(req, 'blob', 'DELETE') ? { status: 405, headers: { 'content-type': 'text/plain' }, body: Buffer.from('method not allowed') } : false),
  },
  {
    id: 'upload-cancel-400',
    breaks: 'nothing: DELETE of an active upload session answers 400 (a failure end-14 lists; 204 is a SHOULD)',
    suites: ['chunked-upload'],
    caughtBy: [],
    legal: true,
    only: ['chunked-upload.cancel'],
    verdicts: { 'chunked-upload.cancel.delete': { status: 'skip', skipKind: 'unsupported', observations: { 'upload-cancel': 'refused (400)' } } },
    request: (req) => (is(req, 'upload', 'DELETE') ? errorResponse(400, 'BLOB_UPLOAD_INVALID', 'cancel not supported') : false),
  },
  {
    id: 'finished-upload-400',
    breaks: 'GET of a finished upload session answers 400 instead of 404',
    suites: ['errors'],
    caughtBy: ['errors.blob-upload-unknown.finished-session'],
    response: (req, res) => is(req, 'upload', 'GET') && res.status === 404 && ((res.status = 400), true),
  },
  {
    id: 'manifest-unknown-500',
    breaks: 'GET of a missing manifest answers 500 instead of 404',
    suites: ['errors'],
    caughtBy: ['errors.manifest-unknown.tag', 'errors.manifest-unknown.digest'],
    response: (req, res) => is(req, 'manifest', 'GET') && res.status === 404 && ((res.status = 500), true),
  },
  {
    id: 'manifest-blob-unknown-wrong-code',
    breaks: 'a manifest refused for a missing blob answers MANIFEST_INVALID instead of MANIFEST_BLOB_UNKNOWN',
    suites: ['errors'],
    caughtBy: ['errors.manifest-blob-unknown.missing-layer'],
    response: (_req, res) => mapCodes(res, (c) => (c === 'MANIFEST_BLOB_UNKNOWN' ? 'MANIFEST_INVALID' : c)),
  },
  {
    id: 'invalid-manifest-accepted',
    breaks: 'PUT of a manifest that is not JSON answers 201',
    suites: ['errors'],
    caughtBy: ['errors.manifest-invalid.unparsable'],
    // No MUST requires refusing it (issue 11): a SHOULD not met.
    verdicts: { 'errors.manifest-invalid.unparsable': { status: 'fail', level: 'SHOULD' } },
    response: (req, res) =>
      is(req, 'manifest', 'PUT') && res.status === 400 && res.body.includes('MANIFEST_INVALID') && (Object.assign(res, empty(201, { location: req.path })), true),
  },
  {
    id: 'unknown-repository-tags-200',
    breaks: 'the tag list of a repository that never existed answers 200 with no tags instead of 404',
    suites: ['errors'],
    caughtBy: ['errors.name-unknown.tags-list'],
    response: (req, res) => {
      const r = routeOf(req.path);
      if (r.kind !== 'tags' || res.status !== 404) return false;
      Object.assign(res, { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ name: r.name, tags: [] })) });
      return true;
    },
  },
  {
    id: 'size-invalid-unknown-code',
    breaks: 'a chunk whose length disagrees with its Content-Range answers a code outside the spec\'s table',
    suites: ['errors'],
    caughtBy: ['errors.size-invalid.chunk-length'],
    response: (_req, res) => mapCodes(res, (c) => (c === 'SIZE_INVALID' ? 'LENGTH_MISMATCH' : c)),
  },
  {
    id: 'invalid-name-accepted',
    breaks: 'an upload to a repository name that breaks the grammar is opened (202)',
    suites: ['errors'],
    caughtBy: ['errors.name-invalid.upload'],
    verdicts: { 'errors.name-invalid.upload': { status: 'fail', level: 'SHOULD' } },
    response: (req, res) =>
      is(req, 'upload', 'POST') && res.status === 400 && res.body.includes('NAME_INVALID') && (Object.assign(res, empty(202, { location: `${req.path}00000000-0000-0000-0000-000000000000` })), true),
  },
];
