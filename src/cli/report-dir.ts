// The --report-dir check shared by conformance, bench and run (its own module so that `bench` does not
// load the conformance command and its suites).
import { access, constants, mkdir, stat } from 'node:fs/promises';
import { CliError } from './exit.js';

/** Fails early, before anything is run, when the report directory cannot be written. */
export async function ensureReportDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    if (!(await stat(dir)).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    await access(dir, constants.W_OK);
  } catch (err) {
    const code = (err as { code?: string }).code;
    const why = code === 'ENOTDIR' || code === 'EEXIST' ? 'a file is in the way' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (err as Error).message;
    throw new CliError(`--report-dir ${dir} cannot be used: ${why}`);
  }
}
