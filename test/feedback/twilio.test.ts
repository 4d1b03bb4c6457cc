/** Reading Twilio's webhooks: which statuses are receipts and which replies are opt-outs. */
import { describe, expect, it } from 'vitest';
import { normaliseReply, optOutKeyword, readStatusCallback } from '../../src/feedback/twilio.js';

describe('opt-out keywords', () => {
  it('the Italian keywords and Twilio standard ones opt out in any case, with surrounding spaces, punctuation or emoji', () => {
    const cases: [string, string][] = [
      ['STOP', 'STOP'], ['stop', 'STOP'], [' Stop. ', 'STOP'], ['Arresta!', 'ARRESTA'], ['stopp', 'STOPP'], ['«cancella»', 'CANCELLA'],
      ['STOP 🙏', 'STOP'], ['ＳＴＯＰ', 'STOP'], ['\nunsubscribe\n', 'UNSUBSCRIBE'], ['StopAll', 'STOPALL'], ['cancel', 'CANCEL'],
      ['End', 'END'], ['quit', 'QUIT'],
    ];
    for (const [body, keyword] of cases) expect(optOutKeyword(body), body).toBe(keyword);
  });

  it('a reply that only contains a keyword among other words is not an opt-out', () => {
    for (const body of ['non stop', 'stop per favore', 'S T O P', 'stopped', 'arrestato', '', 'SI', 'No grazie']) expect(optOutKeyword(body), body).toBeNull();
  });

  it('normalising keeps inner punctuation: only the ends are stripped', () => {
    expect(normaliseReply('  sì, grazie! ')).toBe('SÌ, GRAZIE');
  });
});

describe('status callbacks as receipts', () => {
  it('SMS statuses: sent → sent, delivered and read → delivered, undelivered, failed and canceled → failed, the rest nothing', () => {
    const read = (s: string) => readStatusCallback({ MessageSid: 'SM1', MessageStatus: s })?.state;
    expect(['sent', 'delivered', 'read', 'undelivered', 'failed', 'canceled'].map(read)).toEqual(['sent', 'delivered', 'delivered', 'undelivered', 'failed', 'failed']);
    for (const s of ['queued', 'accepted', 'sending', 'receiving', 'received', 'scheduled', 'something-new']) expect(read(s), s).toBeNull();
  });

  it('call statuses: completed → delivered, busy and no-answer → undelivered, failed and canceled → failed, the rest nothing', () => {
    const read = (s: string) => readStatusCallback({ CallSid: 'CA1', CallStatus: s })?.state;
    expect(['completed', 'busy', 'no-answer', 'failed', 'canceled'].map(read)).toEqual(['delivered', 'undelivered', 'undelivered', 'failed', 'failed']);
    for (const s of ['queued', 'initiated', 'ringing', 'in-progress']) expect(read(s), s).toBeNull();
  });

  it('the ErrorCode is read when present and not empty; parameters of neither kind are not a callback', () => {
    expect(readStatusCallback({ MessageSid: 'SM1', MessageStatus: 'undelivered', ErrorCode: '30003' })).toEqual({
      providerId: 'SM1', kind: 'message', status: 'undelivered', state: 'undelivered', errorCode: '30003',
    });
    expect(readStatusCallback({ MessageSid: 'SM1', MessageStatus: 'delivered', ErrorCode: '' })?.errorCode).toBeNull();
    expect(readStatusCallback({ AccountSid: 'AC1' })).toBeNull();
    expect(readStatusCallback({ MessageSid: 'SM1' })).toBeNull();
  });
});
