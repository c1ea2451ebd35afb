// `regprobe run [URL]`: the main job. Conformance, then a short benchmark, against one target (with no
// URL, one bundled reference registry serves both phases).
import type { CommandModule } from 'yargs';
import { conformanceOptions, conformancePhase, conformanceSettings, type ConformanceArgs } from './conformance-command.js';
import { ensureReportDir } from './report-dir.js';
import { setExitCode } from './context.js';
import { benchPhase } from './bench-command.js';
import { withTarget } from './target.js';
import { BENCH_OTEL_OPTIONS, withTelemetry } from './otel-option.js';
import { COMMAND_TEXT } from './command-text.js';

export const runCommand: CommandModule<object, ConformanceArgs> = {
  ...COMMAND_TEXT.run,
  builder: (y) => conformanceOptions(y).options(BENCH_OTEL_OPTIONS),
  handler: (argv) =>
    withTelemetry(argv, 'run', async () => {
      const s = conformanceSettings(argv);
      if (s.formats.some((f) => f !== 'table')) await ensureReportDir(s.reportDir);
      await withTarget(s.target, async (target) => {
        setExitCode(await conformancePhase(s, target));
        setExitCode(await benchPhase(argv, target));
      });
    }),
};
