// What it takes to run the registries people compare against in a container: the image, the port
// the registry listens on inside, and the settings the conformance suite and benchmarks need
// (deletion on, garbage collection off). Pure data and resolution; starting is registry-container.ts.

export const PRESET_NAMES = ['distribution', 'zot', 'regprobe'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

export interface ContainerFile {
  /** Absolute path inside the container. */
  path: string;
  content: string;
}

export interface RegistryPreset {
  name: PresetName;
  /** Image started for `--container NAME`. */
  image: string;
  description: string;
  /** Port the registry listens on inside the container. */
  port: number;
  env: Record<string, string>;
  /** Replaces the image's CMD (its ENTRYPOINT stays), given the port the registry is to listen on. */
  command?: (port: number) => string[];
  files: ContainerFile[];
  /** Image repositories (normalized, see imageRepository()) that get this preset without --container-preset. */
  repositories: string[];
}

/** What to start: everything the container module needs, already checked. */
export interface ContainerSpec {
  image: string;
  /** The preset applied, if any. */
  preset?: PresetName;
  port: number;
  env: Record<string, string>;
  command?: string[];
  files: ContainerFile[];
  /** Milliseconds the registry gets to answer /v2/ once its container runs. */
  startupTimeoutMs: number;
}

// zot runs with its default settings except garbage collection: the suite and the benchmarks push
// untagged manifests and blobs and read them back later, which a collector may remove first.
const ZOT_CONFIG = {
  distSpecVersion: '1.1.1',
  storage: { rootDirectory: '/var/lib/registry', gc: false, dedupe: false },
  http: { address: '0.0.0.0', port: '5000' },
  log: { level: 'info' },
};

function zotArch(): string {
  return process.arch === 'arm64' ? 'arm64' : 'amd64';
}

export function presets(version: string): RegistryPreset[] {
  return [
    {
      name: 'distribution',
      image: 'registry:3',
      description: 'CNCF distribution (the registry:2 / registry:3 images), deletion enabled',
      port: 5000,
      // The image's config leaves deletion off; the suite's management cases and the benchmarks' cleanup need it.
      env: { REGISTRY_STORAGE_DELETE_ENABLED: 'true' },
      files: [],
      repositories: ['registry', 'distribution/distribution', 'ghcr.io/distribution/distribution'],
    },
    {
      name: 'zot',
      image: `ghcr.io/project-zot/zot-linux-${zotArch()}:latest`,
      description: 'zot, with a config that turns garbage collection off',
      port: 5000,
      env: {},
      // The image's CMD is `serve /etc/zot/config.json`; the preset's config replaces that file.
      files: [{ path: '/etc/zot/config.json', content: JSON.stringify(ZOT_CONFIG, null, 2) + '\n' }],
      repositories: [
        'ghcr.io/project-zot/zot',
        'ghcr.io/project-zot/zot-linux-amd64',
        'ghcr.io/project-zot/zot-linux-arm64',
        'ghcr.io/project-zot/zot-minimal-linux-amd64',
        'ghcr.io/project-zot/zot-minimal-linux-arm64',
        'project-zot/zot',
      ],
    },
    {
      name: 'regprobe',
      // An image whose entrypoint is `regprobe`: the repository's Dockerfile (docker build -t regprobe:VERSION .).
      image: `regprobe:${version}`,
      description: "regprobe's own reference registry (`regprobe serve` in an image whose entrypoint is regprobe)",
      port: 5000,
      env: {},
      command: (port) => ['serve', '--host', '0.0.0.0', '--port', String(port)],
      files: [],
      repositories: ['regprobe'],
    },
  ];
}

/**
 * The repository part of an image reference, for matching: no tag, no digest, no `docker.io/` or
 * `library/` prefix. `docker.io/library/registry:2@sha256:...` -> `registry`.
 */
export function imageRepository(image: string): string {
  let ref = image.trim().toLowerCase();
  const at = ref.indexOf('@');
  if (at >= 0) ref = ref.slice(0, at);
  const colon = ref.lastIndexOf(':');
  if (colon > ref.lastIndexOf('/')) ref = ref.slice(0, colon);
  for (const prefix of ['docker.io/', 'index.docker.io/', 'registry-1.docker.io/']) if (ref.startsWith(prefix)) ref = ref.slice(prefix.length);
  if (ref.startsWith('library/')) ref = ref.slice('library/'.length);
  return ref;
}

// A Docker image reference, loosely: [host[:port]/]path[:tag][@algo:hex]. Docker itself has the final word.
const IMAGE_REF = /^(?:[a-z0-9.-]+(?::\d+)?\/)?[a-z0-9]+(?:[._-]+[a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-]+[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@[a-z0-9]+:[a-f0-9]{32,})?$/;

export function isImageReference(s: string): boolean {
  return IMAGE_REF.test(s);
}

export class ContainerSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContainerSpecError';
  }
}

export interface ContainerRequest {
  /** A preset name or an image reference. */
  container: string;
  /** Apply this preset's settings to another image. */
  preset?: string;
  port?: number;
  /** KEY=VALUE, added to (and overriding) the preset's environment. */
  env?: string[];
  startupTimeoutMs: number;
}

/** Turns what the user asked for into a spec; a mistake is a ContainerSpecError with one line. */
export function resolveContainer(req: ContainerRequest, version: string): ContainerSpec {
  const table = presets(version);
  const names = PRESET_NAMES.join(', ');
  const value = req.container.trim();
  if (value === '') throw new ContainerSpecError(`--container needs an image (e.g. registry:3) or a preset name (${names})`);
  if (req.preset !== undefined && !(PRESET_NAMES as readonly string[]).includes(req.preset)) {
    throw new ContainerSpecError(`unknown --container-preset ${req.preset} (choose from ${names})`);
  }
  const byName = table.find((p) => p.name === value);
  if (!byName && !isImageReference(value)) {
    throw new ContainerSpecError(`--container ${value} is neither a preset (${names}) nor an image reference like registry:3 or ghcr.io/org/name:tag`);
  }
  const image = byName ? byName.image : value;
  const repo = imageRepository(image);
  const preset = req.preset !== undefined ? table.find((p) => p.name === req.preset) : (byName ?? table.find((p) => p.repositories.includes(repo)));
  if (req.port !== undefined && !(Number.isInteger(req.port) && req.port >= 1 && req.port <= 65535)) {
    throw new ContainerSpecError(`--container-port must be a TCP port 1..65535, got ${req.port}`);
  }
  const port = req.port ?? preset?.port;
  if (port === undefined) {
    throw new ContainerSpecError(
      `no preset knows the image ${image}: give --container-port (the port its registry listens on inside the container), or --container-preset ${names}`,
    );
  }
  const env: Record<string, string> = { ...(preset?.env ?? {}) };
  for (const kv of req.env ?? []) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new ContainerSpecError(`--container-env takes KEY=VALUE, got ${kv}`);
    env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  if (!(Number.isFinite(req.startupTimeoutMs) && req.startupTimeoutMs > 0)) {
    throw new ContainerSpecError(`--container-timeout must be a number of seconds above 0, got ${req.startupTimeoutMs / 1000}`);
  }
  return {
    image,
    ...(preset ? { preset: preset.name } : {}),
    port,
    env,
    ...(preset?.command ? { command: preset.command(port) } : {}),
    files: preset?.files ?? [],
    startupTimeoutMs: req.startupTimeoutMs,
  };
}
