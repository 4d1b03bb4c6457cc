/** The console's script walk over the default decision tree (pure: no store, no server). */
import { describe, expect, it } from 'vitest';
import { DEFAULT_SCRIPT, type ScriptTree } from '../../src/campaigns/schema-desk.js';
import { answer, back, newWalk, parseWalk, walkState } from '../../src/console/walk.js';
import { InvitoError } from '../../src/core/errors.js';

const tree = DEFAULT_SCRIPT as unknown as ScriptTree;
const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (e) {
    return e instanceof InvitoError ? e.code : 'not an InvitoError';
  }
  return undefined;
};

describe('script walk', () => {
  it('follows the answers to an outcome and collects node → answer for the desk', () => {
    let w = newWalk('t1');
    w = answer(tree, w, 'identity', 'yes');
    w = answer(tree, w, 'vaccinated', 'no');
    expect(walkState(tree, w)).toMatchObject({ nodeId: 'offer', outcome: null, triage: false });
    w = answer(tree, w, 'offer', 'other_day');
    expect(walkState(tree, w)).toMatchObject({ nodeId: null, outcome: 'other_slot', answers: { identity: 'yes', vaccinated: 'no', offer: 'other_day' } });
  });

  it('an answer that flags a health worker marks the walk for triage', () => {
    let w = newWalk('t1');
    for (const [n, a] of [['identity', 'yes'], ['vaccinated', 'no'], ['offer', 'worried']] as const) w = answer(tree, w, n, a);
    expect(walkState(tree, w)).toMatchObject({ nodeId: 'worries', triage: true });
  });

  it('answering an earlier question again replaces that answer and drops what followed', () => {
    let w = newWalk('t1');
    for (const [n, a] of [['identity', 'yes'], ['vaccinated', 'no'], ['offer', 'yes']] as const) w = answer(tree, w, n, a);
    w = answer(tree, w, 'identity', 'wrong');
    expect(walkState(tree, w)).toMatchObject({ nodeId: null, outcome: 'wrong_number', answers: { identity: 'wrong' } });
    expect(walkState(tree, back(w))).toMatchObject({ nodeId: 'identity', answers: {} });
  });

  it('an answer to a question not being asked, or one the question does not have, is refused (USAGE) and the walk is unchanged', () => {
    const w = answer(tree, newWalk('t1'), 'identity', 'yes');
    expect(code(() => answer(tree, w, 'offer', 'yes'))).toBe('USAGE');
    expect(code(() => answer(tree, w, 'vaccinated', 'perhaps'))).toBe('USAGE');
    expect(walkState(tree, w).answers).toEqual({ identity: 'yes' });
  });

  it("steps that no longer fit the tree are dropped from the first that does not, and another task's walk starts afresh", () => {
    const stale = { taskId: 't1', steps: [{ node: 'identity', answer: 'yes' }, { node: 'vaccinated', answer: 'gone' }, { node: 'offer', answer: 'yes' }] };
    expect(walkState(tree, stale)).toMatchObject({ nodeId: 'vaccinated', answers: { identity: 'yes' } });
    expect(parseWalk(JSON.stringify(stale), 't2')).toEqual(newWalk('t2'));
    expect(parseWalk('{not json', 't1')).toEqual(newWalk('t1'));
  });
});
