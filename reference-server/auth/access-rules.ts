// Access rules (`--access FILE`): who may do what on which repository or registry resource.
//   {"rules":[{"account":"alice","repository":"team/*","actions":["pull","push"]},
//             {"account":"*","repository":"public/*","actions":["pull"]},
//             {"account":"alice","type":"registry","name":"catalog","actions":["*"]}]}
// `account` and `repository`/`name` are globs: `*` matches any run of characters (`/` included),
// `?` one character. Account `*` also matches the anonymous client (account ""). Action `*` grants
// every action. What a client gets is the union of the rules that match it.
import { readFile } from 'node:fs/promises';

export interface AccessRule {
  account: string;
  type: string;
  name: string;
  actions: string[];
}

export class AccessRulesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AccessRulesError';
  }
}

const ACTIONS = new Set(['pull', 'push', 'delete', '*']);

export function parseAccessRules(text: string, file = 'access rules'): AccessRule[] {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new AccessRulesError(`${file} is not valid JSON`);
  }
  const rules = (v as { rules?: unknown })?.rules;
  if (!Array.isArray(rules)) throw new AccessRulesError(`${file}: expected {"rules":[...]}`);
  return rules.map((r, i) => {
    const at = `${file}: rule ${i + 1}`;
    if (!r || typeof r !== 'object') throw new AccessRulesError(`${at} is not an object`);
    const o = r as Record<string, unknown>;
    if (typeof o.account !== 'string') throw new AccessRulesError(`${at}: "account" must be a string ("*" for everyone, anonymous included)`);
    const type = o.type === undefined ? 'repository' : o.type;
    if (type !== 'repository' && type !== 'registry') throw new AccessRulesError(`${at}: "type" must be "repository" or "registry"`);
    const name = type === 'repository' ? (o.repository ?? o.name) : o.name;
    if (typeof name !== 'string' || !name) throw new AccessRulesError(`${at}: ${type === 'repository' ? '"repository"' : '"name"'} must be a non-empty string`);
    if (!Array.isArray(o.actions) || !o.actions.every((a) => typeof a === 'string')) throw new AccessRulesError(`${at}: "actions" must be a list of strings`);
    const bad = (o.actions as string[]).find((a) => !ACTIONS.has(a));
    if (bad !== undefined) throw new AccessRulesError(`${at}: unknown action ${JSON.stringify(bad)} (pull, push, delete or *)`);
    return { account: o.account, type, name, actions: o.actions as string[] };
  });
}

export async function loadAccessRules(file: string): Promise<AccessRule[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new AccessRulesError(`--access ${file}: ${(err as NodeJS.ErrnoException).code ?? 'cannot be read'}`);
  }
  return parseAccessRules(text, file);
}

function globRegExp(glob: string): RegExp {
  const src = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${src}$`, 's');
}

/** The policy: which actions an account (or "" for anonymous) has on a resource. */
export class AccessPolicy {
  private readonly compiled: Array<AccessRule & { accountRe: RegExp; nameRe: RegExp }>;

  /** `rules` undefined: every authenticated account may do everything, anonymous nothing. */
  constructor(readonly rules?: AccessRule[]) {
    this.compiled = (rules ?? []).map((r) => ({ ...r, accountRe: globRegExp(r.account), nameRe: globRegExp(r.name) }));
  }

  allowed(account: string, type: string, name: string): Set<string> {
    if (!this.rules) return account ? new Set(['*']) : new Set();
    const out = new Set<string>();
    const baseType = type.replace(/\(.*\)$/, ''); // resource class is ignored (scope.md)
    for (const r of this.compiled) {
      if (r.type === baseType && r.accountRe.test(account) && r.nameRe.test(name)) for (const a of r.actions) out.add(a);
    }
    return out;
  }

  /** The intersection of requested and allowed actions (token.md: a subset is not an error). */
  grant(account: string, type: string, name: string, requested: readonly string[]): string[] {
    const allowed = this.allowed(account, type, name);
    if (allowed.has('*')) return [...new Set(requested)];
    return [...new Set(requested.filter((a) => a !== '*' && allowed.has(a)))];
  }
}
