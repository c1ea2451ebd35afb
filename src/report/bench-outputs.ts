// The output formats of a benchmark report and where each goes: `table` to the console, the others
// to files in the report directory (written atomically). Other renderers (html, csv, gab) register
// here as they arrive.
import { join } from 'node:path';
import type { BenchReport } from '../../bench/model.js';
import { writeFileAtomic } from './atomic-write.js';
import { renderBenchHtml } from './bench-html.js';
import { renderBenchCsv } from './bench-csv.js';
import { renderGabBigger, renderGabSmaller } from './bench-gab.js';

export const BENCH_FORMATS = ['table', 'json', 'html', 'csv', 'gab'] as const;
export type BenchFormat = (typeof BENCH_FORMATS)[number];
type FileFormat = Exclude<BenchFormat, 'table'>;

export function isBenchFormat(s: string): s is BenchFormat {
  return (BENCH_FORMATS as readonly string[]).includes(s);
}

export function renderBenchJson(report: BenchReport): string {
  return JSON.stringify(report, null, 2) + '\n';
}

// gab: github-action-benchmark takes one tool type per file, hence two files.
const FILES: Record<FileFormat, Array<{ name: string; render: (r: BenchReport) => string }>> = {
  json: [{ name: 'bench.json', render: renderBenchJson }],
  html: [{ name: 'bench.html', render: renderBenchHtml }],
  csv: [{ name: 'bench.csv', render: renderBenchCsv }],
  gab: [
    { name: 'bench.gab-smaller.json', render: renderGabSmaller },
    { name: 'bench.gab-bigger.json', render: renderGabBigger },
  ],
};

/** Writes the file formats among `formats` into `dir`; returns the paths written, in order. */
export async function writeBenchFiles(report: BenchReport, dir: string, formats: readonly BenchFormat[]): Promise<string[]> {
  const written: string[] = [];
  for (const f of formats) {
    if (f === 'table') continue;
    for (const file of FILES[f]) {
      const path = join(dir, file.name);
      await writeFileAtomic(path, file.render(report));
      written.push(path);
    }
  }
  return written;
}
