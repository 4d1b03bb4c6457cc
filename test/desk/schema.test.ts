/** The campaign's `calls` keys: defaults, and a decision tree that cannot lead nowhere. */
import { describe, expect, it } from 'vitest';
import { InvitoError } from '../../src/core/errors.js';
import { callCampaign } from './support.js';

const issues = (extra: string): string[] => {
  try {
    callCampaign('bad', extra);
  } catch (e) {
    if (e instanceof InvitoError) return e.issues.map((i) => `${i.where}: ${i.message}`);
    throw e;
  }
  return [];
};

describe('calls configuration', () => {
  it('a campaign without calls gets every default, the default script included', () => {
    const c = callCampaign('plain').calls;
    expect(c).toMatchObject({ lease_minutes: 10, calls_per_hour: 10, hopper_hours: 1, shift_idle_minutes: 30, priority: 1, callback_max_days: 14 });
    expect(c.recycle).toEqual({ no_answer: { after_minutes: 120, max_attempts: 4 }, busy: { after_minutes: 15, max_attempts: 6 }, voicemail: { after_minutes: 240, max_attempts: 3 } });
    expect(c.script.start).toBe('identity');
    expect(c.script.nodes.offer!.answers.find((a) => a.id === 'worried')?.triage).toBe(true);
  });

  it('a recycling rule left out keeps its default', () => {
    const c = callCampaign('one', 'calls: { recycle: { busy: { after_minutes: 5, max_attempts: 2 } } }').calls;
    expect(c.recycle.busy).toEqual({ after_minutes: 5, max_attempts: 2 });
    expect(c.recycle.no_answer).toEqual({ after_minutes: 120, max_attempts: 4 });
  });

  it("the README's example script is valid", () => {
    const c = callCampaign(
      'readme',
      `calls:
  script:
    start: identity
    nodes:
      identity:
        question: Am I speaking with the citizen?
        answers:
          - { id: yes, label: "Yes", next: offer }
          - { id: wrong, label: "Wrong number", outcome: wrong_number }
      offer:
        question: Is the appointment convenient?
        answers:
          - { id: yes, label: "Yes", outcome: booked }
          - { id: other, label: "Another day", outcome: other_slot }
          - { id: worried, label: "Worried: a health worker calls back", outcome: callback, triage: true }
          - { id: no, label: "No", outcome: declined }`,
    ).calls;
    expect(Object.keys(c.script.nodes)).toEqual(['identity', 'offer']);
  });

  it('a tree whose start or next names no question is CAMPAIGN_INVALID with the place', () => {
    const found = issues(`calls:
  script:
    start: hello
    nodes:
      ask:
        question: Q?
        answers:
          - { id: a, label: A, next: nowhere }
          - { id: b, label: B, outcome: booked }`);
    expect(found).toHaveLength(2);
    expect(found[0]).toMatch(/^bad\.yaml:\d+:\d+: .*start.*names no node/);
    expect(found[1]).toMatch(/^bad\.yaml:\d+:\d+: .*names no node "nowhere"/);
  });

  it('an answer with both or neither of next and outcome, or an unknown outcome, is CAMPAIGN_INVALID with the place', () => {
    const found = issues(`calls:
  script:
    start: ask
    nodes:
      ask:
        question: Q?
        answers:
          - { id: b, label: B }
          - { id: c, label: C, next: ask, outcome: booked }
          - { id: d, label: D, outcome: maybe }`);
    expect(found.filter((f) => /exactly one of "next" or "outcome"/.test(f))).toHaveLength(2);
    expect(found.join('\n')).toMatch(/must be one of booked/);
    expect(found.every((f) => /^bad\.yaml:\d+:\d+: /.test(f))).toBe(true);
  });

  it('a misspelt calls key is an error', () => {
    expect(issues('calls: { lease_minute: 5 }').join('\n')).toMatch(/lease_minute/);
  });
});
