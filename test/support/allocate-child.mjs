// A worker process for the SQLite overbooking test: opens the store file the test made, and
// allocates appointments one after another (candidates found through the store, as the pacer
// does) while its siblings do the same. Runs the built code (dist/), so `npm test` builds first.
//
// usage: node allocate-child.mjs DB_FILE PREFIX COUNT FROM_DAY TO_DAY
// prints one JSON line: {"allocated": n, "noSlot": n}
import { KyselyStore } from '../../dist/store/index.js';

const [file, prefix, count, fromDay, toDay] = process.argv.slice(2);
const store = await KyselyStore.open(file);
let allocated = 0;
let noSlot = 0;
try {
  for (let i = 0; i < Number(count); i++) {
    const citizenId = `${prefix}${i}`;
    const centers = await store.appointments.candidates({ region: 'LAZ', asl: 'RM1', municipality: 'Roma' });
    try {
      await store.appointments.allocate({
        appointmentId: `conc.invite.${citizenId}`, campaignId: 'conc', citizenId, centers, fromDay, toDay,
        isClosedDay: () => false, timezone: 'Europe/Rome', slotMinutes: 15, at: '2021-02-26T09:00:00.000Z',
      });
      allocated++;
    } catch (e) {
      if (e?.code !== 'NO_SLOT') throw e;
      noSlot++;
    }
  }
} finally {
  await store.close();
}
process.stdout.write(`${JSON.stringify({ allocated, noSlot })}\n`);
