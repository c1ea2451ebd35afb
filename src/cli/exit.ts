// Exit codes (DESIGN.md): 0 all required passed / thresholds held; 1 a test failed or a threshold
// broke; 2 the run could not be done (bad arguments, unreachable registry, bad credentials).

export const ExitCode = { ok: 0, failed: 1, unusable: 2 } as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** A user's mistake or an unusable target: printed as one line, no stack trace, exit 2. */
export class CliError extends Error {
  readonly exitCode: ExitCodeValue;
  constructor(message: string, exitCode: ExitCodeValue = ExitCode.unusable) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}
