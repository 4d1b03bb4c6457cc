/**
 * WhatsApp as a channel (issue 13, item 4), end to end through the sandbox: the worker sends
 * each step's approved content template through the twilio SDK to `whatsapp:` addresses, only
 * to citizens who consented; the sandbox's signed callbacks bring delivery and read receipts;
 * a quick-reply button tapped by the citizen comes back as a signed inbound webhook and acts
 * like the SMS word, answered by WhatsApp. Both dialects.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { checkCampaign } from '../../src/campaigns/check.js';
import { parseCampaign } from '../../src/campaigns/load.js';
import { templateLibrary } from '../../src/campaigns/messages.js';
import { isInvitoError } from '../../src/core/errors.js';
import { reaches } from '../../src/core/reach.js';
import { FEEDBACK_PATHS } from '../../src/feedback/webhooks.js';
import type { RunningHttpServer } from '../../src/http/server.js';
import { validateCitizen } from '../../src/registry/citizens.js';
import type { CitizenRecord } from '../../src/registry/store.js';
import { type Sandbox, sendInboundMessage } from '../../src/sandbox/index.js';
import { CENTER, citizens, until } from '../support/dispatch.js';
import { feedbackRig, send } from '../support/feedback.js';
import { DIALECTS, type TestStore } from '../support/stores.js';

const SID_IT = `HX${'a'.repeat(32)}`;
const SID_DE = `HX${'d'.repeat(32)}`;

const yaml = (id: string, whatsapp = `{ content_sid: { it: ${SID_IT}, de: ${SID_DE} } }`) => `id: ${id}
name: Prima dose
reference_date: 2021-03-01
cohort: { age: { min: 60 } }
sender: ASL Roma 1
steps:
  - id: invite
    channels: [whatsapp, sms]
    template: invite
    whatsapp: ${whatsapp}
pacing: { daily_target: 100000 }
windows: { sms: daily 00:00-24:00, whatsapp: daily 00:00-24:00 }
holidays: none
sms: { max_segments: 6 }
`;
const campaign = (id: string, whatsapp?: string) => parseCampaign(yaml(id, whatsapp), `${id}.yaml`).campaign;

const phone = (i: number) => `+39333${String(4000000 + i)}`;

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.available)(`WhatsApp on ${dialect.name}`, () => {
    const rig = feedbackRig(dialect);
    let t: TestStore;
    let sandbox: Sandbox;
    let server: RunningHttpServer;
    beforeEach(() => {
      ({ t, sandbox, server } = rig());
    });

    /** Writes the citizens, launches, and lets the worker send every invitation until its receipts are in. */
    const invite = (people: CitizenRecord[], id = 'wa') =>
      send(rig(), people, campaign(id), async () => {
        const rows = await t.store.db.selectFrom('messages').select('state').where('campaign_id', '=', id).execute();
        return rows.length === people.length && rows.every((r) => r.state === 'delivered');
      }, 'every invitation delivered');
    const tap = (from: string, buttonText: string, buttonPayload?: string) =>
      sendInboundMessage({
        webhookUrl: server.publicUrl + FEEDBACK_PATHS.inbound,
        from: `whatsapp:${from}`,
        buttonText,
        ...(buttonPayload ? { buttonPayload } : {}),
        accountSid: sandbox.accountSid,
        authToken: sandbox.authToken,
      });
    const write = (from: string, body: string) =>
      sendInboundMessage({ webhookUrl: server.publicUrl + FEEDBACK_PATHS.inbound, from: `whatsapp:${from}`, body, accountSid: sandbox.accountSid, authToken: sandbox.authToken });
    const outbox = (to: string) => sandbox.outbox().messages.filter((m) => m.to === to);
    const appointment = (citizenId: string) => t.store.db.selectFrom('appointments').selectAll().where('citizen_id', '=', citizenId).executeTakeFirstOrThrow();

    it('goes only to citizens who consented, as the approved content template of their language with its variables; the others get the next channel; delivery and read receipts are recorded', async () => {
      const people = citizens(3, 3, 0, 'W').map((c, i) => ({ ...c, phone: phone(i), language: i === 1 ? 'de' : 'it', whatsapp_opt_in: i < 2 }));
      await invite(people);
      const [it0] = outbox(`whatsapp:${phone(0)}`);
      const [de1] = outbox(`whatsapp:${phone(1)}`);
      expect(it0).toMatchObject({ channel: 'whatsapp', from: 'whatsapp:+390612345679', contentSid: SID_IT, body: '' });
      expect(de1).toMatchObject({ channel: 'whatsapp', contentSid: SID_DE });
      // The default variables: who writes, the day (in the citizen's language), the time, the centre, its address, the page.
      const v = it0!.contentVariables!;
      expect(Object.keys(v)).toEqual(['1', '2', '3', '4', '5', '6']);
      expect(v['1']).toBe('ASL Roma 1');
      expect(v['2']).toMatch(/^(lunedì|martedì|mercoledì|giovedì|venerdì|sabato|domenica) \d+ \S+ 20\d\d$/);
      expect(v['3']).toMatch(/^\d\d:\d\d$/);
      expect([v['4'], v['5']]).toEqual([CENTER.name, CENTER.address]);
      expect(v['6']).toMatch(/\/r\/[A-Za-z0-9_-]{12}$/);
      expect(de1!.contentVariables!['2']).toMatch(/^(Montag|Dienstag|Mittwoch|Donnerstag|Freitag|Samstag|Sonntag), \d+\. \S+ 20\d\d$/);
      // No consent: no WhatsApp, the SMS instead.
      expect(outbox(`whatsapp:${phone(2)}`)).toEqual([]);
      expect(outbox(phone(2))).toHaveLength(1);
      const rows = await t.store.db.selectFrom('messages').select(['citizen_id', 'channel', 'state', 'read_at']).orderBy('citizen_id').execute();
      expect(rows.map((r) => [r.citizen_id, r.channel, r.state])).toEqual([['W00000', 'whatsapp', 'delivered'], ['W00001', 'whatsapp', 'delivered'], ['W00002', 'sms', 'delivered']]);
      // The read receipts came after delivery (the sandbox reads every message by default).
      await until('read receipts', async () => {
        const read = await t.store.db.selectFrom('messages').select('read_at').where('channel', '=', 'whatsapp').execute();
        return read.every((r) => r.read_at !== null);
      });
      const sms = await t.store.db.selectFrom('messages').select('read_at').where('channel', '=', 'sms').executeTakeFirstOrThrow();
      expect(sms.read_at).toBeNull();
    });

    it('a quick-reply button acts like the SMS word (Confermo confirms, Non posso declines, Cambia offers slots a letter books), each answered once by WhatsApp', async () => {
      const people = citizens(3, 3, 0, 'B').map((c, i) => ({ ...c, phone: phone(10 + i), language: 'it', whatsapp_opt_in: true }));
      await invite(people);
      expect((await tap(phone(10), 'Confermo', 'CONFIRM')).status).toBe(200);
      expect((await appointment('B00000')).state).toBe('confirmed');
      // The button's text alone (a template whose ids are not invito's) is read as a typed reply.
      await tap(phone(11), 'Non posso');
      const declined = await appointment('B00001');
      expect([declined.state, declined.state_reason]).toEqual(['released', 'declined']);
      const before = await appointment('B00002');
      await tap(phone(12), 'Cambia', 'CHANGE');
      await write(phone(12), 'A');
      const moved = await appointment('B00002');
      expect(moved.state).toBe('confirmed');
      expect([moved.day, moved.seq]).not.toEqual([before.day, before.seq]);

      // Answers: free text by WhatsApp (the citizen's message opened the 24-hour window), never by SMS.
      const answers = (p: string) => outbox(`whatsapp:${p}`).slice(1);
      expect(answers(phone(10)).map((m) => [m.contentSid, m.body])).toEqual([[null, expect.stringMatching(/^Appuntamento confermato: /)]]);
      expect(answers(phone(11)).map((m) => m.body)).toEqual([expect.stringMatching(/^Appuntamento annullato/)]);
      expect(answers(phone(12)).map((m) => m.body)).toEqual([expect.stringMatching(/^Posti liberi: A: /), expect.stringMatching(/^Nuovo appuntamento confermato: /)]);
      for (const i of [10, 11, 12]) expect(outbox(phone(i))).toEqual([]);
      const responses = await t.store.db.selectFrom('responses').select(['channel', 'action']).orderBy('received_at').execute();
      expect(responses).toEqual([
        { channel: 'whatsapp', action: 'confirmed' },
        { channel: 'whatsapp', action: 'declined' },
        { channel: 'whatsapp', action: 'options' },
        { channel: 'whatsapp', action: 'moved' },
      ]);
    });

    it('STOP by WhatsApp opts the number out, recorded as whatsapp:STOP', async () => {
      const [p] = citizens(1, 1, 0, 'S').map((c) => ({ ...c, phone: phone(20), whatsapp_opt_in: true }));
      await invite([p!]);
      await write(phone(20), 'STOP');
      const c = await t.store.db.selectFrom('citizens').select(['opt_out', 'opt_out_source']).where('citizen_id', '=', 'S00000').executeTakeFirstOrThrow();
      expect([Number(c.opt_out), c.opt_out_source]).toEqual([1, 'whatsapp:STOP']);
    });
  });
}

describe('WhatsApp rules', () => {
  it('reaches a mobile phone with consent only', () => {
    expect(reaches('whatsapp', { phone: '+393331234567', email: null, phoneType: 'mobile', whatsapp_opt_in: 1 })).toBe(true);
    expect(reaches('whatsapp', { phone: '+393331234567', email: null, phoneType: 'mobile', whatsapp_opt_in: 0 })).toBe(false);
    expect(reaches('whatsapp', { phone: '+393331234567', email: null, phoneType: 'mobile' })).toBe(false);
    expect(reaches('whatsapp', { phone: '+390612345678', email: null, phoneType: 'fixed_line', whatsapp_opt_in: 1 })).toBe(false);
    expect(reaches('whatsapp', { phone: null, email: 'a@b.it', whatsapp_opt_in: 1 })).toBe(false);
  });

  it('the registry column whatsapp_opt_in is read like the other yes/no columns; an unreadable one is a warning and no consent, the row kept', () => {
    const row = (v: string) => validateCitizen({ citizen_id: 'X1', birth_date: '1940-01-01', phone: '+393331234567', whatsapp_opt_in: v }, 2, '2026-12-01');
    expect(row('true')).toMatchObject({ row: { whatsapp_opt_in: true }, warnings: [] });
    expect(row('0')).toMatchObject({ row: { whatsapp_opt_in: false }, warnings: [] });
    expect(row('')).toMatchObject({ row: { whatsapp_opt_in: false }, warnings: [] });
    expect(row('forse')).toMatchObject({ row: { whatsapp_opt_in: false }, warnings: [expect.stringContaining('whatsapp_opt_in must be true or false')] });
  });

  it('a step sending by WhatsApp must name its content template, a SID Twilio would take', () => {
    const bad = (whatsapp: string | null) => {
      try {
        parseCampaign(whatsapp === null ? yaml('x').replace(/\n {4}whatsapp: .*\n/, '\n') : yaml('x', whatsapp), 'x.yaml');
        return null;
      } catch (e) {
        if (!isInvitoError(e)) throw e;
        return JSON.stringify(e.issues ?? e.message);
      }
    };
    expect(bad(null)).toMatch(/steps\[0\]\.whatsapp.*needs whatsapp\.content_sid/);
    expect(bad('{ content_sid: HX123 }')).toMatch(/content template SID/);
    expect(bad(`{ content_sid: ${SID_IT}, variables: { x: "{{campaign.sender}}" } }`)).toMatch(/variable number/);
    expect(bad(`{ content_sid: ${SID_IT} }`)).toBeNull();
  });

  it('validation renders the variables: an unknown variable or a language without a content template (and no Italian one) is reported where it is written', async () => {
    const library = await templateLibrary();
    const check = (whatsapp: string) => checkCampaign({ campaign: campaign('v', whatsapp), file: 'v.yaml', library });
    expect(await check(`{ content_sid: { it: ${SID_IT} } }`)).toEqual([]);
    const unknown = await check(`{ content_sid: { it: ${SID_IT} }, variables: { "1": "{{citizen.nickname}}" } }`);
    expect(unknown.map((i) => i.message)).toEqual([expect.stringMatching(/variables: variable 1 \(\{\{citizen\.nickname\}\}\): nickname is not defined$/)]);
    const noItalian = await check(`{ content_sid: { de: ${SID_DE} } }`);
    expect(noItalian.map((i) => i.message)).toEqual([expect.stringMatching(/no content template for it/)]);
  });
});
