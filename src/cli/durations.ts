// Durations on the command line for long-lived settings: `24h`, `30m`, `90s`, `500ms`, `7d`, `0`.
// Same grammar as bench's --duration (a bare number is seconds; see parseDuration there), plus h and d.
import { CliError } from './exit.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds for a duration string; null when it is not one (negative, unknown unit). */
export function parseLongDuration(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|min|h|d)?$/i.exec(text.trim());
  if (!m) return null;
  const ms = Math.round(Number(m[1]) * UNIT_MS[(m[2] ?? 's').toLowerCase()]!);
  return Number.isSafeInteger(ms) ? ms : null;
}

/** `1h`, `90 s`, `1.5 d`: the largest unit that states the value exactly (0 ms as `0`). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0';
  for (const [unit, n] of [['d', 86_400_000], ['h', 3_600_000], ['min', 60_000], ['s', 1000]] as const) {
    if (ms % n === 0) return `${ms / n} ${unit}`;
  }
  return ms >= 1000 ? `${(ms / 1000).toFixed(3).replace(/\.?0+$/, '')} s` : `${ms} ms`;
}

/** yargs `coerce` for a duration option: milliseconds, or a CliError naming the option. */
export function durationOption(option: string, opts: { min?: number } = {}): (value: unknown) => number {
  return (value: unknown) => {
    const ms = parseLongDuration(String(value));
    if (ms === null) throw new CliError(`--${option}: "${String(value)}" is not a duration (examples: 24h, 30m, 90s, 500ms, 0)`);
    if (opts.min !== undefined && ms < opts.min) throw new CliError(`--${option}: must be at least ${formatDuration(opts.min)}`);
    return ms;
  };
}
