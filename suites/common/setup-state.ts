// What a suite's setup leaves in ctx.state for its cases, typed, read back with a clear error when setup
// did not run (the runner errors every case of a suite whose setup threw, so this is a bug, not a verdict).
import type { CaseContext } from '../../src/conformance/model.js';

export interface SetupState<T> {
  get(ctx: CaseContext): T;
  set(ctx: CaseContext, value: T): void;
}

/** The state under `key`; `what` names it in the error (`pull fixtures` -> "pull fixtures missing: ..."). */
export function setupState<T>(key: string, what: string): SetupState<T> {
  return {
    get(ctx) {
      const value = ctx.state.get(key) as T | undefined;
      if (value === undefined) throw new Error(`${what} missing: suite setup did not run`);
      return value;
    },
    set(ctx, value) {
      ctx.state.set(key, value);
    },
  };
}
