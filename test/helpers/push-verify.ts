// The crash test's checker, shared with the gc test: everything the API shows, against what the
// registry acknowledged (a PushLedger). Acknowledged manifests and tags must be there and intact with
// every blob they reference; anything else must be absent or intact; unfinished upload sessions must
// be gone or resumable at an offset the registry had acknowledged (or at most what was sent).
import type { Test } from 'tap';
import type { RegistryClient } from '../../src/client/registry-client.js';
import { DigestMismatchError, fetchManifestVerified, listCatalogPage, nextLink, readBlob, OperationError } from '../../src/client/operations.js';
import { blobOf } from '../../src/conformance/fixtures.js';
import { parseErrorBody } from '../../src/oci/errors.js';
import type { PushLedger } from './push-ledger.js';

export interface VerifyOptions {
  /**
   * Garbage collection ran: an acknowledged blob that no acknowledged manifest of its repository
   * references may have been collected (absent), never corrupt.
   */
  unreferencedBlobsMayGo?: boolean;
}

/** 'ok', 'absent' (404), or a description of what is wrong with a blob. */
export async function blobState(client: RegistryClient, repo: string, digest: string, size: number): Promise<string> {
  try {
    const r = await readBlob(client, repo, digest);
    return r.bytes === size ? 'ok' : `served ${r.bytes} bytes, not ${size}`;
  } catch (err) {
    if (err instanceof OperationError && err.status === 404) return 'absent';
    if (err instanceof DigestMismatchError) return `corrupt: ${err.message}`;
    return `error: ${(err as Error).message}`;
  }
}

async function manifestState(client: RegistryClient, repo: string, ref: string, expected?: Buffer): Promise<{ state: string; digest?: string; bytes?: Buffer }> {
  try {
    const m = await fetchManifestVerified(client, repo, ref);
    if (expected && !m.bytes.equals(expected)) return { state: 'different bytes' };
    return { state: 'ok', digest: m.digest, bytes: m.bytes };
  } catch (err) {
    if (err instanceof OperationError && err.status === 404) return { state: 'absent' };
    return { state: `error: ${(err as Error).message}` };
  }
}

/** Every tag of a repository across pages; [] when the repository is unknown (404). */
async function allTags(client: RegistryClient, repo: string): Promise<string[]> {
  const out: string[] = [];
  let path: string | undefined = `/v2/${repo}/tags/list?n=50`;
  for (let page = 0; path && page < 100; page++) {
    const res = await client.request({ method: 'GET', path });
    if (res.status === 404 && page === 0) {
      await res.dump();
      return [];
    }
    if (res.status !== 200) throw new Error(`${res.requestLine}: ${res.status} ${await res.text()}`);
    out.push(...((await res.json<{ tags?: string[] | null }>()).tags ?? []));
    path = nextLink(res.header('link'));
  }
  return out;
}

async function allRepositories(client: RegistryClient): Promise<string[]> {
  const out: string[] = [];
  let p = await listCatalogPage(client, { n: 50 });
  for (let page = 0; page < 100; page++) {
    out.push(...p.repositories);
    if (!p.next) return out;
    p = await listCatalogPage(client, { path: p.next });
  }
  throw new Error('catalog: more than 100 pages');
}

/** Everything the API shows after a restart, against the ledger. Returns the problems found. */
export async function verify(t: Test, client: RegistryClient, ledger: PushLedger, opts: VerifyOptions = {}): Promise<string[]> {
  const problems: string[] = [];
  let blobsOk = 0;
  let blobsCollected = 0;
  const referenced = new Set<string>();
  for (const m of ledger.manifests.values()) if (m.acked) for (const b of m.blobs) referenced.add(`${m.repo}@${b.digest}`);
  for (const b of ledger.blobs.values()) {
    const s = await blobState(client, b.repo, b.digest, b.bytes.length);
    if (s === 'ok') blobsOk++;
    else if (s === 'absent' && b.acked && opts.unreferencedBlobsMayGo && !referenced.has(`${b.repo}@${b.digest}`)) blobsCollected++;
    else if (b.acked || s !== 'absent') problems.push(`blob ${b.repo}@${b.digest} (${b.acked ? 'acknowledged' : 'in flight'}): ${s}`);
  }

  let manifestsOk = 0;
  for (const m of ledger.manifests.values()) {
    const s = await manifestState(client, m.repo, m.digest, m.bytes);
    if (s.state === 'ok') {
      manifestsOk++;
      // A manifest that is visible has every blob it references (the registry checked them on PUT).
      for (const b of m.blobs) {
        const bs = await blobState(client, m.repo, b.digest, b.size);
        if (bs !== 'ok') problems.push(`manifest ${m.repo}@${m.digest} references blob ${b.digest}: ${bs}`);
      }
    } else if (m.acked || s.state !== 'absent') problems.push(`manifest ${m.repo}@${m.digest} (${m.acked ? 'acknowledged' : 'in flight'}): ${s.state}`);
  }

  const catalog = await allRepositories(client);
  for (const r of catalog) if (!ledger.repos.has(r)) problems.push(`catalog lists a repository nobody pushed to: ${r}`);

  let tagsOk = 0;
  for (const repo of ledger.repos) {
    const hasContent = [...ledger.manifests.values()].some((m) => m.repo === repo && m.acked);
    if (hasContent && !catalog.includes(repo)) problems.push(`catalog lacks ${repo}, which holds acknowledged manifests`);
    const listed = await allTags(client, repo);
    for (const tag of listed) {
      const entry = ledger.tags.get(`${repo}:${tag}`);
      if (!entry) {
        problems.push(`${repo} lists a tag nobody pushed: ${tag}`);
        continue;
      }
      const s = await manifestState(client, repo, tag);
      if (s.state !== 'ok') problems.push(`tag ${repo}:${tag} is listed but its manifest is ${s.state}`);
      else if (!entry.candidates.has(s.digest!)) problems.push(`tag ${repo}:${tag} points to ${s.digest}, never pushed under that tag`);
      else {
        const m = ledger.manifests.get(`${repo}@${s.digest}`)!;
        for (const b of m.blobs) {
          const bs = await blobState(client, repo, b.digest, b.size);
          if (bs !== 'ok') problems.push(`tag ${repo}:${tag} -> ${s.digest}: blob ${b.digest} ${bs}`);
        }
        tagsOk++;
      }
    }
    for (const e of ledger.tags.values()) {
      if (e.repo === repo && e.acked && !listed.includes(e.tag)) problems.push(`acknowledged tag ${repo}:${e.tag} is not listed`);
    }
  }

  // Sessions left open before the crash: gone (404 BLOB_UPLOAD_UNKNOWN), or resumable at an offset
  // between what was acknowledged and what was sent, and then completing into an intact blob.
  let sessionsGone = 0;
  let sessionsResumed = 0;
  for (const s of ledger.abandoned.splice(0)) {
    const full = blobOf(s.data);
    const before = await blobState(client, s.repo, full.digest, s.data.length);
    if (before !== 'absent') problems.push(`an unfinished upload's content is visible as blob ${full.digest}: ${before}`);
    const st = await client.request({ method: 'GET', path: s.location });
    if (st.status === 404) {
      const code = parseErrorBody(await st.text())?.errors[0]?.code;
      if (code !== 'BLOB_UPLOAD_UNKNOWN') problems.push(`${st.requestLine}: 404 with code ${code}, not BLOB_UPLOAD_UNKNOWN`);
      sessionsGone++;
      continue;
    }
    await st.dump();
    const range = /^0-(\d+)$/.exec(st.header('range') ?? '');
    let offset = range ? Number(range[1]) + 1 : st.header('range') === undefined ? -1 : 0;
    let location = st.header('location') ?? s.location;
    if (st.status === 204 && st.header('range') === '0-0' && s.data.length > 0) {
      // `Range: 0-0` means 0 or 1 bytes held (the header cannot say "empty"). Settle it with a
      // 1-byte chunk at offset 0: accepted (202) if the session was empty, 416 if it held 1 byte.
      const probe = await client.request({ method: 'PATCH', path: location, headers: { 'content-type': 'application/octet-stream', 'content-range': '0-0', 'content-length': '1' }, body: s.data.subarray(0, 1) });
      await probe.dump();
      if (probe.status !== 202 && probe.status !== 416) problems.push(`${probe.requestLine}: ${probe.status} to a 1-byte chunk at offset 0`);
      location = probe.header('location') ?? location;
      offset = 1;
    }
    // After the 1-byte probe the session holds 1 byte whatever it held before (0 or 1 of those sent).
    const [low, high] = offset === 1 && st.header('range') === '0-0' ? [Math.min(s.ackedBytes, 1), Math.max(s.sentBytes, 1)] : [s.ackedBytes, s.sentBytes];
    if (st.status !== 204 || offset < low || offset > high) {
      problems.push(`${st.requestLine} after restart: ${st.status} Range ${st.header('range')} (acknowledged ${s.ackedBytes}, sent ${s.sentBytes})`);
      continue;
    }
    const rest = s.data.subarray(offset);
    const put = await client.request({ method: 'PUT', path: location, query: { digest: full.digest }, headers: { 'content-type': 'application/octet-stream', 'content-length': String(rest.length) }, body: rest });
    await put.dump();
    const after = await blobState(client, s.repo, full.digest, s.data.length);
    if (put.status !== 201 || after !== 'ok') problems.push(`resumed session ${s.location} at ${offset}: PUT ${put.status}, blob ${after}`);
    else {
      ledger.blob(s.repo, full).acked = true;
      sessionsResumed++;
    }
  }
  t.comment(`verified: ${blobsOk}/${ledger.blobs.size} blobs${opts.unreferencedBlobsMayGo ? ` (${blobsCollected} unreferenced ones collected)` : ''}, ${manifestsOk}/${ledger.manifests.size} manifests, ${tagsOk} tags, catalog of ${catalog.length}; unfinished sessions: ${sessionsGone} gone, ${sessionsResumed} resumed`);
  return problems;
}
