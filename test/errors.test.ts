import { describe, expect, it } from 'vitest';
import { internalError } from '../src/core/errors.js';

describe('an error outside the catalogue, as users and logs see it', () => {
  it('is INTERNAL naming its kind and code, never its message (a driver can quote the row it was writing)', () => {
    const driver = Object.assign(new TypeError('invalid input syntax for type integer: "Mario Rossi"'), { code: '22P02' });
    const e = internalError(driver);
    expect(e.code).toBe('INTERNAL');
    expect(e.exit).toBe(1);
    expect(e.message).toBe('internal error (TypeError 22P02)');
    expect(JSON.stringify(e.toJSON())).not.toContain('Mario');
    expect(e.cause).toBe(driver);
    expect(internalError('boom').message).toBe('internal error (string)');
  });
});
