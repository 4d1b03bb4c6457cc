/**
 * The unit of work (`store.transaction`): the repository calls a layer makes through `tx` commit
 * together or not at all, and a unit of work begun inside another joins it — on both dialects.
 * The appointments repository is one of them: inside a unit of work it reads and writes through
 * the transaction (a read through the pool would wait forever on SQLite's one connection).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cohortQuery } from '../../src/cohort/criteria.js';
import { campaign } from '../support/dispatch.js';
import { DIALECTS, type TestStore } from '../support/stores.js';

const AT = '2021-03-01T08:00:00.000Z';
const DAY = '2021-03-01';

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.available)(`store.transaction on ${dialect.name}`, () => {
    let t: TestStore;
    beforeEach(async () => {
      t = await dialect.open();
    });
    afterEach(async () => {
      await t.dispose();
    });

    it('commits several repository calls together: the campaign, its pacing day and the count are all there afterwards', async () => {
      const c = campaign('uow-commit', '[sms]');
      const result = await t.store.transaction(async (tx) => {
        await tx.campaignRecords.create(c, 5, AT);
        await tx.pacing.open(c.id, DAY, 40, AT);
        return tx.pacing.addReleased(c.id, DAY, 3, AT);
      });
      expect(result).toBe(3);
      expect((await t.store.campaignRecords.get(c.id))?.releaseRate).toBe(5);
      expect(await t.store.pacing.day(c.id, DAY)).toEqual({ day: DAY, target: 40, released: 3 });
    });

    it('rolls every call back when the function throws: nothing it wrote is left', async () => {
      const c = campaign('uow-rollback', '[sms]');
      const failure = await t.store
        .transaction(async (tx) => {
          await tx.campaignRecords.create(c, 5, AT);
          await tx.pacing.open(c.id, DAY, 40, AT);
          throw new Error('stop here');
        })
        .catch((e: unknown) => e);
      expect((failure as Error).message).toBe('stop here');
      expect(await t.store.campaignRecords.get(c.id)).toBeNull();
      expect(await t.store.pacing.day(c.id, DAY)).toBeNull();
      // The store is usable afterwards (the connection was given back, no transaction left open).
      await t.store.campaignRecords.create(c, 7, AT);
      expect((await t.store.campaignRecords.get(c.id))?.releaseRate).toBe(7);
    });

    it('a transaction begun inside another joins it: the inner calls roll back with the outer one, and commit with it', async () => {
      const c = campaign('uow-nested', '[sms]');
      await t.store
        .transaction(async (tx) => {
          await tx.campaignRecords.create(c, 5, AT);
          await tx.transaction(async (inner) => inner.pacing.open(c.id, DAY, 40, AT));
          // Inside the outer one the inner one's write is already visible.
          expect(await tx.pacing.day(c.id, DAY)).toMatchObject({ target: 40 });
          throw new Error('undo both');
        })
        .catch(() => {});
      expect(await t.store.campaignRecords.get(c.id)).toBeNull();
      expect(await t.store.pacing.day(c.id, DAY)).toBeNull();

      await t.store.transaction(async (tx) => {
        await tx.campaignRecords.create(c, 5, AT);
        // A repository call that opens its own unit of work (the cohort selection) joins too.
        await tx.transaction(async (inner) => inner.pacing.open(c.id, DAY, 40, AT));
        expect(await tx.campaignRecords.selectRecipients(c, cohortQuery(c), AT)).toBe(0);
      });
      expect(await t.store.campaignRecords.get(c.id)).not.toBeNull();
      expect(await t.store.pacing.day(c.id, DAY)).toMatchObject({ target: 40, released: 0 });
    });

    it('store.transaction called inside a unit of work (by code handed the store, not tx) joins it instead of waiting for the connection', async () => {
      const c = campaign('uow-store-inside', '[sms]');
      await t.store
        .transaction(async (tx) => {
          await tx.campaignRecords.create(c, 5, AT);
          // On SQLite a second transaction here would wait for ever for the connection the first holds.
          await t.store.transaction(async (inner) => inner.pacing.open(c.id, DAY, 40, AT));
          expect(await tx.pacing.day(c.id, DAY)).toMatchObject({ target: 40 });
          throw new Error('undo both');
        })
        .catch(() => {});
      expect(await t.store.campaignRecords.get(c.id)).toBeNull();
      expect(await t.store.pacing.day(c.id, DAY)).toBeNull();
      // After the unit of work has ended, a transaction opens on its own again.
      await t.store.transaction(async (tx) => tx.campaignRecords.create(c, 6, AT));
      expect((await t.store.campaignRecords.get(c.id))?.releaseRate).toBe(6);
    });

    it('the appointments repository works inside a unit of work: candidates and allocation go through it and roll back with it', async () => {
      const centre = { center_id: 'A', name: 'Centro A', region: 'LAZ', asl: 'RM1', municipality: 'Roma', address: null, daily_capacity: 4, opening: 'mon-sat 08:00-20:00', catchment: ['RM1'], line: 1 };
      await t.store.registry.writeCenters('r', [centre]);
      const place = { region: 'LAZ', asl: 'RM1', municipality: 'Roma' };
      const request = (centers: Awaited<ReturnType<typeof t.store.appointments.candidates>>) => ({
        appointmentId: 'uow.invite.c1', campaignId: 'uow', citizenId: 'c1', centers, fromDay: DAY, toDay: DAY,
        isClosedDay: () => false, timezone: 'Europe/Rome', slotMinutes: 15, at: AT,
      });
      await t.store
        .transaction(async (tx) => {
          // A cache miss inside the unit of work: read through its transaction, not the pool.
          const centers = await tx.appointments.candidates(place);
          expect(centers.map((x) => x.centerId)).toEqual(['A']);
          const [a] = await tx.appointments.allocateAll([request(centers)]);
          expect(a).toMatchObject({ centerId: 'A', day: DAY, seq: 0, state: 'held' });
          expect(await tx.appointments.appointment('uow.invite.c1')).toMatchObject({ state: 'held' });
          throw new Error('undo the allocation');
        })
        .catch(() => {});
      expect(await t.store.appointments.appointment('uow.invite.c1')).toBeNull();
      expect(await t.store.appointments.openSlots(['A'], DAY)).toBe(4);
      // One centre cache per store: the answer read inside the unit of work is the pool's too.
      expect(await t.store.appointments.candidates(place)).toBe(await t.store.transaction((tx) => tx.appointments.candidates(place)));
    });
  });
}
