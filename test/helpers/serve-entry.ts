// `regprobe serve` minus the argument parser, for tests that start many server processes (the crash
// test): same serve(), signals and status lines, without loading every other CLI command's modules.
// Usage: node --import tsx test/helpers/serve-entry.ts STORAGE_DIR|- [human|json|none]   (- = temporary storage)
import { serve } from '../../src/cli/serve-command.js';

const [storage, format = 'none'] = process.argv.slice(2);
if (!storage || (format !== 'human' && format !== 'json' && format !== 'none')) {
  process.stderr.write('usage: serve-entry.ts STORAGE_DIR|- [human|json|none]\n');
  process.exitCode = 2;
} else {
  await serve({
    host: '127.0.0.1',
    port: 0,
    storage: storage === '-' ? undefined : storage,
    delete: true,
    'automatic-mount': true,
    'max-manifest-size': 4 * 1024 * 1024,
    'log-format': format,
    'shutdown-timeout': 10,
  });
}
