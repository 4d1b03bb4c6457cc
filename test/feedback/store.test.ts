/**
 * The feedback store on both dialects: receipts only move a message forward, opt-outs stop
 * every unsent message of every campaign, and every write can be repeated.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, type TestStore } from '../support/stores.js';
import { citizen, citizenRow, messageRow, providerEvents, responses, seedCampaign, seedCitizens, seedMessage, states } from './support.js';

const T1 = '2021-03-01T09:01:00.000Z';
const T2 = '2021-03-01T09:02:00.000Z';
const T3 = '2021-03-01T09:03:00.000Z';

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.available)(`feedback store on ${dialect.name}`, () => {
    let t: TestStore;
    beforeEach(async () => {
      t = await dialect.open();
      await seedCitizens(t.store, [citizen('c1', '+393331110001'), citizen('c2', '+393331110002'), citizen('c3', '+393331110001')]);
      await seedCampaign(t.store, 'over80');
      await seedCampaign(t.store, 'booster');
    });
    afterEach(async () => {
      await t.dispose();
    });
    const feedback = () => t.store.feedback;

    describe('receipts', () => {
      it('a final receipt moves a sent message forward and stamps final_at', async () => {
        const id = await seedMessage(t.store, { campaign: 'over80', citizen: 'c1', state: 'sent', providerId: 'SM1' });
        expect(await feedback().applyReceipt('SM1', 'delivered', null, T1)).toEqual({ messageId: id, changed: true });
        expect(await messageRow(t.store, id)).toMatchObject({ state: 'delivered', final_at: T1, updated_at: T1, error_code: null });
      });

      it('a repeated receipt changes nothing and is stored once', async () => {
        const id = await seedMessage(t.store, { campaign: 'over80', citizen: 'c1', state: 'sent', providerId: 'SM1' });
        await feedback().applyReceipt('SM1', 'delivered', null, T1);
        expect(await feedback().applyReceipt('SM1', 'delivered', null, T2)).toEqual({ messageId: id, changed: false });
        expect(await messageRow(t.store, id)).toMatchObject({ state: 'delivered', final_at: T1, updated_at: T1 });
        expect(await providerEvents(t.store)).toEqual([{ provider_id: 'SM1', status: 'delivered', error_code: null, received_at: T1 }]);
      });

      it("a 'sent' receipt arriving after 'delivered' leaves 'delivered'", async () => {
        const id = await seedMessage(t.store, { campaign: 'over80', citizen: 'c1', state: 'sent', providerId: 'SM1' });
        await feedback().applyReceipt('SM1', 'delivered', null, T1);
        expect(await feedback().applyReceipt('SM1', 'sent', null, T2)).toEqual({ messageId: id, changed: false });
        expect((await messageRow(t.store, id)).state).toBe('delivered');
      });

      it("a final state is final: 'delivered' after 'undelivered' keeps 'undelivered' and its error code", async () => {
        const id = await seedMessage(t.store, { campaign: 'over80', citizen: 'c1', state: 'sent', providerId: 'SM1' });
        await feedback().applyReceipt('SM1', 'undelivered', '30003', T1);
        expect(await feedback().applyReceipt('SM1', 'delivered', null, T2)).toEqual({ messageId: id, changed: false });
        expect(await messageRow(t.store, id)).toMatchObject({ state: 'undelivered', error_code: '30003', final_at: T1 });
      });

      it("a 'sent' receipt for a sent message changes nothing but names the message", async () => {
        const id = await seedMessage(t.store, { campaign: 'over80', citizen: 'c1', state: 'sent', providerId: 'SM1' });
        expect(await feedback().applyReceipt('SM1', 'sent', null, T1)).toEqual({ messageId: id, changed: false });
        expect(await messageRow(t.store, id)).toMatchObject({ state: 'sent', updated_at: '2021-03-01T09:00:00.000Z' });
        expect(await providerEvents(t.store)).toHaveLength(1);
      });

      it('a receipt for a provider id no message has yet is kept for the worker', async () => {
        expect(await feedback().applyReceipt('SMunknown', 'failed', '30008', T1)).toEqual({ messageId: null, changed: false });
        expect(await providerEvents(t.store)).toEqual([{ provider_id: 'SMunknown', status: 'failed', error_code: '30008', received_at: T1 }]);
      });

      it('of two concurrent contradicting final receipts exactly one wins', async () => {
        const id = await seedMessage(t.store, { campaign: 'over80', citizen: 'c1', state: 'sent', providerId: 'SM1' });
        const results = await Promise.all([
          feedback().applyReceipt('SM1', 'delivered', null, T1),
          feedback().applyReceipt('SM1', 'undelivered', '30005', T1),
          feedback().applyReceipt('SM1', 'failed', '30008', T1),
        ]);
        expect(results.filter((r) => r.changed)).toHaveLength(1);
        const winner = ['delivered', 'undelivered', 'failed'][results.findIndex((r) => r.changed)];
        expect((await messageRow(t.store, id)).state).toBe(winner);
        expect(await providerEvents(t.store)).toHaveLength(3);
      });
    });

    describe('opt-outs', () => {
      async function seedInbox() {
        return {
          pending: await seedMessage(t.store, { campaign: 'over80', citizen: 'c1', state: 'pending' }),
          queued: await seedMessage(t.store, { campaign: 'booster', citizen: 'c1', state: 'queued' }),
          sent: await seedMessage(t.store, { campaign: 'over80', citizen: 'c1', step: 'reminder', state: 'sent', providerId: 'SM1' }),
          sending: await seedMessage(t.store, { campaign: 'booster', citizen: 'c1', step: 'reminder', state: 'sending' }),
          other: await seedMessage(t.store, { campaign: 'over80', citizen: 'c2', state: 'pending' }),
        };
      }

      it('by phone: every citizen with the number is opted out, their pending and queued messages in every campaign are stopped, sent ones stay', async () => {
        const m = await seedInbox();
        const c3 = await seedMessage(t.store, { campaign: 'booster', citizen: 'c3', state: 'queued' });
        expect(await feedback().optOutByPhone('+393331110001', 'sms:STOP', T1)).toEqual({ citizens: ['c1', 'c3'], messagesStopped: 3 });
        expect(await citizenRow(t.store, 'c1')).toEqual({ citizen_id: 'c1', opt_out: 1, opt_out_at: T1, opt_out_source: 'sms:STOP' });
        expect((await citizenRow(t.store, 'c2')).opt_out).toBe(0);
        expect(await states(t.store)).toEqual({
          [m.pending]: 'opted_out', [m.queued]: 'opted_out', [c3]: 'opted_out',
          [m.sent]: 'sent', [m.sending]: 'sending', [m.other]: 'pending',
        });
        expect(await messageRow(t.store, m.pending)).toMatchObject({ final_at: T1, updated_at: T1 });
      });

      it('a repeated opt-out counts no one again and keeps the first time and source', async () => {
        await seedInbox();
        await feedback().optOutByPhone('+393331110001', 'sms:STOP', T1);
        expect(await feedback().optOutByPhone('+393331110001', 'sms:ARRESTA', T2)).toEqual({ citizens: [], messagesStopped: 0 });
        expect(await feedback().optOutCitizen('c1', 'link', T3)).toEqual({ citizens: [], messagesStopped: 0 });
        expect(await citizenRow(t.store, 'c1')).toMatchObject({ opt_out_at: T1, opt_out_source: 'sms:STOP' });
      });

      it('by citizen: only that citizen, in every campaign', async () => {
        const m = await seedInbox();
        const c3 = await seedMessage(t.store, { campaign: 'booster', citizen: 'c3', state: 'queued' });
        expect(await feedback().optOutCitizen('c1', 'link', T1)).toEqual({ citizens: ['c1'], messagesStopped: 2 });
        expect(await citizenRow(t.store, 'c1')).toMatchObject({ opt_out: 1, opt_out_source: 'link' });
        expect((await citizenRow(t.store, 'c3')).opt_out).toBe(0);
        expect(await states(t.store)).toMatchObject({ [m.pending]: 'opted_out', [m.queued]: 'opted_out', [c3]: 'queued', [m.other]: 'pending' });
      });

      it('a later opt-out also stops messages created after an earlier one', async () => {
        await feedback().optOutCitizen('c1', 'link', T1);
        const late = await seedMessage(t.store, { campaign: 'booster', citizen: 'c1', state: 'pending' });
        expect(await feedback().optOutByPhone('+393331110001', 'sms:STOP', T2)).toEqual({ citizens: ['c3'], messagesStopped: 1 });
        expect((await messageRow(t.store, late)).state).toBe('opted_out');
      });

      it('an opt-out from a reply survives a re-import of the registry that says opt_out false', async () => {
        await feedback().optOutByPhone('+393331110002', 'sms:STOP', T1);
        await t.store.registry.writeCitizens('reimport', [citizen('c2', '+393331110002')]);
        expect(await citizenRow(t.store, 'c2')).toMatchObject({ opt_out: 1, opt_out_source: 'sms:STOP' });
      });
    });

    describe('responses and lookups', () => {
      it('a response is stored once: a repeat with the same id does not overwrite it', async () => {
        const r = { responseId: 'SMin1', citizenId: 'c1', messageId: null, channel: 'sms', kind: 'reply', body: 'Sì, grazie', at: T1 };
        await feedback().recordResponse(r);
        await feedback().recordResponse({ ...r, body: 'changed', at: T2 });
        expect(await responses(t.store)).toEqual([
          { response_id: 'SMin1', citizen_id: 'c1', message_id: null, channel: 'sms', kind: 'reply', body: 'Sì, grazie', received_at: T1, action: null, read_at: null, read_by: null },
        ]);
      });

      it('citizens are found by phone, in id order; an unknown number finds none', async () => {
        expect(await feedback().citizensByPhone('+393331110001')).toEqual(['c1', 'c3']);
        expect(await feedback().citizensByPhone('+390000000000')).toEqual([]);
      });

      it('a reply-link token names its message, campaign and citizen; an unknown one nothing', async () => {
        const id = await seedMessage(t.store, { campaign: 'booster', citizen: 'c2', state: 'sent', token: 'AbCdEfGhIjKlMnOpQrStUv' });
        expect(await feedback().messageByToken('AbCdEfGhIjKlMnOpQrStUv')).toEqual({ messageId: id, campaignId: 'booster', citizenId: 'c2' });
        expect(await feedback().messageByToken('abcdefghijklmnopqrstuv')).toBeNull();
      });
    });
  });
}
