/**
 * Automatic call distribution on the free-phone line (issue 14, item 3), through the sandbox's
 * queues and Calls API and the signed webhooks of the server the composition root builds, on
 * both dialects: a caller who asks for an operator waits in their language's queue; the ready
 * operator who speaks it and has been idle longest is dialled (`<Dial><Queue>`) and bridged; an
 * identified caller's call becomes a call task leased to that operator (the outbound card); two
 * operators ready at once for one caller: one gets it; no operator of the language: the caller
 * waits and is offered a callback; an operator who does not pick up is no longer ready.
 */
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { operatorDialer } from '../../src/channels/index.js';
import { Desk } from '../../src/desk/desk.js';
import { Line, lineTaskId, serviceLevels } from '../../src/desk/line.js';
import { legUrls, VOICE_PATHS } from '../../src/feedback/ivr.js';
import type { CitizenRecord } from '../../src/registry/store.js';
import { KyselyLineStore } from '../../src/store/line.js';
import type { Database } from '../../src/store/schema.js';
import { citizens, sandboxProviders, until } from '../support/dispatch.js';
import { allSent, type FeedbackRig, feedbackRig, send, smsCampaign } from '../support/feedback.js';
import { DIALECTS, PG_URL } from '../support/stores.js';

const campaign = (id: string, wait = 30) => smsCampaign(id, `inbound: { max_wait_minutes: ${wait} }`);

const phone = (i: number) => `+39333${String(7000000 + i)}`;
const opPhone = (i: number) => `+39347${String(1000000 + i)}`;

/** A Line on the rig's store, as a second server process would have it. */
const lineOf = (r: FeedbackRig) => new Line({ store: r.t.store.line, dialer: operatorDialer(sandboxProviders(r.sandbox))!, urls: legUrls(() => r.server.publicUrl) });

async function operators(r: FeedbackRig, ops: readonly { id: string; languages: string[]; phone: string }[]): Promise<void> {
  const desk = new Desk({ store: r.t.store.desk });
  for (const o of ops) {
    await desk.addOperator({ operatorId: o.id, name: o.id, languages: o.languages });
    await r.t.store.line.setPhone(o.id, o.phone);
  }
}

const callsTo = (r: FeedbackRig, to: string) => r.sandbox.outbox().calls.filter((c) => c.to === to);

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.available)(`automatic call distribution on ${dialect.name}`, () => {
    const rig = feedbackRig(dialect, {}, { console: true });
    const invite = (people: CitizenRecord[], id = 'acd', wait = 30) => send(rig(), people, campaign(id, wait), allSent(rig(), id, people.length), 'every invitation sent');

    it('a caller who presses 3 is bridged to the longest-idle ready operator of their language, and the call is a task leased to that operator', async () => {
      const r = rig();
      const people = citizens(2, 2, 0, 'A').map((c, i) => ({ ...c, phone: phone(i), language: i === 0 ? 'it' : 'de' }));
      await invite(people);
      await operators(r, [
        { id: 'op-it-1', languages: ['it'], phone: opPhone(1) },
        { id: 'op-it-2', languages: ['it', 'en'], phone: opPhone(2) },
        { id: 'op-de', languages: ['de'], phone: opPhone(3) },
      ]);
      const line = lineOf(r);
      // op-it-2 has waited longest: ready first.
      await line.setReady('op-it-2', true);
      await new Promise((res) => setTimeout(res, 5));
      await line.setReady('op-it-1', true);

      const call = await r.sandbox.ring({ webhookUrl: `${r.server.publicUrl}${VOICE_PATHS.inbound}`, from: phone(0), keys: ['3'] });
      expect(call.queue).toMatchObject({ queue: 'invito-it', result: 'bridged' });
      expect(callsTo(r, opPhone(2))).toHaveLength(1);
      expect(callsTo(r, opPhone(1))).toHaveLength(0);
      expect(call.queue!.operatorLeg).toBe(callsTo(r, opPhone(2))[0]!.id);
      await r.sandbox.idle();

      const row = await r.t.store.line.lineCall(call.callSid);
      expect(row).toMatchObject({ language: 'it', citizenId: 'A00000', operatorId: 'op-it-2', state: 'ended', taskId: lineTaskId(call.callSid) });
      expect(row!.answeredAt).not.toBeNull();
      const task = await r.t.store.db.selectFrom('call_tasks').selectAll().where('task_id', '=', lineTaskId(call.callSid)).executeTakeFirstOrThrow();
      expect([task.state, task.lease_operator, task.citizen_id, task.language]).toEqual(['leased', 'op-it-2', 'A00000', 'it']);
      // The operator's screen is the outbound call's: the desk gives them the card of that task.
      const card = await new Desk({ store: r.t.store.desk }).card('op-it-2', task.task_id);
      expect(card.citizen.citizenId).toBe('A00000');
      // Their call over, op-it-2 is ready again and free, idle from now: op-it-1 is next.
      const after = await r.t.store.line.lineOperator('op-it-2');
      expect([after!.ready, after!.onCall]).toEqual([true, null]);

      // The German caller goes to the German queue, and only op-de is dialled.
      await line.setReady('op-de', true);
      const de = await r.sandbox.ring({ webhookUrl: `${r.server.publicUrl}${VOICE_PATHS.inbound}`, from: phone(1), keys: ['3'] });
      expect(de.queue).toMatchObject({ queue: 'invito-de', result: 'bridged' });
      expect(callsTo(r, opPhone(3))).toHaveLength(1);
      expect(callsTo(r, opPhone(1))).toHaveLength(0);
    });

    it('two operators ready at the same moment for one waiting caller: exactly one is dialled and gets the call', async () => {
      const r = rig();
      const people = citizens(1, 1, 0, 'B').map((c) => ({ ...c, phone: phone(10), language: 'it' }));
      await invite(people);
      await operators(r, [
        { id: 'ana', languages: ['it'], phone: opPhone(10) },
        { id: 'bea', languages: ['it'], phone: opPhone(11) },
      ]);
      const ringing = r.sandbox.ring({ webhookUrl: `${r.server.publicUrl}${VOICE_PATHS.inbound}`, from: phone(10), keys: ['3'] });
      await until('the caller waits', async () => (await r.t.store.line.lineCalls('1970-01-01T00:00:00Z')).some((c) => c.state === 'waiting'));
      // Two server processes, one operator each, click "ready" at once.
      await Promise.all([lineOf(r).setReady('ana', true), lineOf(r).setReady('bea', true)]);
      const call = await ringing;
      expect(call.queue?.result).toBe('bridged');
      const dialled = [...callsTo(r, opPhone(10)), ...callsTo(r, opPhone(11))];
      expect(dialled).toHaveLength(1);
      const row = await r.t.store.line.lineCall(call.callSid);
      expect(row!.operatorId).toBe(dialled[0]!.to === opPhone(10) ? 'ana' : 'bea');
    });

    it('with nobody ready in the caller\'s language, the caller waits, leaves past the wait and is offered a callback, which becomes a call task; the service level counts them', async () => {
      const r = rig();
      const people = citizens(1, 1, 0, 'C').map((c) => ({ ...c, phone: phone(20), language: 'de' }));
      await invite(people, 'acd', 1);
      await operators(r, [{ id: 'solo-it', languages: ['it'], phone: opPhone(20) }]);
      await lineOf(r).setReady('solo-it', true);
      const call = await r.sandbox.ring({ webhookUrl: `${r.server.publicUrl}${VOICE_PATHS.inbound}`, from: phone(20), keys: ['3', '1'] });
      expect(call.queue).toMatchObject({ queue: 'invito-de', result: 'leave' });
      expect(call.queue!.queueTimeS).toBeGreaterThanOrEqual(60);
      expect(call.turns.at(-1)!.twiml).toMatch(/<Say language="de-DE">[^<]*<\/Say><Hangup\/>/);
      expect(r.sandbox.outbox().calls.filter((c) => c.to === opPhone(20))).toHaveLength(0);
      const tasks = await r.t.store.db.selectFrom('call_tasks').select(['citizen_id', 'state', 'language', 'triage']).execute();
      expect(tasks).toEqual([{ citizen_id: 'C00000', state: 'open', language: 'de', triage: 1 }]);
      const view = await lineOf(r).view();
      expect(view.queues).toEqual(expect.arrayContaining([expect.objectContaining({ language: 'de', waiting: 0, ready: 0 }), expect.objectContaining({ language: 'it', waiting: 0, ready: 1 })]));
      expect(view.hours.at(-1)).toMatchObject({ offered: 1, answered: 0, answeredInTime: 0, serviceLevel: 0 });
    });

    it('an operator who does not pick up is no longer ready, and the caller goes to the next one', async () => {
      const r = rig();
      const people = citizens(1, 1, 0, 'D').map((c) => ({ ...c, phone: phone(30), language: 'it' }));
      await invite(people);
      await operators(r, [
        { id: 'away', languages: ['it'], phone: opPhone(30) },
        { id: 'here', languages: ['it'], phone: opPhone(31) },
      ]);
      const line = lineOf(r);
      await line.setReady('away', true);
      r.sandbox.setConfig({ callNoAnswerShare: 1 });
      const ringing = r.sandbox.ring({ webhookUrl: `${r.server.publicUrl}${VOICE_PATHS.inbound}`, from: phone(30), keys: ['3'] });
      await until('away was not answered', async () => (await r.t.store.line.lineOperator('away'))!.ready === false);
      r.sandbox.setConfig({ callNoAnswerShare: 0 });
      await line.setReady('here', true);
      const call = await ringing;
      expect(call.queue?.result).toBe('bridged');
      expect((await r.t.store.line.lineCall(call.callSid))!.operatorId).toBe('here');
    });

    it('a caller who hangs up while waiting has left the queue, and counts as not answered in the hour', async () => {
      const r = rig();
      const people = citizens(1, 1, 0, 'E').map((c) => ({ ...c, phone: phone(40), language: 'it' }));
      await invite(people);
      const call = await r.sandbox.ring({ webhookUrl: `${r.server.publicUrl}${VOICE_PATHS.inbound}`, from: phone(40), keys: ['3'], hangUpAfterS: 40 });
      expect(call.queue).toMatchObject({ queue: 'invito-it', result: 'hangup' });
      expect(r.sandbox.waiting('invito-it')).toEqual([]);
      expect(await r.t.store.line.lineCall(call.callSid)).toMatchObject({ state: 'left', result: 'hangup', answeredAt: null });
      // Nobody asked to be called back: no task.
      expect(await r.t.store.db.selectFrom('call_tasks').select('task_id').execute()).toEqual([]);
      expect((await lineOf(r).view()).hours.at(-1)).toMatchObject({ offered: 1, answered: 0, serviceLevel: 0 });
    });

    it('"ready for inbound" needs a phone on the account', async () => {
      const r = rig();
      await new Desk({ store: r.t.store.desk }).addOperator({ operatorId: 'nophone', name: 'N', languages: ['it'] });
      await expect(lineOf(r).setReady('nophone', true)).rejects.toMatchObject({ code: 'OPERATOR_NO_PHONE' });
    });
  });
}

describe('the service level', () => {
  it('is the share of the calls entering a queue in an hour that an operator answered within 60 s', () => {
    const c = (enq: string, answered: string | null) => ({ callSid: enq, language: 'it', citizenId: null, messageId: null, state: 'ended' as const, enqueuedAt: enq, operatorId: null, taskId: null, answeredAt: answered, endedAt: null, result: null });
    const levels = serviceLevels([
      c('2026-12-07T09:05:00.000Z', '2026-12-07T09:05:59.000Z'),
      c('2026-12-07T09:10:00.000Z', '2026-12-07T09:11:00.000Z'),
      c('2026-12-07T09:20:00.000Z', '2026-12-07T09:21:01.000Z'),
      c('2026-12-07T09:30:00.000Z', null),
      c('2026-12-07T10:00:00.000Z', '2026-12-07T10:00:10.000Z'),
    ]);
    expect(levels).toEqual([
      { hour: '2026-12-07T09:00:00.000Z', offered: 4, answered: 3, answeredInTime: 2, serviceLevel: 0.5 },
      { hour: '2026-12-07T10:00:00.000Z', offered: 1, answered: 1, answeredInTime: 1, serviceLevel: 1 },
    ]);
  });
});

describe.skipIf(!DIALECTS.find((d) => d.name === 'postgres')?.available)('ten operators ready at once on postgres, over connections of their own', () => {
  it('pairs three waiting callers with three operators, no caller twice and no operator twice', async () => {
    const t = await DIALECTS.find((d) => d.name === 'postgres')!.open();
    const extra: Kysely<Database>[] = [];
    try {
      const desk = new Desk({ store: t.store.desk });
      const at = new Date().toISOString();
      for (let i = 0; i < 10; i++) {
        await desk.addOperator({ operatorId: `op${i}`, name: `op${i}`, languages: ['it'] });
        await t.store.line.setPhone(`op${i}`, opPhone(100 + i));
        await t.store.line.setReady(`op${i}`, true, at);
      }
      for (let i = 0; i < 3; i++) await t.store.line.enqueue({ callSid: `CA${String(i).padStart(32, '0')}`, language: 'it', citizenId: null, messageId: null, at });
      const schema = (await sql<{ s: string }>`select current_schema() as s`.execute(t.store.db)).rows[0]!.s;
      for (let i = 0; i < 10; i++) extra.push(new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: PG_URL, max: 1, options: `-c search_path=${schema}` }) }) }));
      const pairs = (await Promise.all(extra.map((db) => new KyselyLineStore(db, 'postgres').claimPair('it', at)))).filter((p) => p !== null);
      expect(pairs).toHaveLength(3);
      expect(new Set(pairs.map((p) => p.call.callSid)).size).toBe(3);
      expect(new Set(pairs.map((p) => p.operator.operatorId)).size).toBe(3);
      const busy = await t.store.db.selectFrom('operators').select(['operator_id', 'inbound_call']).where('inbound_call', 'is not', null).execute();
      expect(busy).toHaveLength(3);
    } finally {
      for (const db of extra) await db.destroy();
      await t.dispose();
    }
  });
});
