import t from 'tap';
import { formatSize, parseSize, sizeOption } from '../../src/cli/sizes.js';
import { CliError } from '../../src/cli/exit.js';

t.test('parseSize: binary and decimal units, plain bytes', async (t) => {
  const cases: [string, number][] = [
    ['0', 0], ['4194304', 4194304], ['4MiB', 4 * 1024 * 1024], ['512KiB', 512 * 1024], ['512kib', 512 * 1024],
    ['1.5GiB', 1.5 * 1024 ** 3], ['10M', 10 * 1024 * 1024], ['1k', 1024], ['1MB', 1_000_000], ['2 GB', 2e9],
    ['7b', 7], ['1TiB', 1024 ** 4], [' 3KiB ', 3072],
  ];
  for (const [text, bytes] of cases) t.equal(parseSize(text), bytes, text);
});

t.test('parseSize: not sizes', async (t) => {
  for (const text of ['', '-1', '4XB', 'MiB', '1.3', '0.5b', '4 MiB extra', '1e6', 'NaN', '9999999999TiB']) t.equal(parseSize(text), null, JSON.stringify(text));
});

t.test('sizeOption: coerce for yargs, errors name the option', async (t) => {
  const coerce = sizeOption('max-manifest-size', { min: 1024 });
  t.equal(coerce('4MiB'), 4 * 1024 * 1024);
  t.equal(coerce(2048), 2048, 'numbers pass through');
  t.throws(() => coerce('lots'), new CliError('--max-manifest-size: "lots" is not a size (examples: 4MiB, 512KiB, 1048576)'));
  t.throws(() => coerce('12'), new CliError('--max-manifest-size: must be at least 1 KiB'));
  t.throws(() => coerce(1.5), CliError, 'fractional byte counts refused');
});

t.test('formatSize', async (t) => {
  t.equal(formatSize(4 * 1024 * 1024), '4 MiB');
  t.equal(formatSize(1024), '1 KiB');
  t.equal(formatSize(1536), '1536 bytes');
  t.equal(formatSize(0), '0 bytes');
});
