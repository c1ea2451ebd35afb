// What a command handler hands back to main(): the exit code. Handlers never call process.exit,
// so that in-process callers (tests, `regprobe run`) get the code and the process drains cleanly.
import type { ExitCodeValue } from './exit.js';

export interface CommandResult {
  exitCode: ExitCodeValue;
}

export const result: CommandResult = { exitCode: 0 };

export function setExitCode(code: ExitCodeValue): void {
  // The worst code wins when a command runs several phases.
  if (code > result.exitCode) result.exitCode = code;
}
