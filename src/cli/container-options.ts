// `--container IMAGE|PRESET` and its companions, shared by conformance, bench and run: the yargs
// options, and the arguments turned into a ContainerSpec (a mistake is a CliError: exit 2, one line).
import type { Argv, Options } from 'yargs';
import { ContainerSpecError, PRESET_NAMES, presets, resolveContainer, type ContainerSpec } from '../containers/presets.js';
import { CliError } from './exit.js';
import { VERSION } from '../version.js';

export interface ContainerArgs {
  url?: string;
  container?: string;
  containerPreset?: string;
  containerPort?: number;
  containerEnv?: string[];
  containerTimeout?: number;
}

export const CONTAINER_OPTIONS: Record<'container' | 'container-preset' | 'container-port' | 'container-env' | 'container-timeout', Options> = {
  container: {
    type: 'string',
    requiresArg: true,
    describe: `start the registry under test from this image (needs Docker; removed afterwards), or a preset: ${PRESET_NAMES.join(', ')}`,
  },
  'container-preset': {
    type: 'string',
    requiresArg: true,
    choices: [...PRESET_NAMES],
    describe: "apply a preset's port, environment and config to another image (e.g. your own build of distribution)",
  },
  'container-port': { type: 'number', requiresArg: true, describe: 'port the registry listens on inside the container (images without a preset need it)' },
  'container-env': { type: 'string', array: true, requiresArg: true, describe: 'environment variable KEY=VALUE for the container (repeatable; overrides the preset)' },
  'container-timeout': { type: 'number', default: 60, requiresArg: true, describe: 'seconds the containerized registry gets to answer GET /v2/ (image pull not counted)' },
};

/** Adds the container options under their own heading in --help. */
export function containerOptions<T>(y: Argv<T>): Argv<T> {
  const names = PRESET_NAMES.join(', ');
  return y
    .options(CONTAINER_OPTIONS)
    .group(Object.keys(CONTAINER_OPTIONS), 'Registry in a container (testcontainers):')
    .epilogue(
      `Presets for --container: ${presets(VERSION)
        .map((p) => `${p.name} = ${p.image} (port ${p.port})`)
        .join('; ')}. Other images need --container-port, or --container-preset ${names}.`,
    ) as Argv<T>;
}

/** The container to start, or undefined without --container; mistakes are CliErrors. */
export function containerSpecFrom(argv: ContainerArgs): ContainerSpec | undefined {
  // yargs turns a repeated option into an array.
  if (Array.isArray(argv.container)) {
    throw new CliError(`--container is given ${argv.container.length} times: test one registry per run, then put the reports side by side with regprobe compare A.json B.json`);
  }
  for (const [flag, v] of [['--container-preset', argv.containerPreset], ['--container-port', argv.containerPort], ['--container-timeout', argv.containerTimeout]] as const) {
    if (Array.isArray(v)) throw new CliError(`${flag} is given ${v.length} times: give it once`);
  }
  if (argv.container === undefined) {
    const stray = (
      [
        ['--container-preset', argv.containerPreset],
        ['--container-port', argv.containerPort],
        ['--container-env', argv.containerEnv],
      ] as const
    ).find(([, v]) => v !== undefined);
    if (stray) throw new CliError(`${stray[0]} goes with --container IMAGE`);
    return undefined;
  }
  if (argv.url !== undefined) throw new CliError(`give either a registry URL (${argv.url}) or --container ${argv.container}, not both`);
  try {
    return resolveContainer(
      {
        container: argv.container,
        ...(argv.containerPreset !== undefined ? { preset: argv.containerPreset } : {}),
        ...(argv.containerPort !== undefined ? { port: argv.containerPort } : {}),
        ...(argv.containerEnv !== undefined ? { env: argv.containerEnv.map(String) } : {}),
        startupTimeoutMs: Math.round((argv.containerTimeout ?? 60) * 1000),
      },
      VERSION,
    );
  } catch (err) {
    if (err instanceof ContainerSpecError) throw new CliError(err.message);
    throw err;
  }
}
