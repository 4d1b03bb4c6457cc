/**
 * SMS replies that act (issue 13, item 1), through the real pipeline: invitations sent by the
 * worker through the twilio SDK to the sandbox, then the citizen's text posted by the sandbox as
 * a signed inbound webhook to the server the composition root builds; the server acts on the
 * appointment in the store (both dialects) and answers through the twilio SDK at once.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { FEEDBACK_PATHS } from '../../src/feedback/webhooks.js';
import { MAX_ANSWERS_PER_DAY, mergeWords, replyWord, wordKey } from '../../src/feedback/replies.js';
import type { RunningHttpServer } from '../../src/http/server.js';
import type { CitizenRecord } from '../../src/registry/store.js';
import { type Sandbox, sendInboundMessage } from '../../src/sandbox/index.js';
import { twilioSignature } from '../../src/sandbox/signature.js';
import { CENTER, citizens } from '../support/dispatch.js';
import { allSent, feedbackRig, send, smsCampaign } from '../support/feedback.js';
import { DIALECTS, type TestStore } from '../support/stores.js';

const campaign = (id: string) => smsCampaign(id);

const phone = (i: number) => `+39333${String(3000000 + i)}`;

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.available)(`SMS replies that act on ${dialect.name}`, () => {
    const rig = feedbackRig(dialect);
    let t: TestStore;
    let sandbox: Sandbox;
    let server: RunningHttpServer;
    beforeEach(() => {
      ({ t, sandbox, server } = rig());
    });

    /** Writes the citizens, launches, and lets the worker send every invitation. */
    const invite = (people: CitizenRecord[], id = 'rep') => send(rig(), people, campaign(id), allSent(rig(), id, people.length), 'every invitation sent');
    const text = (from: string, body: string) =>
      sendInboundMessage({ webhookUrl: server.publicUrl + FEEDBACK_PATHS.inbound, from, body, accountSid: sandbox.accountSid, authToken: sandbox.authToken });
    /** What the sandbox received for this phone after its `invitations`. */
    const answers = (to: string, invitations = 1) => sandbox.outbox().messages.filter((m) => m.to === to).slice(invitations).map((m) => m.body);
    const appointment = (citizenId: string) =>
      t.store.db.selectFrom('appointments').selectAll().where('citizen_id', '=', citizenId).executeTakeFirstOrThrow();

    it('each word in each language confirms, declines or asks to change, whatever its case, accents, punctuation and spaces; each gets one answer in the citizen\'s language', async () => {
      const words: [string, string, 'confirmed' | 'released' | 'held'][] = [
        ['it', 'Sì!', 'confirmed'], ['it', ' s i ', 'confirmed'], ['it', 'ok.', 'confirmed'], ['it', '1', 'confirmed'], ['en', 'Yes', 'confirmed'], ['de', 'ja', 'confirmed'],
        ['ro', 'Da', 'confirmed'], ['ar', 'نعم', 'confirmed'],
        ['it', 'No', 'released'], ['it', '2', 'released'], ['de', 'NEIN!', 'released'], ['ro', 'nu', 'released'], ['ar', 'لا', 'released'],
        ['it', 'Altra', 'held'], ['it', '3', 'held'], ['en', 'change', 'held'], ['de', 'Ändern', 'held'], ['ro', 'schimbă', 'held'], ['ar', 'تغيير', 'held'],
      ];
      const people = citizens(words.length, words.length, 0, 'W').map((c, i) => ({ ...c, phone: phone(i), language: words[i]![0] }));
      await invite(people);
      for (const [i, [, body]] of words.entries()) expect((await text(phone(i), body)).status).toBe(200);
      for (const [i, [lang, , state]] of words.entries()) {
        const a = await appointment(people[i]!.citizen_id);
        expect([i, a.state]).toEqual([i, state]);
        if (state === 'released') expect(a.state_reason).toBe('declined');
        const got = answers(phone(i));
        expect(got).toHaveLength(1);
        const expectedAnswer: Record<string, Record<typeof state, RegExp>> = {
          it: { confirmed: /^Appuntamento confermato: /, released: /^Appuntamento annullato/, held: /^Posti liberi: A: / },
          en: { confirmed: /^Appointment confirmed: /, released: /^Appointment cancelled/, held: /^Free places: A: / },
          de: { confirmed: /^Termin bestätigt: /, released: /^Termin abgesagt/, held: /^Freie Termine: A: / },
          ro: { confirmed: /^Programare confirmata: /, released: /^Programare anulata/, held: /^Locuri libere: A: / },
          ar: { confirmed: /^تم تأكيد الموعد: /, released: /^تم إلغاء الموعد/, held: /^أماكن متاحة: A: / },
        };
        expect([i, got[0]]).toEqual([i, expect.stringMatching(expectedAnswer[lang]![state])]);
      }
      const responses = await t.store.db.selectFrom('responses').select(['kind', 'action', 'channel']).orderBy('received_at').execute();
      expect(responses.map((r) => r.action)).toEqual(words.map(([, , s]) => ({ confirmed: 'confirmed', released: 'declined', held: 'options' })[s]));
    });

    it('CAMBIA offers three free slots by letter; the letter books that slot and frees the old one in the same transaction', async () => {
      const [p] = citizens(1, 1, 0, 'C').map((c) => ({ ...c, phone: phone(100), language: 'it' }));
      await invite([p!]);
      const before = await appointment(p!.citizen_id);
      await text(phone(100), 'cambia');
      const [options] = answers(phone(100));
      expect(options).toMatch(/^Posti liberi: A: \S+ \d+\/\d+ \d\d:\d\d Nuvola; B: .+; C: .+; risponda A, B o C$/);
      await text(phone(100), 'b');
      const after = await appointment(p!.citizen_id);
      expect(after.state).toBe('confirmed');
      // A change offers days after the current appointment's (pacer/allocation.ts laterSlotRequest), never its own time again.
      expect(after.day > before.day, `${after.day} after ${before.day}`).toBe(true);
      const slots = await t.store.db.selectFrom('slots').select(['day', 'seq', 'appointment_id']).where('center_id', '=', CENTER.center_id).where('appointment_id', '=', after.appointment_id).execute();
      expect(slots).toEqual([{ day: after.day, seq: after.seq, appointment_id: after.appointment_id }]);
      const old = await t.store.db.selectFrom('slots').select('appointment_id').where('center_id', '=', CENTER.center_id).where('day', '=', before.day).where('seq', '=', before.seq).executeTakeFirstOrThrow();
      expect(old.appointment_id).toBeNull();
      // The booked counters moved with it: one place on the new day, none left on the old (when they differ).
      const days = await t.store.db.selectFrom('center_days').select(['day', 'booked']).where('center_id', '=', CENTER.center_id).execute();
      expect(days.reduce((n, d) => n + Number(d.booked), 0)).toBe(1);
      expect(answers(phone(100))[1]).toMatch(/^Nuovo appuntamento confermato: /);
      // A letter with no offer open is not understood (the thread ended with the move).
      await text(phone(100), 'C');
      expect(answers(phone(100))[2]).toMatch(/^Non abbiamo capito\./);
    });

    it('a phone two citizens share is asked whose appointment it is, by first name, before anything changes', async () => {
      const family = citizens(2, 2, 0, 'F').map((c, i) => ({ ...c, phone: phone(200), given_name: i === 0 ? 'Mario' : 'Anna', language: 'it' }));
      await invite(family);
      await text(phone(200), 'SI');
      expect(answers(phone(200), 2)).toEqual([expect.stringMatching(/per chi risponde\? Scriva il nome: Mario, Anna$/)]);
      expect((await appointment('F00000')).state).toBe('held');
      expect((await appointment('F00001')).state).toBe('held');
      await text(phone(200), 'anna');
      expect((await appointment('F00001')).state).toBe('confirmed');
      expect((await appointment('F00000')).state).toBe('held');
      expect(answers(phone(200), 2)[1]).toMatch(/^Appuntamento confermato: /);
    });

    it(`an auto-responder gets at most ${MAX_ANSWERS_PER_DAY} answers a day and every text is still stored; a repeated webhook is answered once; STOP still comes first`, async () => {
      const people = citizens(2, 2, 0, 'L').map((c, i) => ({ ...c, phone: phone(300 + i), language: 'it' }));
      await invite(people);
      for (let i = 0; i < 6; i++) await text(phone(300), `Risposta automatica: sono in ferie (${i})`);
      expect(answers(phone(300))).toEqual(Array(MAX_ANSWERS_PER_DAY).fill(expect.stringMatching(/^Non abbiamo capito\./)));
      const stored = await t.store.db.selectFrom('responses').select(['kind', 'action', 'citizen_id']).where('citizen_id', '=', 'L00000').execute();
      expect(stored).toHaveLength(6);
      expect(stored.every((r) => r.kind === 'reply' && r.action === 'not_understood')).toBe(true);
      // Twilio retries a webhook it got no answer to: the same MessageSid acts and answers once.
      const first = await text(phone(301), 'SI');
      const url = server.publicUrl + FEEDBACK_PATHS.inbound;
      const again = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilioSignature(sandbox.authToken, url, first.params) },
        body: new URLSearchParams(first.params).toString(),
      });
      expect(again.status).toBe(200);
      expect(answers(phone(301))).toHaveLength(1);
      // STOP opts out and is not answered by invito (Twilio itself confirms an opt-out).
      await text(phone(301), 'stop');
      const c = await t.store.db.selectFrom('citizens').select(['opt_out', 'opt_out_source']).where('citizen_id', '=', 'L00001').executeTakeFirstOrThrow();
      expect([Number(c.opt_out), c.opt_out_source]).toEqual([1, 'sms:STOP']);
      expect(answers(phone(301))).toHaveLength(1);
    });
  });
}

describe('reply words', () => {
  it('are compared without case, accents, punctuation or spaces', () => {
    expect(['Sì!', 'si', ' S I ', 'SÌ', 'sí.'].map(wordKey)).toEqual(Array(5).fill('SI'));
    expect(wordKey('Ändern')).toBe('ANDERN');
  });

  it('every default word means what the issue says, in the citizen\'s language or another; a campaign list replaces a language\'s', () => {
    const words = mergeWords(undefined);
    const cases: [string, string, string][] = [
      ['it', 'SI', 'confirm'], ['it', 'sì', 'confirm'], ['it', 'Ok', 'confirm'], ['it', '1', 'confirm'], ['it', 'yes', 'confirm'], ['it', 'Ja!', 'confirm'],
      ['it', 'no', 'decline'], ['it', '2', 'decline'], ['it', 'nein', 'decline'],
      ['it', 'Cambia', 'change'], ['it', 'altra', 'change'], ['it', '3', 'change'], ['it', 'change', 'change'], ['it', 'ändern', 'change'], ['de', 'AENDERN', 'change'],
      ['ro', 'da', 'confirm'], ['ro', 'nu', 'decline'], ['ro', 'schimbă', 'change'], ['ar', 'نعم', 'confirm'], ['ar', 'لا', 'decline'], ['ar', 'تغيير', 'change'],
      ['it', 'forse', 'none'],
    ];
    for (const [lang, body, kind] of cases) expect([lang, body, replyWord(body, words, lang) ?? 'none']).toEqual([lang, body, kind]);
    const own = mergeWords({ it: { confirm: ['VA BENE'] } });
    expect(replyWord('va bene', own, 'it')).toBe('confirm');
    expect(replyWord('yes', own, 'it')).toBe('confirm'); // English's list still holds
    expect(replyWord('no', own, 'it')).toBe('decline');
  });
});
