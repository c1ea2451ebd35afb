// The output formats of a conformance report and where each goes: `table` to the console, the others
// to files in the report directory (written atomically), Markdown also to $GITHUB_STEP_SUMMARY.
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConformanceReport } from '../conformance/model.js';
import { writeFileAtomic } from './atomic-write.js';
import { renderConformanceHtml } from './conformance-html.js';
import { renderConformanceJUnit } from './conformance-junit.js';
import { renderConformanceMarkdown } from './conformance-markdown.js';

export const CONFORMANCE_FORMATS = ['table', 'json', 'junit', 'markdown', 'html'] as const;
export type ConformanceFormat = (typeof CONFORMANCE_FORMATS)[number];
export type FileFormat = Exclude<ConformanceFormat, 'table'>;

export function isConformanceFormat(s: string): s is ConformanceFormat {
  return (CONFORMANCE_FORMATS as readonly string[]).includes(s);
}

const FILES: Record<FileFormat, { name: string; render: (r: ConformanceReport) => string }> = {
  json: { name: 'conformance.json', render: renderConformanceJson },
  junit: { name: 'conformance.junit.xml', render: renderConformanceJUnit },
  markdown: { name: 'conformance.md', render: (r) => renderConformanceMarkdown(r) },
  html: { name: 'conformance.html', render: renderConformanceHtml },
};

export function renderConformanceJson(report: ConformanceReport): string {
  return JSON.stringify(report, null, 2) + '\n';
}

/** Writes the file formats among `formats` into `dir`; returns the paths written, in order. */
export async function writeConformanceFiles(report: ConformanceReport, dir: string, formats: readonly ConformanceFormat[]): Promise<string[]> {
  const written: string[] = [];
  for (const f of formats) {
    if (f === 'table') continue;
    const path = join(dir, FILES[f].name);
    await writeFileAtomic(path, FILES[f].render(report));
    written.push(path);
  }
  return written;
}

/** Appends the Markdown summary to the GitHub Actions job summary when the variable is set. */
export async function appendStepSummary(report: ConformanceReport, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const path = env.GITHUB_STEP_SUMMARY;
  if (!path) return undefined;
  await appendFile(path, renderConformanceMarkdown(report, { maxDetails: 50 }) + '\n');
  return path;
}
