/**
 * The call desk's rules on both dialects: which task goes to whom and when, leases, recycling,
 * callbacks, call windows, languages, do-not-call, invalid input, and what outcomes do to the
 * invitation's appointment.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvitoError } from '../../src/core/errors.js';
import { DISPOSITIONS, type Desk } from '../../src/desk/desk.js';
import type { ManualClock } from '../../src/core/clock.js';
import { releaseAppointment } from '../../src/store/slots.js';
import { atomically } from '../../src/store/unit-of-work.js';
import { DIALECTS, type TestStore } from '../support/stores.js';
import { attemptCount, callWorld, deskAt, MINUTE, MONDAY, taskRow, type World } from './support.js';

const code = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
  } catch (e) {
    if (e instanceof InvitoError) return e.code;
    throw e;
  }
  return 'no error';
};

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.available)(`call desk on ${dialect.name}`, () => {
    let t: TestStore;
    let desk: Desk;
    let clock: ManualClock;
    beforeEach(async () => {
      t = await dialect.open();
      ({ desk, clock } = deskAt(t.store));
    });
    afterEach(async () => {
      await t.dispose();
    });

    const operators = async (...ids: string[]) => {
      for (const id of ids) await desk.addOperator({ operatorId: id, name: `Operator ${id}`, languages: ['it', 'de'] });
    };

    describe('the list', () => {
      let w: World;
      beforeEach(async () => {
        w = await callWorld(t.store, { n: 10 });
        await operators('ana', 'bo');
      });

      it('hands tasks in the campaign priority order, leased to the operator who asked', async () => {
        const first = await desk.next('ana');
        const second = await desk.next('bo');
        expect(first?.task.taskId).toBe(w.tasks[0]);
        expect(second?.task.taskId).toBe(w.tasks[1]);
        expect(first?.task).toMatchObject({ state: 'leased', leaseOperator: 'ana', leaseUntil: new Date(Date.parse(MONDAY) + 10 * MINUTE).toISOString() });
      });

      it('gives an operator holding a live lease the same task again', async () => {
        const first = await desk.next('ana');
        clock.advance(3 * MINUTE);
        const again = await desk.next('ana');
        expect(again?.task.taskId).toBe(first?.task.taskId);
        // The lease is renewed from now.
        expect(again?.task.leaseUntil).toBe(new Date(Date.parse(MONDAY) + 13 * MINUTE).toISOString());
      });

      it('a lease that runs out puts the task back: another operator gets it, and the first can no longer record it', async () => {
        const first = await desk.next('ana');
        clock.advance(9 * MINUTE);
        expect((await desk.next('bo'))?.task.taskId).toBe(w.tasks[1]);
        clock.advance(2 * MINUTE); // ana's lease (10 minutes) has run out; bo's has not
        const taken = await desk.next('bo'); // bo holds a live lease: gets his own again
        expect(taken?.task.taskId).toBe(w.tasks[1]);
        await operators('cy');
        const back = await desk.next('cy');
        expect(back?.task.taskId).toBe(first?.task.taskId);
        const before = await taskRow(t.store, first!.task.taskId);
        expect(await code(desk.done('ana', first!.task.taskId, { disposition: 'booked' }))).toBe('TASK_NOT_YOURS');
        expect(await taskRow(t.store, first!.task.taskId)).toEqual(before);
      });

      it('uses the lease length of the campaign (calls.lease_minutes)', async () => {
        const other = await callWorld(t.store, { id: 'long', n: 2, prefix: 'L', extra: 'calls: { lease_minutes: 45, priority: 1 }', centers: false });
        // Same priority, lower seq first: the first task of either campaign; take until one of "long" comes.
        const seen: string[] = [];
        for (const op of ['o1', 'o2', 'o3', 'o4', 'o5', 'o6', 'o7', 'o8', 'o9', 'o10', 'o11', 'o12']) {
          await operators(op);
          const c = await desk.next(op);
          if (!c) break;
          seen.push(c.task.taskId);
          if (c.task.campaignId === 'long') {
            expect(c.task.leaseUntil).toBe(new Date(Date.parse(MONDAY) + 45 * MINUTE).toISOString());
            return;
          }
        }
        throw new Error(`no task of the long campaign among ${seen.join(', ')} (${other.tasks.join(', ')})`);
      });

      it('a disabled operator gets no call', async () => {
        await desk.disableOperator('ana');
        expect(await code(desk.next('ana'))).toBe('OPERATOR_DISABLED');
        expect(await code(desk.next('nobody'))).toBe('OPERATOR_NOT_FOUND');
      });

      it('the card has the citizen, the appointment, the messages, the script rendered and the tree', async () => {
        const card = (await desk.next('ana'))!;
        expect(card.citizen).toMatchObject({ citizenId: 'P00000', name: 'Anna Rossi', language: 'de', phone: '+393331000000' });
        expect(card.citizen.age).toBeGreaterThanOrEqual(60);
        expect(card.appointment).toMatchObject({ appointmentId: w.tasks[0], state: 'held', centerName: 'Nuvola' });
        expect(card.messages.map((m) => m.messageId)).toEqual([w.tasks[0]]);
        expect(card.script?.templateId).toBe('invite');
        expect(card.script?.language).toBe('de');
        expect(card.script?.text).toContain('Anna Rossi');
        expect(card.scriptError).toBeNull();
        expect(card.tree.start).toBe('identity');
        expect(Object.keys(card.tree.nodes)).toContain('offer');
        // Another operator may not open it; a supervisor may.
        expect(await code(desk.card('bo', card.task.taskId))).toBe('TASK_NOT_YOURS');
        await desk.addOperator({ operatorId: 'sup', name: 'Sup', languages: ['it'], role: 'supervisor' });
        expect((await desk.card('sup', card.task.taskId)).task.taskId).toBe(card.task.taskId);
      });
    });

    describe('recycling', () => {
      let w: World;
      beforeEach(async () => {
        w = await callWorld(t.store, { n: 1, extra: 'calls: { recycle: { busy: { after_minutes: 15, max_attempts: 6 } } }' });
        await operators('ana');
      });

      const rules = [
        ['no_answer', 120, 4],
        ['busy', 15, 6],
        ['voicemail', 240, 3],
      ] as const;
      for (const [disposition, after, max] of rules) {
        it(`${disposition}: called again after ${after} minutes, at most ${max} times, then closed as unreachable (slot freed)`, async () => {
          const id = w.tasks[0]!;
          for (let i = 1; i <= max; i++) {
            const card = await desk.next('ana');
            expect(card?.task.taskId).toBe(id);
            const r = await desk.done('ana', id, { disposition });
            expect(r.task.attempts).toBe(i);
            if (i < max) {
              expect(r.outcome).toBe('recycled');
              expect(r.task).toMatchObject({ state: 'open', lastDisposition: disposition });
              // Not before its time…
              clock.advance(after * MINUTE - 1000);
              expect(await desk.next('ana')).toBeNull();
              // …but once it is due (the window may push it to the next opening).
              clock.set(Math.max(clock.now().getTime() + 1000, Date.parse(r.task.dueAt!)));
            } else {
              expect(r.outcome).toBe('closed');
              expect(r.task).toMatchObject({ state: 'closed', closedReason: 'unreachable' });
            }
          }
          const appt = await t.store.db.selectFrom('appointments').select(['state', 'state_reason']).where('appointment_id', '=', id).executeTakeFirstOrThrow();
          expect(appt).toEqual({ state: 'released', state_reason: 'unreachable' });
          expect(await desk.next('ana')).toBeNull();
        });
      }

      it('a recycled task falling after the window closes is due when the window opens next', async () => {
        clock.set('2021-03-01T17:30:00.000Z'); // 18:30 in Rome, window until 19:00
        await desk.next('ana');
        const r = await desk.done('ana', w.tasks[0]!, { disposition: 'no_answer' });
        expect(r.task.dueAt).toBe('2021-03-02T08:00:00.000Z'); // Tuesday 09:00 in Rome
      });
    });

    describe('callbacks', () => {
      let w: World;
      beforeEach(async () => {
        w = await callWorld(t.store, { n: 4 });
        await operators('ana', 'bo');
      });

      it('a callback for me comes back to me, at its time, before the rest of the list; nobody else gets it', async () => {
        const card = await desk.next('ana');
        const id = card!.task.taskId;
        const at = new Date(Date.parse(MONDAY) + 60 * MINUTE);
        const r = await desk.done('ana', id, { disposition: 'callback', callbackAt: at.toISOString(), callbackFor: 'me' });
        expect(r.outcome).toBe('callback');
        expect(r.task).toMatchObject({ state: 'open', dueAt: at.toISOString(), callbackOperator: 'ana' });
        expect((await desk.next('ana'))?.task.taskId).toBe(w.tasks[1]); // not yet due
        await desk.done('ana', w.tasks[1]!, { disposition: 'declined' });
        clock.set(at.getTime() + MINUTE);
        expect((await desk.next('bo'))?.task.taskId).toBe(w.tasks[2]); // bo never gets ana's callback
        expect((await desk.next('ana'))?.task.taskId).toBe(id); // ana gets it before w.tasks[3]
      });

      it('a callback for anyone goes to the first operator who asks once due, before the rest of the list', async () => {
        const id = (await desk.next('ana'))!.task.taskId;
        const at = new Date(Date.parse(MONDAY) + 30 * MINUTE);
        await desk.done('ana', id, { disposition: 'callback', callbackAt: at.toISOString(), callbackFor: 'anyone' });
        clock.set(at.getTime());
        expect((await desk.next('bo'))?.task.taskId).toBe(id);
      });

      it('a callback time may be given in the campaign\'s local time', async () => {
        const id = (await desk.next('ana'))!.task.taskId;
        const r = await desk.done('ana', id, { disposition: 'callback', callbackAt: '2021-03-02 15:30' });
        expect(r.task.dueAt).toBe('2021-03-02T14:30:00.000Z');
        expect(r.task.callbackOperator).toBe('ana');
      });
    });

    describe('call windows', () => {
      beforeEach(async () => {
        await callWorld(t.store, { n: 2 });
        await operators('ana');
      });

      it('no call outside the window (Monday 08:30 and 19:30 in Rome, and Sunday)', async () => {
        for (const at of ['2021-03-01T07:30:00.000Z', '2021-03-01T18:30:00.000Z', '2021-03-07T10:00:00.000Z']) {
          clock.set(at);
          expect(await desk.next('ana')).toBeNull();
        }
        expect(await t.store.db.selectFrom('call_tasks').select('task_id').where('state', '=', 'leased').execute()).toEqual([]);
      });

      it('calls inside the window (Monday 09:00 in Rome)', async () => {
        clock.set('2021-03-01T08:00:00.000Z');
        expect(await desk.next('ana')).not.toBeNull();
      });

      it('no call on a public holiday (2 June, Festa della Repubblica, a Wednesday)', async () => {
        clock.set('2021-06-02T09:00:00.000Z');
        expect(await desk.next('ana')).toBeNull();
        clock.set('2021-06-03T09:00:00.000Z');
        expect(await desk.next('ana')).not.toBeNull();
      });
    });

    it('routes tasks by language: an Italian-only operator never gets a German speaker', async () => {
      const w = await callWorld(t.store, { n: 6 }); // P00000 and P00005 speak German
      await desk.addOperator({ operatorId: 'it-only', name: 'Italian', languages: ['it'] });
      await desk.addOperator({ operatorId: 'de-only', name: 'German', languages: ['de'] });
      const it1 = await desk.next('it-only');
      expect(it1?.task.taskId).toBe(w.tasks[1]);
      expect(it1?.task.language).toBe('it');
      const de1 = await desk.next('de-only');
      expect(de1?.task.taskId).toBe(w.tasks[0]);
      await desk.done('de-only', de1!.task.taskId, { disposition: 'declined' });
      expect((await desk.next('de-only'))?.task.taskId).toBe(w.tasks[5]);
      await desk.done('de-only', w.tasks[5]!, { disposition: 'declined' });
      expect(await desk.next('de-only')).toBeNull();
    });

    it('do not call closes the citizen\'s tasks in every campaign and no campaign calls them again', async () => {
      const a = await callWorld(t.store, { id: 'first', n: 3 });
      const b = await callWorld(t.store, { id: 'second', n: 3, centers: false });
      await operators('ana', 'bo');
      // The same citizens are in both campaigns; P00000 leads both lists.
      const card = await desk.next('ana');
      expect(card?.task.citizenId).toBe('P00000');
      const r = await desk.done('ana', card!.task.taskId, { disposition: 'do_not_call' });
      expect(r.task).toMatchObject({ state: 'closed', closedReason: 'do_not_call' });
      const citizen = await t.store.db.selectFrom('citizens').select('do_not_call_at').where('citizen_id', '=', 'P00000').executeTakeFirstOrThrow();
      expect(citizen.do_not_call_at).toBe(MONDAY);
      const others = await t.store.db.selectFrom('call_tasks').select(['campaign_id', 'state', 'closed_reason']).where('citizen_id', '=', 'P00000').orderBy('campaign_id').execute();
      expect(others).toEqual([
        { campaign_id: 'first', state: 'closed', closed_reason: 'do_not_call' },
        { campaign_id: 'second', state: 'closed', closed_reason: 'do_not_call' },
      ]);
      // A task made later for that citizen (a third campaign) is closed, never handed out.
      await callWorld(t.store, { id: 'third', n: 1, centers: false });
      const handed: string[] = [];
      for (let c = await desk.next('bo'); c; c = await desk.next('bo')) {
        handed.push(c.task.citizenId);
        await desk.done('bo', c.task.taskId, { disposition: 'declined' });
      }
      expect(handed).not.toContain('P00000');
      expect(handed).toHaveLength(a.tasks.length - 1 + b.tasks.length - 1);
      const third = await t.store.db.selectFrom('call_tasks').select(['state', 'closed_reason']).where('campaign_id', '=', 'third').executeTakeFirstOrThrow();
      expect(third).toEqual({ state: 'closed', closed_reason: 'do_not_call' });
    });

    it('an opted-out citizen is never called: their task is closed as opted_out', async () => {
      const w = await callWorld(t.store, { n: 2 });
      await operators('ana');
      await t.store.db.updateTable('citizens').set({ opt_out: 1, opt_out_at: MONDAY }).where('citizen_id', '=', 'P00000').execute();
      expect((await desk.next('ana'))?.task.taskId).toBe(w.tasks[1]);
      expect(await taskRow(t.store, w.tasks[0]!)).toMatchObject({ state: 'closed', closed_reason: 'opted_out' });
    });

    describe('invalid input: a clear error and nothing changed', () => {
      let id: string;
      beforeEach(async () => {
        await callWorld(t.store, { n: 2 });
        await operators('ana', 'bo');
        id = (await desk.next('ana'))!.task.taskId;
      });

      const unchanged = async (p: () => Promise<unknown>, expected: string) => {
        const before = await taskRow(t.store, id);
        const appt = await t.store.db.selectFrom('appointments').selectAll().where('appointment_id', '=', id).executeTakeFirst();
        const attempts = await attemptCount(t.store);
        expect(await code(p())).toBe(expected);
        expect(await taskRow(t.store, id)).toEqual(before);
        expect(await t.store.db.selectFrom('appointments').selectAll().where('appointment_id', '=', id).executeTakeFirst()).toEqual(appt);
        expect(await attemptCount(t.store)).toBe(attempts);
      };

      it('an unknown disposition is DISPOSITION_UNKNOWN', async () => {
        await unchanged(() => desk.done('ana', id, { disposition: 'maybe' }), 'DISPOSITION_UNKNOWN');
      });

      it('a callback in the past, without a time, unreadable, outside the window or too far ahead is CALLBACK_INVALID', async () => {
        await unchanged(() => desk.done('ana', id, { disposition: 'callback', callbackAt: '2021-03-01T09:00:00Z' }), 'CALLBACK_INVALID');
        await unchanged(() => desk.done('ana', id, { disposition: 'callback' }), 'CALLBACK_INVALID');
        await unchanged(() => desk.done('ana', id, { disposition: 'callback', callbackAt: 'tomorrow' }), 'CALLBACK_INVALID');
        await unchanged(() => desk.done('ana', id, { disposition: 'callback', callbackAt: '2021-03-01 21:00' }), 'CALLBACK_INVALID');
        await unchanged(() => desk.done('ana', id, { disposition: 'callback', callbackAt: '2021-04-30 10:00' }), 'CALLBACK_INVALID');
        await unchanged(() => desk.done('ana', id, { disposition: 'busy', callbackAt: '2021-03-02 10:00' }), 'CALLBACK_INVALID');
      });

      it("another operator's task is TASK_NOT_YOURS", async () => {
        await unchanged(() => desk.done('bo', id, { disposition: 'booked' }), 'TASK_NOT_YOURS');
      });

      it('an unknown task is TASK_NOT_FOUND, a closed one TASK_STATE', async () => {
        expect(await code(desk.done('ana', 'nope', { disposition: 'booked' }))).toBe('TASK_NOT_FOUND');
        await desk.done('ana', id, { disposition: 'declined' });
        await unchanged(() => desk.done('ana', id, { disposition: 'booked' }), 'TASK_STATE');
      });

      it('answers the script does not have are USAGE', async () => {
        await unchanged(() => desk.done('ana', id, { disposition: 'booked', answers: { identity: 'perhaps' } }), 'USAGE');
        await unchanged(() => desk.done('ana', id, { disposition: 'booked', answers: { nowhere: 'yes' } }), 'USAGE');
      });
    });

    describe('outcomes feed the campaign', () => {
      let w: World;
      beforeEach(async () => {
        w = await callWorld(t.store, { n: 3 });
        await operators('ana');
      });
      const appointment = (id: string) => t.store.db.selectFrom('appointments').select(['state', 'state_reason', 'day', 'seq']).where('appointment_id', '=', id).executeTakeFirstOrThrow();
      const booked = async () => Number((await t.store.db.selectFrom('center_days').select((eb) => eb.fn.sum<number>('booked').as('n')).executeTakeFirstOrThrow()).n);

      it('booked confirms the appointment; the script answers are stored', async () => {
        const id = (await desk.next('ana'))!.task.taskId;
        const r = await desk.done('ana', id, { disposition: 'booked', answers: { identity: 'yes', vaccinated: 'no', offer: 'yes' }, note: 'fine' });
        expect(r.task).toMatchObject({ state: 'closed', closedReason: 'booked', answers: { identity: 'yes', vaccinated: 'no', offer: 'yes' }, triage: false });
        expect(await appointment(id)).toMatchObject({ state: 'confirmed' });
        const attempt = await t.store.db.selectFrom('call_attempts').selectAll().where('task_id', '=', id).executeTakeFirstOrThrow();
        expect(attempt).toMatchObject({ operator_id: 'ana', disposition: 'booked', note: 'fine' });
        expect(JSON.parse(attempt.answers!)).toEqual({ identity: 'yes', vaccinated: 'no', offer: 'yes' });
      });

      it('declined frees the slot', async () => {
        const before = await booked();
        const id = (await desk.next('ana'))!.task.taskId;
        await desk.done('ana', id, { disposition: 'declined' });
        expect(await appointment(id)).toMatchObject({ state: 'released', state_reason: 'declined' });
        expect(await booked()).toBe(before - 1);
      });

      it('booked on another day moves the appointment to a later day and confirms it', async () => {
        const id = (await desk.next('ana'))!.task.taskId;
        const old = await appointment(id);
        await desk.done('ana', id, { disposition: 'booked', otherSlot: true });
        const now = await appointment(id);
        expect(now.state).toBe('confirmed');
        expect(now.day > old.day).toBe(true);
      });

      it('booked after the citizen declined by SMS takes their place back while it is free; once it is gone, APPOINTMENT_STATE and nothing changed', async () => {
        const id = (await desk.next('ana'))!.task.taskId;
        await atomically(t.store.db, t.store.dialect, (trx) => releaseAppointment(trx, id, 'declined', MONDAY));
        await desk.done('ana', id, { disposition: 'booked' });
        expect(await appointment(id)).toMatchObject({ state: 'confirmed' });

        const other = (await desk.next('ana'))!.task.taskId;
        const place = await appointment(other);
        await atomically(t.store.db, t.store.dialect, (trx) => releaseAppointment(trx, other, 'declined', MONDAY));
        // Someone else takes the freed place.
        await t.store.db.updateTable('slots').set({ appointment_id: 'someone.else' }).where('day', '=', place.day).where('seq', '=', place.seq).execute();
        const before = await taskRow(t.store, other);
        expect(await code(desk.done('ana', other, { disposition: 'booked' }))).toBe('APPOINTMENT_STATE');
        expect(await taskRow(t.store, other)).toEqual(before);
        expect(await appointment(other)).toMatchObject({ state: 'released' });
      });

      it('a triage answer flags the task for a health worker', async () => {
        const id = (await desk.next('ana'))!.task.taskId;
        const r = await desk.done('ana', id, { disposition: 'callback', callbackAt: '2021-03-02 11:00', callbackFor: 'anyone', answers: { identity: 'yes', vaccinated: 'no', offer: 'worried', worries: 'later' }, note: 'asks about allergies' });
        expect(r.task.triage).toBe(true);
        expect((await desk.list({ triage: true })).map((x) => x.taskId)).toEqual([id]);
        expect(w.tasks).toContain(id);
      });
    });

    describe('supervisors', () => {
      let w: World;
      beforeEach(async () => {
        w = await callWorld(t.store, { n: 3 });
        await operators('ana', 'bo');
      });

      it('release puts a leased task back at once', async () => {
        const id = (await desk.next('ana'))!.task.taskId;
        const r = await desk.release(id);
        expect(r).toMatchObject({ state: 'open', leaseOperator: null });
        expect((await desk.next('bo'))?.task.taskId).toBe(id);
        expect(await code(desk.release(w.tasks[2]!))).toBe('TASK_STATE');
      });

      it('reassign hands the task to another operator, who gets it next', async () => {
        const id = (await desk.next('ana'))!.task.taskId;
        await desk.reassign(id, 'bo');
        expect((await desk.next('bo'))?.task.taskId).toBe(id);
        expect(await code(desk.done('ana', id, { disposition: 'booked' }))).toBe('TASK_NOT_YOURS');
        expect(await code(desk.reassign(id, 'ghost'))).toBe('OPERATOR_NOT_FOUND');
      });

      it('stats count the lists, the calls per hour and the outcomes per operator and per campaign', async () => {
        const a = (await desk.next('ana'))!.task.taskId;
        await desk.done('ana', a, { disposition: 'booked' });
        const b = (await desk.next('bo'))!.task.taskId;
        await desk.done('bo', b, { disposition: 'no_answer' });
        await desk.next('ana');
        const s = await desk.stats();
        expect(s.lists).toEqual([{ campaignId: 'calls', due: 0, waiting: 1, leased: 1, closed: 1 }]);
        expect(s.callsPerHour).toHaveLength(24);
        expect(s.callsPerHour.at(-1)).toEqual({ hour: '2021-03-01T09', calls: 2 });
        expect(s.byOperator).toEqual([
          { operatorId: 'ana', calls: 1, outcomes: { booked: 1 } },
          { operatorId: 'bo', calls: 1, outcomes: { no_answer: 1 } },
        ]);
        expect(s.byCampaign).toEqual([{ campaignId: 'calls', calls: 2, outcomes: { booked: 1, no_answer: 1 }, closed: { booked: 1 } }]);
        expect(s.onShift).toBe(2);
      });
    });

    it('the hopper wants operators on shift × calls per hour × hours, less the tasks already waiting', async () => {
      await callWorld(t.store, { n: 5, extra: 'calls: { calls_per_hour: 8, hopper_hours: 1, shift_idle_minutes: 30 }' });
      const now = new Date(MONDAY);
      expect(await desk.hopperRoom('calls', now)).toBe(0); // nobody on shift
      await operators('ana', 'bo');
      await desk.next('ana');
      await desk.next('bo');
      expect(await desk.hopperRoom('calls', now)).toBe(2 * 8 - 5);
      clock.advance(31 * MINUTE); // both idle past shift_idle_minutes
      expect(await desk.hopperRoom('calls', clock.now())).toBe(0);
      expect(await code(desk.hopperRoom('nope', now))).toBe('CAMPAIGN_NOT_FOUND');
    });

    it('the hopper counts only tasks an operator may work now: a campaign whose call window has closed leaves room for one still open', async () => {
      const calls = 'calls: { calls_per_hour: 8, hopper_hours: 1, shift_idle_minutes: 30 }';
      // "day": calls 09:00–19:00, six tasks waiting; "night": calls all day, two tasks.
      await callWorld(t.store, { id: 'day', n: 6, prefix: 'Q', extra: calls });
      await callWorld(t.store, { id: 'night', n: 2, prefix: 'R', extra: calls, always: true, centers: false });
      await operators('ana', 'bo');
      // 19:30 in Rome: "day"'s window is closed, so the two operators get "night"'s tasks.
      clock.advance(9 * 60 * MINUTE);
      expect((await desk.next('ana'))?.task.campaignId).toBe('night');
      expect((await desk.next('bo'))?.task.campaignId).toBe('night');
      // Two on shift × 8 an hour, less night's two leased tasks: day's six, which nobody may call
      // until tomorrow, do not fill the hopper.
      expect(await desk.hopperRoom('night', clock.now())).toBe(2 * 8 - 2);
      // In the morning both campaigns' tasks are workable and both count.
      clock.advance(14 * 60 * MINUTE);
      await desk.next('ana');
      await desk.next('bo');
      expect(await desk.hopperRoom('night', clock.now())).toBe(2 * 8 - 8);
    });

    it('every disposition of the catalogue is accepted', async () => {
      const w = await callWorld(t.store, { n: DISPOSITIONS.length });
      await operators('ana');
      for (const d of DISPOSITIONS) {
        const card = await desk.next('ana');
        expect(card, `a task for ${d}`).not.toBeNull();
        const r = await desk.done('ana', card!.task.taskId, d === 'callback' ? { disposition: d, callbackAt: '2021-03-02 10:00' } : { disposition: d });
        expect(r.attempt.disposition).toBe(d);
      }
      expect(await attemptCount(t.store)).toBe(w.tasks.length);
    });
  });
}
