// What a suite's setup leaves in ctx.state for its cases, typed, read back with a clear error when setup
// did not run (the runner errors every case of a suite whose setup threw, so this is a bug, not a verdict).
import type { CaseContext } from '../../src/conformance/model.js';
import { loadExistingContent, type ExistingContent } from '../../src/conformance/existing-content.js';

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

/**
 * A suite setup that stores its fixtures in `state`: under --read-only taken from the content named by
 * --tag/--digest (`existing` may skip the suite when that content does not suit it), else pushed.
 */
export function fixturesSetup<T>(
  state: SetupState<T>,
  existing: (ctx: CaseContext, ex: ExistingContent) => T,
  push: (ctx: CaseContext) => Promise<T>,
): (ctx: CaseContext) => Promise<void> {
  return async (ctx) => {
    state.set(ctx, ctx.readOnly ? existing(ctx, await loadExistingContent(ctx)) : await push(ctx));
  };
}
