/**
 * The free-phone line (issue 14, item 2), through signed webhooks posted as Twilio posts them to
 * the server the composition root builds, on both dialects: a caller identified by their number
 * hears their appointment and the line's menu (1 confirm, 2 change, 4 decline, 3 an operator, 9
 * stop); a shared phone is asked for a birth date by keys; a caller nobody identifies waits for an
 * operator of the line's language; a queue tells callers their place, and past the wait offers a
 * callback, which becomes a call task due at once.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { VOICE_PATHS } from '../../src/feedback/ivr.js';
import type { RunningHttpServer } from '../../src/http/server.js';
import type { CitizenRecord } from '../../src/registry/store.js';
import { gatherAction, type Sandbox } from '../../src/sandbox/index.js';
import { twilioSignature } from '../../src/sandbox/signature.js';
import { built, runCli } from '../support/cli.js';
import { citizens } from '../support/dispatch.js';
import { allSent, feedbackRig, send, smsCampaign } from '../support/feedback.js';
import { DIALECTS, type TestStore } from '../support/stores.js';

const campaign = (id: string) => smsCampaign(id, 'inbound: { max_wait_minutes: 2 }');

const phone = (i: number) => `+39333${String(6000000 + i)}`;
const unescape = (s: string) => s.replace(/&amp;/g, '&');

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.available)(`the free-phone line on ${dialect.name}`, () => {
    const rig = feedbackRig(dialect);
    let t: TestStore;
    let sandbox: Sandbox;
    let server: RunningHttpServer;
    beforeEach(() => {
      ({ t, sandbox, server } = rig());
    });

    /** Writes the citizens, launches, and lets the worker send every invitation. */
    const invite = (people: CitizenRecord[], id = 'line') => send(rig(), people, campaign(id), allSent(rig(), id, people.length), 'every invitation sent');
    /** Posts a signed voice webhook as Twilio does; `url` absolute (an action from TwiML) or a path. */
    async function post(url: string, params: Record<string, string>): Promise<string> {
      const full = url.startsWith('http') ? url : server.publicUrl + url;
      const res = await fetch(full, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilioSignature(sandbox.authToken, full, params) },
        body: new URLSearchParams(params).toString(),
      });
      expect(res.status).toBe(200);
      return res.text();
    }
    const call = (from: string, sid = `CA${'1'.repeat(32)}`) => ({ CallSid: sid, From: from, To: '+390612345678', Direction: 'inbound', CallStatus: 'in-progress' });
    const appointment = (citizenId: string) => t.store.db.selectFrom('appointments').selectAll().where('citizen_id', '=', citizenId).executeTakeFirstOrThrow();

    it('a caller known by their number hears their appointment and the menu; 1 confirms, 4 declines, 3 waits for an operator of their language', async () => {
      const people = citizens(3, 3, 0, 'I').map((c, i) => ({ ...c, phone: phone(i), language: i === 2 ? 'de' : 'it' }));
      await invite(people);
      const menu = await post(VOICE_PATHS.inbound, call(phone(0)));
      expect(menu).toMatch(/<Gather numDigits="1"[^>]*><Say language="it-IT">Buongiorno, è il servizio vaccinazioni\. Il Suo appuntamento è .+ presso Nuvola\.<\/Say><Say language="it-IT">Per confermare, prema 1\. .*Se non può venire, prema 4\./);
      const action = gatherAction(menu)!;
      expect(action).toMatch(/voice\/key\?m=line\.invite\.I00000&n=1&in=1$/);
      expect(await post(action, { ...call(phone(0)), Digits: '1' })).toMatch(/è confermato\. Arrivederci\.<\/Say><Hangup\/>/);
      expect((await appointment('I00000')).state).toBe('confirmed');

      const second = gatherAction(await post(VOICE_PATHS.inbound, call(phone(1), `CA${'2'.repeat(32)}`)))!;
      expect(await post(second, { ...call(phone(1), `CA${'2'.repeat(32)}`), Digits: '4' })).toMatch(/Abbiamo annullato il Suo appuntamento/);
      const declined = await appointment('I00001');
      expect([declined.state, declined.state_reason]).toEqual(['released', 'declined']);

      const third = gatherAction(await post(VOICE_PATHS.inbound, call(phone(2), `CA${'3'.repeat(32)}`)))!;
      const queued = unescape(await post(third, { ...call(phone(2), `CA${'3'.repeat(32)}`), Digits: '3' }));
      expect(queued).toMatch(/<Enqueue waitUrl="[^"]+\/webhooks\/twilio\/voice\/wait\?lang=de&max=120&m=line\.invite\.I00002" waitUrlMethod="POST" action="[^"]+\/webhooks\/twilio\/voice\/queued\?lang=de&max=120&m=line\.invite\.I00002" method="POST">invito-de<\/Enqueue>/);
      const keys = await t.store.db.selectFrom('responses').select(['citizen_id', 'channel', 'kind', 'action']).where('channel', '=', 'voice').orderBy('citizen_id').execute();
      expect(keys).toEqual([
        { citizen_id: 'I00000', channel: 'voice', kind: 'confirm', action: 'confirmed' },
        { citizen_id: 'I00001', channel: 'voice', kind: 'decline', action: 'declined' },
        { citizen_id: 'I00002', channel: 'voice', kind: 'operator', action: 'queued' },
      ]);
    });

    it.skipIf(!built)('`invito sandbox call` rings the line as a scripted caller: it hears the appointment, and key 1 confirms it', async () => {
      const [p] = citizens(1, 1, 0, 'C').map((c) => ({ ...c, phone: phone(30), language: 'it' }));
      await invite([p!]);
      const r = await runCli(['sandbox', 'call', '--to-webhook', server.publicUrl + VOICE_PATHS.inbound, '--from', phone(30), '--keys', '1', '--auth-token', sandbox.authToken]);
      expect(r.code, r.stderr).toBe(0);
      const lines = r.stdout.trim().split('\n');
      expect(lines[0]).toMatch(/^call → 200: Buongiorno, è il servizio vaccinazioni\. Il Suo appuntamento è .+ presso Nuvola\. Per confermare, prema 1\..* \[gather\]$/);
      expect(lines[1]).toMatch(/^key 1 → 200: Grazie, il Suo appuntamento .* è confermato\. Arrivederci\. \[hangup\]$/);
      expect((await appointment('C00000')).state).toBe('confirmed');
      // Without --to-webhook it rings INVITO_PUBLIC_URL's line; no key: it only hears the menu.
      const plain = await runCli(['sandbox', 'call', '--from', phone(30), '--auth-token', sandbox.authToken], { env: { INVITO_PUBLIC_URL: server.publicUrl } });
      expect(plain.code, plain.stderr).toBe(0);
      expect(plain.stdout.trim().split('\n')).toEqual([expect.stringMatching(/^call → 200: .* Il Suo appuntamento è .* \[gather\]$/)]);
    });

    it('a shared phone is asked for a birth date by keys; the right one opens that citizen\'s menu, a wrong one an operator', async () => {
      const family = citizens(2, 2, 0, 'F').map((c, i) => ({ ...c, phone: phone(10), birth_date: i === 0 ? '1940-05-17' : '1942-11-03', language: 'it' }));
      await invite(family);
      const who = await post(VOICE_PATHS.inbound, call(phone(10)));
      expect(who).toMatch(/<Gather numDigits="8"[^>]*><Say language="it-IT">.*Digiti la data di nascita/);
      const action = gatherAction(who)!;
      const menu = await post(action, { ...call(phone(10)), Digits: '03111942' });
      expect(gatherAction(menu)).toMatch(/m=line\.invite\.F00001&n=1&in=1$/);
      expect(unescape(await post(action, { ...call(phone(10)), Digits: '01011950' }))).toMatch(/La metto in contatto con un operatore\.<\/Say><Enqueue [^>]*>invito-it<\/Enqueue>/);
    });

    it('a caller nobody identifies waits for an operator of the line\'s language', async () => {
      const twiml = unescape(await post(VOICE_PATHS.inbound, call('+393339999999')));
      expect(twiml).toMatch(/<Say language="it-IT">Buongiorno, è il servizio vaccinazioni\. La metto in contatto con un operatore\.<\/Say><Enqueue waitUrl="[^"]+\/voice\/wait\?lang=it&max=300"[^>]*>invito-it<\/Enqueue>/);
    });

    it('a waiting caller hears their place; past the wait they leave and are offered a callback, which becomes a call task due at once', async () => {
      const [p] = citizens(1, 1, 0, 'Q').map((c) => ({ ...c, phone: phone(20), language: 'it' }));
      await invite([p!]);
      const q = '?lang=it&max=120&m=line.invite.Q00000';
      expect(await post(`${VOICE_PATHS.wait}${q}`, { ...call(phone(20)), QueuePosition: '2', QueueTime: '30', QueueSid: `QU${'0'.repeat(32)}` })).toMatch(/Lei è il numero 2 in attesa\. La preghiamo di restare in linea\.<\/Say><Pause length="20"\/>/);
      expect(await post(`${VOICE_PATHS.wait}${q}`, { ...call(phone(20)), QueuePosition: '1', QueueTime: '121' })).toMatch(/<Response><Leave\/><\/Response>/);
      const offer = await post(`${VOICE_PATHS.queued}${q}`, { ...call(phone(20)), QueueResult: 'leave', QueueTime: '121' });
      expect(offer).toMatch(/Per essere richiamato al più presto, prema 1\./);
      expect(await post(gatherAction(offer)!, { ...call(phone(20)), Digits: '1' })).toMatch(/La richiameremo al più presto\./);
      const tasks = await t.store.db.selectFrom('call_tasks').select(['citizen_id', 'state', 'language', 'due_at']).execute();
      expect(tasks).toEqual([{ citizen_id: 'Q00000', state: 'open', language: 'it', due_at: null }]);
      // Someone who left the queue unidentified is asked to call again (nobody to call back).
      expect(await post(`${VOICE_PATHS.queued}?lang=it&max=300`, { ...call('+393339999999'), QueueResult: 'leave' })).toMatch(/La preghiamo di richiamare più tardi\./);
    });
  });
}
