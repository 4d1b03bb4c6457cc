/**
 * One citizen at a glance in the console (issue 13, item 5) and the replies nobody understood
 * (item 1): both for signed-in operators and supervisors, the read mark a CSRF-checked POST.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, type TestStore } from '../support/stores.js';
import { CALL_TIME, Client, type ConsoleWorld, seedCalls, startConsole } from './console-support.js';

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.available)(`the console's citizen page and replies to read on ${dialect.name}`, () => {
    let t: TestStore;
    let w: ConsoleWorld;
    let client: Client;
    beforeEach(async () => {
      t = await dialect.open();
      await seedCalls(t.store, 2);
      w = await startConsole(t.store);
      await w.desk.addOperator({ operatorId: 'op1', name: 'Olga Operatrice', languages: ['it'], password: 'correct horse battery staple' });
      client = new Client(w.server.url);
    });
    afterEach(async () => {
      await w.server.close();
      await t.dispose();
    });

    it('an operator sees a citizen: registry row, messages and replies; an unknown id is CITIZEN_NOT_FOUND; a page needs a session', async () => {
      expect((await client.get('/console/citizens/c1')).status).toBe(303);
      await client.signIn('op1');
      await t.store.feedback.recordResponse({ responseId: 'SM1', citizenId: 'c1', messageId: null, channel: 'sms', kind: 'reply', body: 'chi siete?', at: CALL_TIME, action: 'not_understood' });
      const page = await client.get('/console/citizens/c1');
      expect(page.status).toBe(200);
      expect(page.text).toContain('<h1 id="who">Maria');
      expect(page.text).toContain('href="tel:+393331110001"');
      expect(page.text).toMatch(/<strong>invite<\/strong>: call sent/);
      expect(page.text).toMatch(/<strong>reply<\/strong> by sms → not_understood/);
      const missing = await client.get('/console/citizens/nobody');
      expect([missing.status, missing.headers.get('x-invito-error')]).toEqual([404, 'CITIZEN_NOT_FOUND']);
    });

    it('a text nobody understood waits in "Replies to read" with a link to the citizen until an operator marks it read (POST with the CSRF token)', async () => {
      await t.store.feedback.recordResponse({ responseId: 'SM2', citizenId: 'c2', messageId: null, channel: 'sms', kind: 'reply', body: 'sono in vacanza', at: CALL_TIME, action: 'not_understood' });
      await t.store.feedback.recordResponse({ responseId: 'SM3', citizenId: 'c2', messageId: null, channel: 'sms', kind: 'confirm', body: 'SI', at: CALL_TIME, action: 'confirmed' });
      await client.signIn('op1');
      const list = await client.get('/console/replies');
      expect(list.status).toBe(200);
      expect(list.text).toContain('sono in vacanza');
      expect(list.text).not.toContain('>SI<');
      expect(list.text).toContain('href="/console/citizens/c2"');
      const forged = await client.post('/console/replies/SM2/read', { _csrf: 'wrong' });
      expect(forged.status).toBe(403);
      const read = await client.post('/console/replies/SM2/read', { _csrf: client.token });
      expect([read.status, read.location]).toEqual([303, '/console/replies?read=1']);
      expect((await client.get('/console/replies')).text).toContain('Nothing to read.');
      const row = await t.store.db.selectFrom('responses').select(['read_by']).where('response_id', '=', 'SM2').executeTakeFirstOrThrow();
      expect(row.read_by).toBe('op1');
    });
  });
}
