// Byte sizes on the command line: `4MiB`, `512KiB`, `1.5GiB`, `10M`, `1MB`, `4194304`.
// Units follow coreutils: K/M/G/T and KiB/MiB/GiB/TiB are powers of 1024, KB/MB/GB/TB powers of 1000.
import { CliError } from './exit.js';

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tib: 1024 ** 4,
  kb: 1000,
  mb: 1000 ** 2,
  gb: 1000 ** 3,
  tb: 1000 ** 4,
};

const SIZE_RE = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i;

/** Bytes for a size string; null when it is not a size (negative, unknown unit, not a whole byte count). */
export function parseSize(text: string): number | null {
  const m = SIZE_RE.exec(text.trim());
  if (!m) return null;
  const unit = UNITS[m[2]!.toLowerCase()];
  if (unit === undefined) return null;
  const bytes = Number(m[1]) * unit;
  // 1.5KiB is fine (1536 bytes); 1.3 bytes is not a size.
  if (!Number.isSafeInteger(bytes)) return null;
  return bytes;
}

/** yargs `coerce` for a size option: a number of bytes, or a CliError naming the option. */
export function sizeOption(option: string, opts: { min?: number } = {}): (value: unknown) => number {
  return (value: unknown) => {
    // yargs hands plain numbers over as numbers when the option type is not forced to string.
    const bytes = typeof value === 'number' ? (Number.isSafeInteger(value) ? value : null) : parseSize(String(value));
    if (bytes === null) throw new CliError(`--${option}: "${String(value)}" is not a size (examples: 4MiB, 512KiB, 1048576)`);
    if (opts.min !== undefined && bytes < opts.min) throw new CliError(`--${option}: must be at least ${formatSize(opts.min)}`);
    return bytes;
  };
}

/** Short human form: whole binary units when exact (`4 MiB`), else bytes. */
export function formatSize(bytes: number): string {
  for (const [unit, n] of [['TiB', 1024 ** 4], ['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]] as const) {
    if (bytes >= n && bytes % n === 0) return `${bytes / n} ${unit}`;
  }
  return `${bytes} bytes`;
}
