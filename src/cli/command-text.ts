// What each command is called and says in `regprobe --help`: kept apart from the command modules so
// that `regprobe --help` and `--version` load none of them (src/cli/main.ts loads only the command run).
export const COMMAND_TEXT = {
  serve: { command: 'serve', describe: 'run the bundled reference registry (OCI Distribution v1.1)' },
  conformance: { command: 'conformance [url]', describe: 'check a registry against the OCI distribution spec (no URL: the bundled reference registry)' },
  run: { command: 'run [url]', describe: 'the main job: conformance, then a short benchmark (no URL: the bundled reference registry)' },
  merge: { command: 'merge <out> <reports..>', describe: 'merge benchmark reports of the shards of one run (--shard i/N) into one, exactly' },
  compare: { command: 'compare <reports..>', describe: 'compare benchmark or conformance reports side by side (ratios against the first); thresholds -> exit code' },
  bench: { command: 'bench [url]', describe: 'load benchmarks: throughput, latency percentiles, errors (no URL: the bundled reference registry)' },
  gc: { command: 'gc', describe: "remove blobs no manifest references and expired upload sessions from a stopped reference registry's storage" },
} as const;

export type CommandName = keyof typeof COMMAND_TEXT;
