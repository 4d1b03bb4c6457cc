/**
 * The outbox as a record: the NDJSON file that outlives the process, the reset, the cursor,
 * and what start-up refuses. Plus the MIME reader on messages nodemailer would not produce.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { describe, expect, it } from 'vitest';
import { createTwilioClient } from '../../src/channels/twilio/http-client.js';
import { startSandbox } from '../../src/sandbox/index.js';
import { parseMail } from '../../src/sandbox/mime.js';

describe('outbox', () => {
  it('with outboxFile, every accepted message, call and email is appended as one NDJSON line', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'invito-sandbox-')), 'outbox.ndjson');
    const sandbox = await startSandbox({ outboxFile: file, callbackDelayMs: 0 });
    try {
      const client = createTwilioClient({ accountSid: sandbox.accountSid, authToken: sandbox.authToken, apiBase: sandbox.apiUrl });
      await client.messages.create({ to: '+393331234567', from: '+15005550006', body: 'uno' });
      await client.messages.create({ to: '+393331234567', from: '+15005550006', body: 'uno' });
      await client.calls.create({ to: '+393331234567', from: '+15005550006', twiml: '<Response/>' });
      const mail = nodemailer.createTransport(sandbox.smtpUrl);
      await mail.sendMail({ from: 'a@example.org', to: 'b@example.org', subject: 'Ciao', text: 'x' });
      mail.close();
      await expect(client.messages.create({ to: 'nope', from: '+15005550006', body: 'x' })).rejects.toThrow();
    } finally {
      await sandbox.close();
    }
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.kind)).toEqual(['message', 'message', 'call', 'email']);
    expect(lines.map((l) => l.seq)).toEqual([1, 2, 3, 4]);
    expect(lines[0].body).toBe('uno');
    expect(lines[3].subject).toBe('Ciao');
  });

  it('DELETE /_sandbox/outbox empties the outbox and the counts; sequence numbers keep growing', async () => {
    const sandbox = await startSandbox();
    try {
      const client = createTwilioClient({ accountSid: sandbox.accountSid, authToken: sandbox.authToken, apiBase: sandbox.apiUrl });
      await client.messages.create({ to: '+393331234567', from: '+15005550006', body: 'prima' });
      const res = await fetch(`${sandbox.apiUrl}/_sandbox/outbox`, { method: 'DELETE' });
      expect(res.status).toBe(204);
      expect(sandbox.outbox().messages).toEqual([]);
      expect(sandbox.stats().messages.accepted).toBe(0);
      const m = await client.messages.create({ to: '+393331234567', from: '+15005550006', body: 'dopo' });
      expect(sandbox.outbox().messages.map((x) => [x.id, x.seq])).toEqual([[m.sid, 2]]);
      const bad = await fetch(`${sandbox.apiUrl}/_sandbox/outbox?since=yesterday`);
      expect(bad.status).toBe(400);
      expect((await bad.json()).error.code).toBe('USAGE');
    } finally {
      await sandbox.close();
    }
  });

  it('a taken port is SANDBOX_UNAVAILABLE; bad knobs are USAGE; a malformed account SID is CONFIG_INVALID', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      await expect(startSandbox({ apiPort: port })).rejects.toMatchObject({ code: 'SANDBOX_UNAVAILABLE', message: expect.stringContaining(String(port)) });
      await expect(startSandbox({ smtpPort: port })).rejects.toMatchObject({ code: 'SANDBOX_UNAVAILABLE' });
    } finally {
      blocker.close();
    }
    await expect(startSandbox({ failureRate: -1 })).rejects.toMatchObject({ code: 'USAGE' });
    await expect(startSandbox({ undeliveredShare: 0.6, failedShare: 0.6 })).rejects.toMatchObject({ code: 'USAGE' });
    await expect(startSandbox({ invalidNumbers: ['3331234567'] })).rejects.toMatchObject({ code: 'USAGE' });
    await expect(startSandbox({ accountSid: 'ACnope' })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });
});

describe('MIME reader', () => {
  it('reads nested multiparts, LF line ends, Latin-1 parts, RFC 2231 file names and encoded words', () => {
    const raw = [
      'From: =?ISO-8859-1?Q?Citt=E0?= <a@example.org>',
      'Subject: =?UTF-8?B?UHJlbm90YXppb25l?= =?UTF-8?Q?_conferm=C3=A0ta?=',
      'Message-ID: <x1@example.org>',
      'X-Folded: one',
      '  two',
      'Content-Type: multipart/mixed; boundary="outer"',
      '',
      'preamble',
      '--outer',
      'Content-Type: multipart/alternative; boundary=inner',
      '',
      '--inner',
      'Content-Type: text/plain; charset=iso-8859-1',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      'citt=E0 e=',
      ' perch=E9',
      '--inner',
      'Content-Type: text/html; charset=utf-8',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from('<p>città</p>').toString('base64'),
      '--inner--',
      '--outer',
      'Content-Type: application/pdf',
      "Content-Disposition: attachment; filename*0*=utf-8''lettera%20d; filename*1*=%C3%AC.pdf",
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from('%PDF').toString('base64'),
      '--outer--',
      '',
    ].join('\n');
    const m = parseMail(Buffer.from(raw, 'latin1'));
    expect(m.headers.from).toBe('Città <a@example.org>');
    expect(m.headers.subject).toBe('Prenotazione confermàta');
    expect(m.headers['message-id']).toBe('<x1@example.org>');
    expect(m.headers['x-folded']).toBe('one  two');
    expect(m.text).toBe('città e perché');
    expect(m.html).toBe('<p>città</p>');
    expect(m.attachments).toEqual([{ filename: 'lettera dì.pdf', contentType: 'application/pdf', size: 4 }]);
  });
});
