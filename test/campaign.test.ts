import { describe, expect, it } from 'vitest';
import { parseCampaign } from '../src/campaigns/load.js';
import { issuesOf } from './support/campaigns.js';

const VALID = `id: over80-dose1
name: "COVID-19 — prima dose, over 80"
timezone: Europe/Rome
reference_date: 2021-03-01
priority_groups:
  - { code: HCW, rank: 1 }
cohort:
  age: { min: 80 }
  priority_groups: { include: [HCW], exclude: [] }
steps:
  - id: invite
    channels: [sms, email, call]
    template: invite
pacing:
  daily_target: 110000
`;


describe('campaign definitions', () => {
  it('a valid file parses, with defaults for the optional keys', () => {
    const { campaign } = parseCampaign(VALID, 'c.yaml');
    expect(campaign).toMatchObject({ id: 'over80-dose1', language: 'it', reference_date: '2021-03-01', sms: { max_segments: 3, transliterate: true } });
    expect(campaign.steps[0]!.channels).toEqual(['sms', 'email', 'call']);
  });

  it('a misspelt key is an error at its line and column, never silently ignored', () => {
    const text = VALID.replace('  age: { min: 80 }', '  age: { min: 80 }\n  regoins: [LAZ]');
    expect(issuesOf(text)).toEqual([{ where: 'c.yaml:9:3', message: 'unknown key "cohort.regoins" — did you mean "regions"?' }]);
  });

  it('a value of the wrong type is an error at the value', () => {
    const text = VALID.replace('daily_target: 110000', 'daily_target: lots');
    const issues = issuesOf(text);
    expect(issues).toHaveLength(1);
    expect(issues[0]!.where).toBe('c.yaml:15:17');
    expect(issues[0]!.message).toMatch(/^pacing\.daily_target: "lots" must be a whole number/);
  });

  it('an unknown step channel is an error that lists the channels', () => {
    const issues = issuesOf(VALID.replace('[sms, email, call]', '[sms, fax]'));
    expect(issues).toEqual([{ where: 'c.yaml:12:21', message: 'steps[0].channels[1]: "fax" is not a channel (sms, email, voice, call, whatsapp)' }]);
  });

  it('reports every error at once, in file order', () => {
    const text = VALID.replace('timezone: Europe/Rome', 'timezone: Europe/Roma').replace('2021-03-01', '2021-02-30').replace('rank: 1', 'rank: 0');
    const issues = issuesOf(text);
    expect(issues.map((i) => i.where)).toEqual(['c.yaml:3:11', 'c.yaml:4:17', 'c.yaml:6:24']);
    expect(issues.map((i) => i.message)).toEqual([
      'timezone: "Europe/Roma" is not an IANA time zone such as Europe/Rome',
      'reference_date: "2021-02-30" is not a real calendar date',
      'priority_groups[0].rank: 0 must be 1 or more (1 goes first)',
    ]);
  });

  it('a missing required key is named', () => {
    const issues = issuesOf(VALID.replace(/pacing:\n {2}daily_target: 110000\n/, ''));
    expect(issues.map((i) => i.message)).toEqual(['pacing is required']);
  });

  it('broken YAML is reported with its position', () => {
    const issues = issuesOf('id: x\nname: [unclosed\n');
    expect(issues.length).toBeGreaterThan(0);
    expect(issues[0]!.where).toMatch(/^c\.yaml:\d+:\d+$/);
  });

  it('a holiday calendar date-holidays does not know is an error at the value; a real subdivision is fine', () => {
    const bad = issuesOf(VALID + 'holidays: IT-BZ\n');
    expect(bad).toHaveLength(1);
    expect(bad[0]!.where).toMatch(/^c\.yaml:\d+:11$/);
    expect(bad[0]!.message).toContain('date-holidays');
    expect(issuesOf(VALID + 'holidays: IT-32\n')).toEqual([]);
    expect(issuesOf(VALID + 'holidays: none\n')).toEqual([]);
  });

  it('a min age above the max age is an error', () => {
    const issues = issuesOf(VALID.replace('age: { min: 80 }', 'age: { min: 80, max: 70 }'));
    expect(issues.map((i) => i.message)).toEqual(['cohort.age min must not be greater than max']);
  });
});
