// Start-up cost of the CLI as users run it (bin/regprobe.js, the compiled dist/: run `npm run build`
// first): wall time and CPU time of `--version` and `--help`, medians of alternating rounds, beside a
// bare `node -e 0`; and the fixed CPU a benchmark spends before its first request, taken as the
// intercept of CPU time over a short and a long run of the same load (cpu = fixed + rate x duration)
// against a `regprobe serve` in its own process.
//
// Run: npx tsx bench/startup.ts [--rounds 7]
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '7' } } });
const rounds = Number(values.rounds);
const root = fileURLToPath(new URL('..', import.meta.url));
const bin = `${root}bin/regprobe.js`;
if (!existsSync(`${root}dist/src/cli/main.js`)) {
  process.stderr.write('startup: dist/ is missing: run `npm run build` first\n');
  process.exit(2);
}
const TIME = '/usr/bin/time';
if (!existsSync(TIME)) {
  process.stderr.write('startup: /usr/bin/time is needed for CPU figures (apt-get install time)\n');
  process.exit(2);
}

/** Wall and CPU (user + system) seconds of one command, from /usr/bin/time. */
function measure(args: string[]): { wall: number; cpu: number } {
  const r = spawnSync(TIME, ['-f', '%e %U %S', process.execPath, ...args], { encoding: 'utf8' });
  const line = r.stderr.trim().split('\n').pop() ?? '';
  const [wall, user, sys] = line.split(' ').map(Number);
  if (r.status !== 0 || !Number.isFinite(wall)) throw new Error(`${args.join(' ')} failed: ${r.stderr.slice(-400)}`);
  return { wall: wall!, cpu: user! + sys! };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (s: number) => `${Math.round(s * 1000)} ms`;

const shapes: Array<[string, string[]]> = [
  ['node -e 0', ['-e', '0']],
  ['regprobe --version', [bin, '--version']],
  ['regprobe --help', [bin, '--help']],
  ['regprobe bench --help', [bin, 'bench', '--help']],
];
const results = new Map<string, Array<{ wall: number; cpu: number }>>();
for (let r = 0; r < rounds; r++) {
  for (const [name, args] of shapes) results.set(name, [...(results.get(name) ?? []), measure(args)]);
}
process.stdout.write(`start-up, median of ${rounds} rounds (load average ${(await import('node:os')).loadavg()[0]!.toFixed(1)})\n`);
for (const [name] of shapes) {
  const xs = results.get(name)!;
  process.stdout.write(`  ${name.padEnd(24)} wall ${ms(median(xs.map((x) => x.wall))).padStart(7)}   cpu ${ms(median(xs.map((x) => x.cpu))).padStart(7)}\n`);
}

// Fixed CPU of a benchmark: the same open-loop load for 2 s and for 8 s.
const server = spawn(process.execPath, [bin, 'serve', '--port', '0', '--log-format', 'none'], { stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise<string>((resolve, reject) => {
  let out = '';
  server.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    const m = /(http:\/\/\S+)/.exec(out);
    if (m) resolve(m[1]!);
  });
  server.once('exit', () => reject(new Error(`serve exited: ${out}`)));
});
const benchCpu = (seconds: number) => measure([bin, 'bench', url, '-w', 'ping', '--rate', '200', '-d', `${seconds}s`, '--warmup', '0', '--quiet', '--format', 'table']).cpu;
const fixed: number[] = [];
for (let r = 0; r < Math.max(3, Math.ceil(rounds / 2)); r++) {
  const short = benchCpu(2);
  const long = benchCpu(8);
  fixed.push(short - ((long - short) / 6) * 2);
}
server.kill('SIGTERM');
process.stdout.write(`  bench fixed CPU (intercept of 2 s and 8 s runs at 200 req/s): ${ms(median(fixed))} (runs: ${fixed.map(ms).join(', ')})\n`);
