// Entry point of the `regprobe` command: one yargs command module per command (src/cli/*-command.ts).
import yargs from 'yargs';
import { CliError, ExitCode, type ExitCodeValue } from './exit.js';
import { result } from './context.js';
// command modules (one import + one .command() line each)
import { serveCommand } from './serve-command.js';
import { conformanceCommand } from './conformance-command.js';
import { runCommand } from './run-command.js';
import { mergeCommand } from './merge-command.js';
import { compareCommand } from './compare-command.js';
import { benchCommand } from './bench-command.js';
import { gcCommand } from './gc-command.js';
// The version comes from src/version.ts; commands import it from there, not from here (no import cycle).
import { VERSION } from '../version.js';

export async function main(argv: string[]): Promise<ExitCodeValue> {
  result.exitCode = ExitCode.ok;
  try {
    await yargs(argv)
      .scriptName('regprobe')
      .command(serveCommand)
      .command(conformanceCommand)
      .command(runCommand)
      .command(mergeCommand)
      .command(compareCommand)
      .command(benchCommand)
      .command(gcCommand)
      .usage('$0 <command> [options]\n\nConformance tests, benchmarks and a reference registry for OCI registries.')
      .demandCommand(1, 'name a command (see --help)')
      .recommendCommands()
      .strict()
      .version(VERSION)
      .completion('completion', 'print a bash/zsh completion script (e.g. regprobe completion >> ~/.bashrc)')
      .alias('h', 'help')
      .wrap(Math.min(110, process.stdout.columns || 100))
      .fail((msg, err) => {
        // Handler errors pass through; yargs' own (YError, e.g. a throwing `coerce`) are usage errors.
        if (err && err.name !== 'YError') throw err;
        // Throwing stops yargs (a handler must never run on arguments that failed validation);
        // one line plus a hint, no help dump.
        throw new CliError(`${(msg || err?.message || 'invalid arguments').replace(/\s*\n\s*/g, ' ')} (try --help)`);
      })
      .parseAsync();
  } catch (err) {
    if (err instanceof CliError) {
      process.stderr.write(`regprobe: ${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  }
  return result.exitCode;
}
