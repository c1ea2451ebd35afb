// Runs the CLI from source (`node --import tsx src/cli/run-main.ts serve ...`), as tests and
// developers do without a build; bin/regprobe.js does the same for the compiled dist/.
import { main } from './main.js';

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
