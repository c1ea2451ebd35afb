import t from 'tap';
import { globMatcher, inSpec, selectCases, splitPatterns } from '../../src/conformance/selection.js';
import { levelOf, suiteProblems } from '../../src/conformance/suite-rules.js';
import { toNameComponent } from '../../src/conformance/context.js';
import { isValidName } from '../../src/oci/names.js';
import { SUITES } from '../../src/conformance/suites.js';
import type { CaseDefinition, Suite } from '../../src/conformance/model.js';

const run = async () => undefined;
const c = (id: string, extra: Partial<CaseDefinition> = {}): CaseDefinition => ({ id, title: id, requirements: [{ ref: 'end-1', level: 'MUST' }], run, ...extra });

t.test('id globs', async (t) => {
  const m = (p: string, id: string) => globMatcher(p)(id);
  t.ok(m('push.*', 'push.chunked.out-of-order-416'), '* crosses dots');
  t.ok(m('push', 'push.blob.x'), 'a bare prefix selects the workflow');
  t.ok(m('push.blob', 'push.blob.x'), 'and a group');
  t.notOk(m('push', 'pushy.blob.x'), 'only whole segments');
  t.notOk(m('push.blob', 'push.blobs.x'));
  t.ok(m('*.by-tag', 'pull.manifest.by-tag'));
  t.ok(m('pull.?lob.get', 'pull.blob.get'));
  t.notOk(m('pull.blob.get', 'pull.blob.gets'));
  t.notOk(m('pull.b.b', 'pullxbxb'), 'dots are literal');
  t.notOk(m('(a|b)', 'a'), 'regex syntax is literal');
});

t.test('flag values: repeatable and comma lists', async (t) => {
  t.same(splitPatterns(['push.*,pull', ' ranges ', '', 'a,,b']), ['push.*', 'pull', 'ranges', 'a', 'b']);
  t.same(splitPatterns(undefined), []);
  t.same(splitPatterns('x,y'), ['x', 'y']);
});

t.test('spec versions', async (t) => {
  t.ok(inSpec(undefined, '1.0'));
  t.ok(inSpec('1.0', '1.1'));
  t.ok(inSpec('1.1', 'draft'));
  t.notOk(inSpec('1.1', '1.0'));
  t.notOk(inSpec('draft', '1.1'));
});

t.test('selection: reasons, precedence, dependencies', async (t) => {
  const suites: Suite[] = [
    {
      workflow: 'a',
      title: 'A',
      cases: [c('a.x.base', { readOnly: true }), c('a.x.dep', { dependsOn: ['a.x.base'], readOnly: true }), c('a.x.write'), c('a.x.draft', { since: 'draft' })],
    },
    { workflow: 'b', title: 'B', cases: [c('b.x.one', { dependsOn: ['a.x.write'] })] },
  ];
  const sel = (o: Partial<Parameters<typeof selectCases>[1]>) => selectCases(suites, { only: [], skip: [], spec: '1.1', readOnly: false, ...o });
  t.same([...sel({}).excluded], [['a.x.draft', { kind: 'spec-version', reason: 'specified from draft on; this run checks spec 1.1' }]]);
  t.same([...sel({ spec: 'draft' }).excluded], []);
  t.same([...sel({ readOnly: true, spec: 'draft' }).excluded.keys()], ['a.x.write', 'a.x.draft', 'b.x.one']);
  t.equal(sel({ readOnly: true }).excluded.get('a.x.write')!.kind, 'read-only');

  const only = sel({ only: ['b'] });
  t.same([...only.excluded.keys()].sort(), ['a.x.base', 'a.x.dep', 'a.x.draft'], '--only b keeps b.x.one and what it depends on');
  t.equal(only.excluded.get('a.x.base')!.reason, 'not selected by --only');
  const both = sel({ only: ['a.x.dep'], skip: ['a.x.base'] });
  t.same(both.excluded.get('a.x.base'), { kind: 'disabled', reason: 'disabled by --skip a.x.base' }, '--skip wins over --only and over pulled-in dependencies');
  t.equal(both.excluded.has('a.x.dep'), false);
  t.same(sel({ only: ['nothing.*', 'a'], skip: ['zz'] }).unmatched, ['nothing.*', 'zz'], 'patterns matching no case are reported');
  t.equal(sel({ skip: ['a.x.draft'] }).excluded.get('a.x.draft')!.kind, 'disabled', 'disabled wins over spec-version');
});

t.test('levels and names', async (t) => {
  t.equal(levelOf([{ level: 'MAY' }, { level: 'MUST' }, { level: 'SHOULD' }]), 'MUST');
  t.equal(levelOf([{ level: 'MAY' }, { level: 'SHOULD' }]), 'SHOULD');
  t.equal(levelOf([{ level: 'MAY' }]), 'MAY');
  for (const [label, want] of [['Chunked Upload', 'chunked-upload'], ['__x__', 'x'], ['!!!', 'x'], ['a.b/c', 'a-b-c']]) {
    t.equal(toNameComponent(label), want);
    t.ok(isValidName(`ns/r1/${toNameComponent(label)}`), `${label}: valid in a repository name`);
  }
});

t.test('the registered suites follow the rules', async (t) => {
  t.same(suiteProblems(SUITES), [], 'unique dotted ids under their workflow, titles, requirements, dependencies registered earlier');
  const order = ['pull', 'push', 'chunked-upload', 'cross-mount', 'tag-listing', 'discovery', 'management', 'referrers', 'ranges', 'errors', 'auth', 'clients'];
  const registered = SUITES.map((s) => s.workflow);
  t.same(registered, order.filter((w) => registered.includes(w)), 'in the fixed workflow order');
  t.ok(registered.every((w) => order.includes(w)), 'no unknown workflow');
});
