/**
 * Automated calls that listen (issue 14, item 1), end to end: the worker places each call through
 * the twilio SDK with an answer URL and machine detection; the sandbox answers as a scripted
 * caller (a person pressing keys, or a machine), fetching the signed answer webhook and posting
 * each key to the `<Gather>`'s action, signed as Twilio signs it; the server acts on the store
 * (both dialects) and answers TwiML in the citizen's language.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { parseCampaign } from '../../src/campaigns/load.js';
import type { RunningHttpServer } from '../../src/http/server.js';
import type { CitizenRecord } from '../../src/registry/store.js';
import { type Caller, gatherAction, type Sandbox } from '../../src/sandbox/index.js';
import { citizens } from '../support/dispatch.js';
import { feedbackRig, send } from '../support/feedback.js';
import { DIALECTS, type TestStore } from '../support/stores.js';

const campaign = (id: string) =>
  parseCampaign(
    `id: ${id}
name: Prima dose
reference_date: 2021-03-01
cohort: { age: { min: 60 } }
steps:
  - id: invite
    channels: [voice, sms]
    template: invite
pacing: { daily_target: 100000 }
windows: { voice: daily 00:00-24:00, sms: daily 00:00-24:00 }
holidays: none
sms: { max_segments: 6 }
`,
    `${id}.yaml`,
  ).campaign;

const phone = (i: number) => `+39333${String(5000000 + i)}`;

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.available)(`automated calls that listen, on ${dialect.name}`, () => {
    const script = new Map<string, Caller>();
    const rig = feedbackRig(dialect, { callers: (to) => script.get(to) });
    let t: TestStore;
    let sandbox: Sandbox;
    let server: RunningHttpServer;
    beforeEach(() => {
      script.clear();
      ({ t, sandbox, server } = rig());
    });

    /** Writes the citizens (each answering as `callers` says), launches, and waits until every call has ended and been reported. */
    async function call(people: CitizenRecord[], callers: Caller[], id = 'ivr'): Promise<void> {
      people.forEach((p, i) => script.set(p.phone!, callers[i]!));
      await send(rig(), people, campaign(id), async () => {
        if (sandbox.outbox().calls.length < people.length) return false;
        await sandbox.idle();
        const rows = await t.store.db.selectFrom('messages').select('state').where('campaign_id', '=', id).where('channel', '=', 'voice').execute();
        return rows.length === people.length && rows.every((r) => r.state !== 'queued' && r.state !== 'sending' && r.state !== 'sent');
      }, 'every call ended and settled');
    }
    const callTo = (p: string) => sandbox.outbox().calls.find((c) => c.to === p)!;
    const appointment = (citizenId: string) => t.store.db.selectFrom('appointments').selectAll().where('citizen_id', '=', citizenId).executeTakeFirstOrThrow();
    const keys = (citizenId: string) =>
      t.store.db.selectFrom('responses').select(['channel', 'kind', 'body', 'action']).where('citizen_id', '=', citizenId).orderBy('received_at').orderBy('response_id').execute();

    it('the call says the template in the citizen\'s language inside a one-key menu; 1 confirms the appointment, and the key is in the history', async () => {
      const people = citizens(2, 2, 0, 'K').map((c, i) => ({ ...c, phone: phone(i), language: i === 0 ? 'it' : 'de' }));
      await call(people, [{ keys: ['1'] }, { keys: [] }]);
      const it0 = callTo(phone(0));
      expect(it0.url).toMatch(/\/webhooks\/twilio\/voice\/answer\?m=/);
      expect(it0.machineDetection).toBe('Enable');
      expect(it0.keys).toEqual(['1']);
      expect(it0.twiml).toMatch(/<Say language="it-IT">Grazie, il Suo appuntamento .* è confermato\. Arrivederci\.<\/Say><Hangup\/>/);
      expect((await appointment('K00000')).state).toBe('confirmed');
      expect(await keys('K00000')).toEqual([{ channel: 'voice', kind: 'confirm', body: 'key 1', action: 'confirmed' }]);
      // The German citizen heard the German script and menu, pressed nothing and hung up: the call counts as answered.
      const de1 = callTo(phone(1));
      expect(de1.twiml).toMatch(/^<\?xml.*<Gather numDigits="1" timeout="6" action="[^"]+voice\/key\?m=[^"]+" method="POST" actionOnEmptyResult="true"><Say language="de-DE">.*Impftermin.*<\/Say><Say language="de-DE">Zum Bestätigen drücken Sie die 1\./s);
      expect((await appointment('K00001')).state).toBe('held');
      const states = await t.store.db.selectFrom('messages').select(['citizen_id', 'state']).where('channel', '=', 'voice').orderBy('citizen_id').execute();
      expect(states.map((s) => s.state)).toEqual(['delivered', 'delivered']);
    });

    it('2 reads a free slot on a later day; 1 books the one just heard and frees the old slot', async () => {
      const [p] = citizens(1, 1, 0, 'S').map((c) => ({ ...c, phone: phone(10), language: 'it' }));
      await call([p!], [{ keys: ['2', '1'] }]);
      const c = callTo(phone(10));
      expect(c.keys).toEqual(['2', '1']);
      expect(c.twiml).toMatch(/Fatto: il nuovo appuntamento .* è confermato\./);
      const after = await appointment('S00000');
      expect(after.state).toBe('confirmed');
      // Exactly one place is held for it (the one it moved to; the old one was freed in the same transaction).
      const held = await t.store.db.selectFrom('slots').select(['day', 'seq']).where('appointment_id', '=', after.appointment_id).execute();
      expect(held).toEqual([{ day: after.day, seq: after.seq }]);
      expect((await keys('S00000')).map((k) => [k.body, k.action])).toEqual([['key 2', 'options'], ['key 1', 'moved']]);
    });

    it('3 puts a call task for an operator of the citizen\'s language, due at once and marked for triage; 9 stops every message', async () => {
      const people = citizens(2, 2, 0, 'O').map((c, i) => ({ ...c, phone: phone(20 + i), language: i === 0 ? 'de' : 'it' }));
      await call(people, [{ keys: ['3'] }, { keys: ['9'] }]);
      const tasks = await t.store.db.selectFrom('call_tasks').select(['citizen_id', 'state', 'language', 'triage', 'due_at']).execute();
      expect(tasks.map((x) => ({ ...x, triage: Number(x.triage) }))).toEqual([{ citizen_id: 'O00000', state: 'open', language: 'de', triage: 1, due_at: null }]);
      expect(callTo(phone(20)).twiml).toMatch(/ruft Sie so bald wie möglich zurück/);
      const c = await t.store.db.selectFrom('citizens').select(['opt_out', 'opt_out_source']).where('citizen_id', '=', 'O00001').executeTakeFirstOrThrow();
      expect([Number(c.opt_out), c.opt_out_source]).toEqual([1, 'voice:9']);
      expect((await appointment('O00001')).state).toBe('released');
    });

    it('no key: the menu once more, then a goodbye, and the call counts as not answered (undelivered, which the step\'s fallback reads as no_answer)', async () => {
      const [p] = citizens(1, 1, 0, 'N').map((c) => ({ ...c, phone: phone(30), language: 'it' }));
      await call([p!], [{ keys: ['', ''] }]);
      expect(callTo(phone(30)).twiml).toMatch(/Non abbiamo ricevuto risposta\. La ricontatteremo\. Arrivederci\.<\/Say><Hangup\/>/);
      const m = await t.store.db.selectFrom('messages').select(['state', 'error_code']).where('channel', '=', 'voice').executeTakeFirstOrThrow();
      expect(m).toEqual({ state: 'undelivered', error_code: 'no-input' });
      expect((await keys('N00000')).map((k) => k.action)).toEqual(['no_input', 'no_answer']);
    });

    it('an answering machine hears a short message with the free-phone number and the call counts as not answered', async () => {
      const [p] = citizens(1, 1, 0, 'M').map((c) => ({ ...c, phone: phone(40), language: 'it' }));
      await call([p!], [{ answeredBy: 'machine_start' }]);
      const c = callTo(phone(40));
      expect(gatherAction(c.twiml!)).toBeNull();
      expect(c.twiml).toMatch(/<Say language="it-IT">Buongiorno, è il servizio vaccinazioni SSN\. Abbiamo un appuntamento per Lei\. Ci richiami a questo numero\. Arrivederci\.<\/Say><Hangup\/>/);
      const m = await t.store.db.selectFrom('messages').select(['state', 'error_code']).where('channel', '=', 'voice').executeTakeFirstOrThrow();
      expect(m).toEqual({ state: 'undelivered', error_code: 'machine' });
    });

    it('a webhook without a valid signature is refused (403)', async () => {
      const res = await fetch(`${server.url}/webhooks/twilio/voice/answer?m=x`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'CallSid=CA1' });
      expect(res.status).toBe(403);
    });
  });
}
