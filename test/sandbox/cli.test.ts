/**
 * `invito sandbox …` through commander, in-process (the command is registered on a fresh
 * program; `src/cli/main.ts` wires the same `register`). The running sandbox is real and is
 * reached over HTTP by the `config`, `outbox` and `reply` subcommands.
 */
import twilio from 'twilio';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { register } from '../../src/cli/commands/sandbox.js';
import { createTwilioClient } from '../../src/channels/twilio/http-client.js';
import { SANDBOX_ACCOUNT_SID, SANDBOX_AUTH_TOKEN, startSandbox } from '../../src/sandbox/index.js';
import { type Receiver, startReceiver } from './support.js';

let out: string[];

beforeEach(() => {
  out = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
});

function invito(...args: string[]): Promise<Command> {
  const program = new Command('invito').exitOverride();
  register(program);
  return program.parseAsync(['node', 'invito', ...args]);
}

async function printed(): Promise<string> {
  for (let i = 0; i < 200 && out.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  return out.join('');
}

describe('invito sandbox (CLI)', () => {
  let hooks: Receiver;
  beforeEach(async () => {
    hooks = await startReceiver();
  });
  afterEach(async () => {
    await hooks.close();
  });

  it('start prints the URLs and env, applies knob flags, and stops on SIGTERM; config, outbox and reply reach it', async () => {
    const signalsBefore = process.listeners('SIGTERM');
    const running = invito('sandbox', '--api-port', '0', '--smtp-port', '0', '--json', '--burst-429', '1', '--log-level', 'silent');
    const started = JSON.parse(await printed()) as { apiUrl: string; smtpUrl: string; env: Record<string, string> };
    expect(started.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(started.smtpUrl).toMatch(/^smtp:\/\/127\.0\.0\.1:\d+$/);
    expect(started.env).toEqual({
      INVITO_TWILIO_API_BASE: started.apiUrl,
      INVITO_SMTP_URL: started.smtpUrl,
      TWILIO_ACCOUNT_SID: SANDBOX_ACCOUNT_SID,
      TWILIO_AUTH_TOKEN: SANDBOX_AUTH_TOKEN,
    });

    const client = createTwilioClient({ accountSid: started.env.TWILIO_ACCOUNT_SID!, authToken: started.env.TWILIO_AUTH_TOKEN!, apiBase: started.apiUrl });
    await expect(client.messages.create({ to: '+393331234567', from: '+15005550006', body: 'x' })).rejects.toBeInstanceOf(twilio.RestException);
    await client.messages.create({ to: '+393331234567', from: '+15005550006', body: 'Ciao dal CLI' });

    out = [];
    await invito('sandbox', 'config', '--api', started.apiUrl, '--undelivered-share', '0.5', '--invalid-numbers', '*000,+393330000001', '--json');
    const knobs = JSON.parse(out.join(''));
    expect(knobs.undeliveredShare).toBe(0.5);
    expect(knobs.invalidNumbers).toEqual(['*000', '+393330000001']);

    out = [];
    await invito('sandbox', 'outbox', '--api', started.apiUrl, '--json');
    const box = JSON.parse(out.join(''));
    expect(box.messages.map((m: { body: string }) => m.body)).toEqual(['Ciao dal CLI']);

    out = [];
    await invito('sandbox', 'outbox', '--api', started.apiUrl);
    expect(out.join('')).toMatch(/\tsms\tSM[0-9a-f]{32}\t\w+\t\+393331234567\tCiao dal CLI\n1 messages, 0 calls, 0 emails/);

    out = [];
    await invito('sandbox', 'reply', '--to-webhook', `${hooks.url}/inbound`, '--from', '+393331234567', '--body', 'STOP', '--json');
    const [webhook] = await hooks.waitFor(1);
    expect(webhook!.params.Body).toBe('STOP');
    expect(twilio.validateRequest(SANDBOX_AUTH_TOKEN, webhook!.headers['x-twilio-signature'] as string, webhook!.url, webhook!.params)).toBe(true);
    expect(JSON.parse(out.join('')).status).toBe(204);

    const stop = process.listeners('SIGTERM').filter((l) => !signalsBefore.includes(l));
    expect(stop).toHaveLength(1);
    (stop[0] as () => void)();
    await running;
    await expect(fetch(`${started.apiUrl}/_sandbox/stats`)).rejects.toThrow();
  });

  it('start without --json prints source-able env lines marked sandbox-only', async () => {
    const signalsBefore = process.listeners('SIGTERM');
    const running = invito('sandbox', '--api-port', '0', '--smtp-port', '0', '--log-level', 'silent');
    const text = await printed();
    expect(text).toMatch(/SANDBOX-ONLY/);
    expect(text).toMatch(/^INVITO_TWILIO_API_BASE=http:\/\/127\.0\.0\.1:\d+$/m);
    expect(text).toMatch(/^INVITO_SMTP_URL=smtp:\/\/127\.0\.0\.1:\d+$/m);
    expect(text).toContain(`TWILIO_ACCOUNT_SID=${SANDBOX_ACCOUNT_SID}\n`);
    for (const line of text.trim().split('\n')) expect(line).toMatch(/^(#.*|[A-Z_]+=\S+)$/);
    for (const l of process.listeners('SIGTERM').filter((x) => !signalsBefore.includes(x))) (l as () => void)();
    await running;
  });

  it('a bad knob flag is USAGE naming the flag; an unreachable sandbox is SANDBOX_UNAVAILABLE', async () => {
    await expect(invito('sandbox', 'config', '--api', hooks.url, '--failure-rate', '1.5')).rejects.toMatchObject({
      code: 'USAGE',
      message: expect.stringContaining('--failure-rate'),
    });
    const dead = await startReceiver();
    await dead.close();
    await expect(invito('sandbox', 'outbox', '--api', dead.url)).rejects.toMatchObject({ code: 'SANDBOX_UNAVAILABLE' });
  });

  it('reply --whatsapp --button --payload posts a signed quick-reply tap: whatsapp: From/To, ButtonText, ButtonPayload, Body = the button text', async () => {
    await invito('sandbox', 'reply', '--to-webhook', `${hooks.url}/inbound`, '--from', '+393331234567', '--whatsapp', '--button', 'Confermo', '--payload', 'confirm', '--json');
    const [webhook] = await hooks.waitFor(1);
    expect(webhook!.params).toMatchObject({
      From: 'whatsapp:+393331234567',
      To: 'whatsapp:+15005550006',
      Body: 'Confermo',
      ButtonText: 'Confermo',
      ButtonPayload: 'confirm',
      WaId: '393331234567',
      NumSegments: '1',
    });
    expect(twilio.validateRequest(SANDBOX_AUTH_TOKEN, webhook!.headers['x-twilio-signature'] as string, webhook!.url, webhook!.params)).toBe(true);
    out = [];
    await invito('sandbox', 'reply', '--to-webhook', `${hooks.url}/inbound`, '--from', 'whatsapp:+393331234567', '--whatsapp', '--body', 'SI');
    const [, text] = await hooks.waitFor(2);
    expect(text!.params).toMatchObject({ From: 'whatsapp:+393331234567', Body: 'SI', MessageType: 'text' });
    expect(text!.params.ButtonText).toBeUndefined();
  });

  it('reply needs --body or --button; --button needs --whatsapp; --payload needs --button (USAGE, nothing posted)', async () => {
    const reply = (...extra: string[]): Promise<Command> => invito('sandbox', 'reply', '--to-webhook', `${hooks.url}/in`, '--from', '+393331234567', ...extra);
    await expect(reply()).rejects.toMatchObject({ code: 'USAGE', message: expect.stringContaining('--body') });
    await expect(reply('--whatsapp')).rejects.toMatchObject({ code: 'USAGE', message: expect.stringContaining('--button') });
    await expect(reply('--button', 'Confermo')).rejects.toMatchObject({ code: 'USAGE', message: expect.stringContaining('--whatsapp') });
    await expect(reply('--whatsapp', '--body', 'x', '--payload', 'confirm')).rejects.toMatchObject({ code: 'USAGE', message: expect.stringContaining('--payload') });
    await expect(reply('--whatsapp', '--from', 'whatsapp:393331234567', '--body', 'x')).rejects.toMatchObject({ code: 'USAGE', message: expect.stringContaining('--from') });
    expect(hooks.received).toHaveLength(0);
  });

  it('outbox lists the channel in the kind column and, for a content message, ContentSid and variables as the last columns; --json carries channel, contentSid, contentVariables last', async () => {
    const sandbox = await startSandbox({ callbackDelayMs: 0 });
    try {
      const client = createTwilioClient({ accountSid: sandbox.accountSid, authToken: sandbox.authToken, apiBase: sandbox.apiUrl });
      const content = 'HX' + 'ab'.repeat(16);
      await client.messages.create({ to: '+393331234567', from: '+15005550006', body: 'Ciao' });
      await client.messages.create({ to: 'whatsapp:+393331234567', from: 'whatsapp:+15005550006', contentSid: content, contentVariables: JSON.stringify({ 1: 'Mario' }) });
      await client.messages.create({ to: 'whatsapp:+393331234567', from: 'whatsapp:+15005550006', body: 'Sessione' });
      await sandbox.idle();
      await invito('sandbox', 'outbox', '--api', sandbox.apiUrl);
      const lines = out.join('').split('\n');
      expect(lines[0]).toMatch(/^1\tsms\tSM[0-9a-f]{32}\tdelivered\t\+393331234567\tCiao$/);
      expect(lines[1]).toMatch(new RegExp(`^2\\twhatsapp\\tSM[0-9a-f]{32}\\tread\\twhatsapp:\\+393331234567\\t\\t${content}\\t\\{"1":"Mario"\\}$`));
      expect(lines[2]).toMatch(/^3\twhatsapp\tSM[0-9a-f]{32}\tread\twhatsapp:\+393331234567\tSessione$/);
      out = [];
      await invito('sandbox', 'outbox', '--api', sandbox.apiUrl, '--json');
      const box = JSON.parse(out.join(''));
      expect(Object.keys(box.messages[1]).slice(-3)).toEqual(['channel', 'contentSid', 'contentVariables']);
      expect(box.messages[1]).toMatchObject({ channel: 'whatsapp', contentSid: content, contentVariables: { 1: 'Mario' } });
      expect(box.messages[0]).toMatchObject({ channel: 'sms', contentSid: null, contentVariables: null });
    } finally {
      await sandbox.close();
    }
  });

  it('config --read-share sets the readShare knob; a share above 1 is USAGE naming the flag', async () => {
    const sandbox = await startSandbox();
    try {
      await invito('sandbox', 'config', '--api', sandbox.apiUrl, '--read-share', '0.25', '--json');
      expect(JSON.parse(out.join('')).readShare).toBe(0.25);
      expect(sandbox.config().readShare).toBe(0.25);
      await expect(invito('sandbox', 'config', '--api', sandbox.apiUrl, '--read-share', '2')).rejects.toMatchObject({ code: 'USAGE', message: expect.stringContaining('--read-share') });
    } finally {
      await sandbox.close();
    }
  });

  it('reply to a webhook that refuses is WEBHOOK_FAILED', async () => {
    hooks.answer = () => ({ status: 403 });
    await expect(invito('sandbox', 'reply', '--to-webhook', `${hooks.url}/in`, '--from', '+393331234567', '--body', 'STOP')).rejects.toMatchObject({
      code: 'WEBHOOK_FAILED',
    });
  });
});
