/** Operators' passwords and sign-in: scrypt hashes that verify, and one answer for every failure. */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { InvitoError } from '../../src/core/errors.js';
import { Desk } from '../../src/desk/desk.js';
import { hashPassword, verifyPassword } from '../../src/desk/password.js';
import { DIALECTS } from '../support/stores.js';

describe('password hashing', () => {
  it('hashes with scrypt N=2^15 r=8 p=1 and a fresh 16-byte salt, and verifies only the right password', async () => {
    const a = await hashPassword('correct horse');
    const b = await hashPassword('correct horse');
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse', a)).toBe(true);
    expect(await verifyPassword('correct horsE', a)).toBe(false);
    expect(await verifyPassword('', a)).toBe(false);
  });

  it('never matches a missing, malformed or tampered hash (and refuses huge parameters)', async () => {
    const h = await hashPassword('pw-pw-pw-pw');
    expect(await verifyPassword('pw-pw-pw-pw', null)).toBe(false);
    expect(await verifyPassword('pw-pw-pw-pw', 'plain')).toBe(false);
    expect(await verifyPassword('pw-pw-pw-pw', h.replace('$32768$', '$1073741824$'))).toBe(false);
    const parts = h.split('$');
    parts[5] = parts[5]!.slice(0, -2) + (parts[5]!.endsWith('AA') ? 'AB' : 'AA');
    expect(await verifyPassword('pw-pw-pw-pw', parts.join('$'))).toBe(false);
  });
});

const sqlite = DIALECTS.find((d) => d.name === 'sqlite')!;

describe('sign-in', () => {
  it('signs in with the right password and marks the operator seen; every failure is SIGN_IN_FAILED', async () => {
    const t = await sqlite.open();
    try {
      const desk = new Desk({ store: t.store.desk, clock: new ManualClock('2021-03-01T09:00:00Z') });
      await desk.addOperator({ operatorId: 'ana', name: 'Ana', languages: ['it'], password: 'a long secret' });
      await desk.addOperator({ operatorId: 'nopw', name: 'No password', languages: ['it'] });
      await desk.addOperator({ operatorId: 'gone', name: 'Gone', languages: ['it'], password: 'a long secret' });
      await desk.disableOperator('gone');
      expect(await desk.authenticate('ana', 'a long secret')).toMatchObject({ operatorId: 'ana', lastSeenAt: '2021-03-01T09:00:00.000Z' });
      for (const [id, pw] of [['ana', 'wrong secret'], ['nobody', 'a long secret'], ['nopw', ''], ['gone', 'a long secret']] as const) {
        await expect(desk.authenticate(id, pw)).rejects.toMatchObject({ code: 'SIGN_IN_FAILED', message: 'unknown operator or wrong password' });
      }
      await expect(desk.addOperator({ operatorId: 'short', name: 'S', languages: ['it'], password: 'short' })).rejects.toBeInstanceOf(InvitoError);
      await expect(desk.addOperator({ operatorId: 'bad id!', name: 'S', languages: ['it'] })).rejects.toMatchObject({ code: 'USAGE' });
      await expect(desk.addOperator({ operatorId: 'x', name: 'S', languages: ['ita'] })).rejects.toMatchObject({ code: 'USAGE' });
      expect((await desk.operators()).map((o) => o.operatorId)).toEqual(['ana', 'gone', 'nopw']);
    } finally {
      await t.dispose();
    }
  });
});
