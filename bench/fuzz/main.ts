// `npm run fuzz -- [URL] [--requests N] [--seed S]`: hostile requests against a registry.
// Without a URL it starts the reference registry (`regprobe serve`) in a child process with its
// storage in a temporary sandbox, so a death is seen and files appearing outside storage are caught;
// --distribution does the same with Debian's docker-registry. Exit 0: every property held; 1: one
// failed; 2: the run could not be done.
import { parseArgs } from 'node:util';
import { writeFile } from 'node:fs/promises';
import { renderFuzzText } from '../../src/report/fuzz-text.js';
import { useColor } from '../../src/report/ansi.js';
import { runFuzz, violations, type FuzzReport } from './run.js';
import { plantCanary, pushFixture, snapshot, snapshotDiff, startDistributionChild, startReferenceChild, strayCanaries, verifyFixture, type OwnedServer } from './target.js';
import { randomBytes } from 'node:crypto';

const HELP = `Usage: npm run fuzz -- [URL] [options]

Sends hostile requests (malformed names, references, digests, query parameters, ranges, headers,
deep/huge/broken JSON bodies, cut-short and badly chunked bodies, absolute-form targets, CONNECT,
path traversal, slow and abandoned requests) to every endpoint of the OCI distribution API, and
checks: no 5xx, every well-formed request answered, the registry alive (GET /v2/ every K requests),
a fixture image pushed first still byte-identical at the end, and (when the fuzzer started the
registry) nothing written outside its storage directory.

  URL                    registry to fuzz (it must allow anonymous push); default: start the
                         reference registry (regprobe serve) in a child process
  --distribution         start Debian's docker-registry (distribution 2.8) instead
  --requests N           number of requests (default 10000)
  --seed S               generator seed (default: random, printed); the same seed sends the same requests
  --only I[,J...]        send only request(s) I of that seed (reproduce a finding)
  --concurrency C        connections in flight (default 8)
  --liveness-every K     plain GET /v2/ after every K requests (default 100)
  --timeout SECONDS      how long a sent request may wait for its answer (default 10)
  --json FILE            also write the full report (regprobe.fuzz/v1) to FILE
  -h, --help             this text

Exit codes: 0 every property held, 1 a property failed, 2 the run could not be done.`;

class UsageError extends Error {}

function intOption(v: string | undefined, name: string, def: number, min: number): number {
  if (v === undefined) return def;
  const x = Number(v);
  if (!Number.isInteger(x) || x < min) throw new UsageError(`--${name}: ${v} is not an integer ≥ ${min}`);
  return x;
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        distribution: { type: 'boolean', default: false },
        requests: { type: 'string' },
        seed: { type: 'string' },
        only: { type: 'string' },
        concurrency: { type: 'string' },
        'liveness-every': { type: 'string' },
        timeout: { type: 'string' },
        json: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values: v, positionals } = parsed;
  if (v.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (positionals.length > 1) throw new UsageError(`one URL at most (got ${positionals.join(' ')})`);
  const url = positionals[0];
  if (url !== undefined && !/^https?:\/\/[^/]+\/?$/.test(url)) throw new UsageError(`${url}: expected a registry URL like http://127.0.0.1:5000`);
  if (url?.startsWith('https:')) throw new UsageError('https targets are not supported: the fuzzer writes raw HTTP/1.1 over TCP');
  if (url && v.distribution) throw new UsageError('give a URL or --distribution, not both');
  const requests = intOption(v.requests, 'requests', 10_000, 1);
  const seed = intOption(v.seed, 'seed', randomBytes(4).readUInt32BE() >>> 1, 0);
  const concurrency = intOption(v.concurrency, 'concurrency', 8, 1);
  const livenessEvery = intOption(v['liveness-every'], 'liveness-every', 100, 1);
  const timeoutMs = intOption(v.timeout, 'timeout', 10, 1) * 1000;
  const only = v.only?.split(',').map((s) => intOption(s, 'only', 0, 0));

  let owned: OwnedServer | undefined;
  try {
    owned = url ? undefined : v.distribution ? await startDistributionChild() : await startReferenceChild();
  } catch (err) {
    process.stderr.write(`fuzz: could not start the registry: ${(err as Error).message}\n`);
    return 2;
  }
  try {
    const target = (url ?? owned!.url).replace(/\/$/, '');
    const canary = owned ? await plantCanary(owned.sandbox) : `fuzzcanary${seed}`;
    const skip = ['storage', 'registry.log'];
    const before = owned ? await snapshot(owned.sandbox, skip) : undefined;
    let fixture;
    try {
      fixture = await pushFixture(target, canary);
    } catch (err) {
      process.stderr.write(`fuzz: could not push the fixture image to ${target} (anonymous push must be allowed): ${(err as Error).message}\n`);
      return 2;
    }
    process.stderr.write(`fuzz: ${only ? `request(s) ${only.join(',')} of` : `${requests} requests,`} seed ${seed}, against ${target}${owned ? ` (started here; sandbox ${owned.sandbox})` : ''}\n`);
    let last = 0;
    const report: FuzzReport = await runFuzz({
      url: target,
      requests,
      seed,
      concurrency,
      livenessEvery,
      timeoutMs,
      ctx: fixture.ctx,
      ...(owned ? { owned } : {}),
      ...(only ? { only } : {}),
      onProgress: (done, total) => {
        if (process.stderr.isTTY && Date.now() - last > 500) {
          last = Date.now();
          process.stderr.write(`\r  ${done}/${total}`);
        }
      },
    });
    if (process.stderr.isTTY) process.stderr.write('\r');
    const now = owned ? owned.url : target;
    report.image = await verifyFixture(now, fixture).then((problems) => ({ intact: problems.length === 0, problems }));
    if (owned && before) {
      const changes = snapshotDiff(before, await snapshot(owned.sandbox, skip));
      changes.push(...(await strayCanaries(canary)).map((p) => `new: ${p}`));
      report.outsideStorage = { checked: true, changes };
    } else report.outsideStorage = { checked: false, changes: [] };
    process.stdout.write(renderFuzzText(report, { color: useColor(process.stdout) }));
    if (v.json) await writeFile(v.json, JSON.stringify(report, null, 2) + '\n');
    return violations(report).length ? 1 : 0;
  } finally {
    await owned?.stop();
  }
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    process.stderr.write(`fuzz: ${err instanceof UsageError ? `${err.message} (--help for usage)` : err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  },
);
