/** The feedback rules as pure functions: which receipts move a message, free a slot, and what an answer does. */
import { describe, expect, it } from 'vitest';
import { receiptMovesFrom } from '../../src/core/lifecycle.js';
import { answerMove, answerOf, offeredAppointment, RECEIPT_RELEASES } from '../../src/feedback/rules.js';

const response = (over: Partial<Parameters<typeof answerOf>[0]>) => ({ responseId: 'r1', citizenId: 'c1', messageId: 'flu.invite.c1', channel: 'link', kind: 'confirm', body: null, at: '2026-03-02T10:00:00.000Z', ...over });

describe('receipts', () => {
  it('move a message only out of sent: a receipt finds a message by its recorded provider id, and a final state is final', () => {
    expect(receiptMovesFrom('delivered')).toEqual(['sent']);
    expect(receiptMovesFrom('undelivered')).toEqual(['sent']);
    expect(receiptMovesFrom('failed')).toEqual(['sent']);
    // A late `sent` is older news than whatever the message says now.
    expect(receiptMovesFrom('sent')).toEqual([]);
  });

  it('free the offered slot when the invitation never arrived (undelivered or failed), with the reason undelivered', () => {
    expect(RECEIPT_RELEASES).toEqual({ undelivered: 'undelivered', failed: 'undelivered' });
    expect(RECEIPT_RELEASES.delivered).toBeUndefined();
    expect(offeredAppointment('flu.invite.c1')).toBe('flu.invite.c1');
  });
});

describe('answers', () => {
  it('are a reply link’s, an SMS’s or a WhatsApp reply’s confirm or decline tied to a message', () => {
    expect(answerOf(response({}))).toBe('confirm');
    expect(answerOf(response({ kind: 'decline' }))).toBe('decline');
    expect(answerOf(response({ channel: 'sms' }))).toBe('confirm');
    expect(answerOf(response({ channel: 'whatsapp', kind: 'decline' }))).toBe('decline');
    expect(answerOf(response({ channel: 'email' }))).toBeNull();
    expect(answerOf(response({ kind: 'reply' }))).toBeNull();
    expect(answerOf(response({ messageId: null }))).toBeNull();
  });

  it('a decline releases (declined); a confirm confirms, or takes back a place released as declined or undelivered; an opt-out stays', () => {
    expect(answerMove('decline', { state: 'held', reason: null })).toEqual({ kind: 'release', reason: 'declined' });
    expect(answerMove('confirm', { state: 'held', reason: null })).toEqual({ kind: 'confirm' });
    expect(answerMove('confirm', { state: 'confirmed', reason: null })).toEqual({ kind: 'confirm' });
    expect(answerMove('confirm', { state: 'released', reason: 'declined' })).toEqual({ kind: 'reclaim' });
    expect(answerMove('confirm', { state: 'released', reason: 'undelivered' })).toEqual({ kind: 'reclaim' });
    expect(answerMove('confirm', { state: 'released', reason: 'opted_out' })).toBeNull();
    expect(answerMove('confirm', { state: 'released', reason: null })).toBeNull();
  });
});
