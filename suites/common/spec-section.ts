// Requirements that cite the same section of the spec at the same level: the section and level are
// said once, each requirement is then just its text.
import type { Level, Requirement } from '../../src/conformance/model.js';

/** `cites('end-8b', 'MUST')('text')` is `{ ref: 'end-8b', level: 'MUST', text: 'text' }`. */
export function cites(ref: string, level: Level): (text: string) => Requirement {
  return (text) => ({ ref, level, text });
}
