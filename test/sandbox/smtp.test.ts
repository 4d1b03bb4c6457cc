/**
 * The SMTP sink, driven by the real nodemailer over loopback SMTP (pooled, as invito sends):
 * what the outbox shows of a message, and the bounce and transient-failure knobs.
 */
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';

let sandbox: Sandbox;
const pooled = (url: string) => nodemailer.createTransport({ url, pool: true, maxConnections: 4 });
let transport: ReturnType<typeof pooled>;

beforeAll(async () => {
  sandbox = await startSandbox({ bounceRecipients: ['@bounce.example.com', 'gone@example.org'] });
  transport = pooled(sandbox.smtpUrl);
});
afterAll(async () => {
  transport.close();
  await sandbox.close();
});
beforeEach(() => {
  sandbox.setConfig({ smtpFailureRate: 0 });
});

const invitation = (to: string) => ({
  from: '"ASL Roma 1" <vaccini@asl-roma1.example.it>',
  to,
  subject: 'Il suo appuntamento per la vaccinazione — lunedì 1 marzo',
  text: 'Gentile cittadino,\nla aspettiamo lunedì alle 9:30.\n',
  html: '<p>Gentile cittadino,</p><p>la aspettiamo <b>lunedì</b> alle 9:30.</p>',
  headers: {
    'List-Unsubscribe': '<https://invito.example.it/u/abc123>, <mailto:unsubscribe@asl-roma1.example.it?subject=abc123>',
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  },
});

describe('SMTP sink with nodemailer', () => {
  it('a pooled nodemailer transport delivers text, HTML and List-Unsubscribe, and the outbox shows them', async () => {
    expect(transport.transporter.name).toBe('SMTP (pool)');
    const info = await transport.sendMail(invitation('mario.rossi@example.org'));
    expect(info.accepted).toEqual(['mario.rossi@example.org']);
    expect(info.response).toMatch(/^250 /);
    const email = sandbox.outbox().emails.find((e) => e.messageId === info.messageId);
    expect(email).toBeDefined();
    expect(email!.id).toMatch(/^EM[0-9a-f]{32}$/);
    expect(info.response).toContain(email!.id);
    expect(email!.from).toBe('vaccini@asl-roma1.example.it');
    expect(email!.to).toEqual(['mario.rossi@example.org']);
    expect(email!.subject).toBe('Il suo appuntamento per la vaccinazione — lunedì 1 marzo');
    expect(email!.text).toBe('Gentile cittadino,\nla aspettiamo lunedì alle 9:30.\n');
    expect(email!.html).toBe('<p>Gentile cittadino,</p><p>la aspettiamo <b>lunedì</b> alle 9:30.</p>');
    expect(email!.headers['list-unsubscribe']).toBe('<https://invito.example.it/u/abc123>, <mailto:unsubscribe@asl-roma1.example.it?subject=abc123>');
    expect(email!.headers['list-unsubscribe-post']).toBe('List-Unsubscribe=One-Click');
    expect(email!.headers.from).toMatch(/^"?ASL Roma 1"? <vaccini@asl-roma1\.example\.it>$/);
    expect(email!.attachments).toEqual([]);
  });

  it('long non-ASCII text (quoted-printable or base64) and attachments are decoded and listed', async () => {
    const calendar = 'BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n';
    const text = 'Città: Pietrasanta — prenotazione n° 42. '.repeat(40);
    const info = await transport.sendMail({
      ...invitation('anna@example.org'),
      text,
      attachments: [{ filename: 'promemoria è.ics', content: calendar, contentType: 'text/calendar' }],
    });
    const email = sandbox.outbox().emails.find((e) => e.messageId === info.messageId)!;
    expect(email.text).toBe(text);
    expect(email.attachments).toEqual([{ filename: 'promemoria è.ics', contentType: 'text/calendar', size: Buffer.byteLength(calendar) }]);
  });

  it('a recipient on a bounce domain is refused with 550, which nodemailer reports as responseCode 550', async () => {
    const before = sandbox.stats().emails;
    const err = await transport.sendMail(invitation('nobody@bounce.example.com')).then(
      () => null,
      (e: { responseCode?: number }) => e,
    );
    expect(err?.responseCode).toBe(550);
    expect(sandbox.stats().emails.bounced).toBe(before.bounced + 1);
    expect(sandbox.stats().emails.accepted).toBe(before.accepted);
  });

  it('with one good and one bounced recipient, only the good one is delivered and the bounce is reported', async () => {
    const info = await transport.sendMail(invitation('ok@example.org, gone@example.org'));
    expect(info.accepted).toEqual(['ok@example.org']);
    expect(info.rejected).toEqual(['gone@example.org']);
    expect(sandbox.outbox().emails.find((e) => e.messageId === info.messageId)!.to).toEqual(['ok@example.org']);
  });

  it('smtpFailureRate 1 answers 451, which nodemailer reports as responseCode 451, and nothing is stored', async () => {
    sandbox.setConfig({ smtpFailureRate: 1 });
    const before = sandbox.stats().emails;
    const err = await transport.sendMail(invitation('luigi@example.org')).then(
      () => null,
      (e: { responseCode?: number }) => e,
    );
    expect(err?.responseCode).toBe(451);
    expect(sandbox.stats().emails.deferred).toBe(before.deferred + 1);
    expect(sandbox.stats().emails.accepted).toBe(before.accepted);
  });

  it('the outbox counts every email, duplicates to one recipient included', async () => {
    const since = sandbox.outbox().next;
    await Promise.all([1, 2, 3].map(() => transport.sendMail(invitation('twice@example.org'))));
    expect(sandbox.outbox(since).emails.filter((e) => e.to.includes('twice@example.org'))).toHaveLength(3);
  });

  it('AUTH PLAIN and LOGIN are accepted when the client sends them, and not required', async () => {
    for (const authMethod of ['PLAIN', 'LOGIN']) {
      const authed = nodemailer.createTransport({ url: sandbox.smtpUrl, auth: { user: `invito-${authMethod}`, pass: 'secret' }, authMethod });
      try {
        const info = await authed.sendMail(invitation('auth@example.org'));
        expect(info.accepted).toEqual(['auth@example.org']);
        expect(sandbox.outbox().emails.find((e) => e.messageId === info.messageId)?.user).toBe(`invito-${authMethod}`);
      } finally {
        authed.close();
      }
    }
    const info = await transport.sendMail(invitation('anon@example.org'));
    expect(sandbox.outbox().emails.find((e) => e.messageId === info.messageId)?.user).toBeNull();
  });
});
