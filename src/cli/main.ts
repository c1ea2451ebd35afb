// Entry point of the `regprobe` command: one yargs command module per command (src/cli/*-command.ts).
import { CliError, ExitCode, type ExitCodeValue } from './exit.js';
import { result } from './context.js';
import type { CommandModule } from 'yargs';
import { COMMAND_TEXT, type CommandName } from './command-text.js';
// The version comes from src/version.ts; commands import it from there, not from here (no import cycle).
import { VERSION } from '../version.js';

export async function main(argv: string[]): Promise<ExitCodeValue> {
  result.exitCode = ExitCode.ok;
  // Scripts ask for the version often: answered before the argument parser is even loaded.
  if (argv.length === 1 && argv[0] === '--version') {
    process.stdout.write(`${VERSION}\n`);
    return ExitCode.ok;
  }
  const { default: yargs } = await import('yargs');
  try {
    // Only the command being run is loaded (its modules take most of the start-up time); the others
    // are listed by name and description for --help and for yargs' "did you mean".
    const chosen = argv.find((a) => !a.startsWith('-')) as CommandName | undefined;
    // Shell completion asks about any command's options: then every command is loaded.
    const all = argv.includes('--get-yargs-completions');
    let y = yargs(argv).scriptName('regprobe');
    for (const name of Object.keys(COMMAND_TEXT) as CommandName[]) {
      y = all || name === chosen ? y.command(await loadCommand(name)) : y.command(COMMAND_TEXT[name].command, COMMAND_TEXT[name].describe);
    }
    await y
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

/** The command module of `name`, imported when that command runs. */
async function loadCommand(name: CommandName): Promise<CommandModule<object, never>> {
  const load: Record<CommandName, () => Promise<CommandModule<object, never>>> = {
    serve: async () => (await import('./serve-command.js')).serveCommand as unknown as CommandModule<object, never>,
    conformance: async () => (await import('./conformance-command.js')).conformanceCommand as unknown as CommandModule<object, never>,
    run: async () => (await import('./run-command.js')).runCommand as unknown as CommandModule<object, never>,
    merge: async () => (await import('./merge-command.js')).mergeCommand as unknown as CommandModule<object, never>,
    compare: async () => (await import('./compare-command.js')).compareCommand as unknown as CommandModule<object, never>,
    bench: async () => (await import('./bench-command.js')).benchCommand as unknown as CommandModule<object, never>,
    gc: async () => (await import('./gc-command.js')).gcCommand as unknown as CommandModule<object, never>,
  };
  return load[name]();
}
