/**
 * `invito sandbox`: the local stand-in for Twilio and the SMTP relay, and its companions.
 *
 * - `invito sandbox [start] [--api-port 4010] [--smtp-port 2525] [knobs…]` runs until SIGINT/SIGTERM
 * - `invito sandbox config [--api URL] [knobs…]` changes knobs of a running sandbox
 * - `invito sandbox outbox [--api URL] [--since SEQ] [--json]` lists what it received
 * - `invito sandbox stats [--api URL]` prints its counts
 * - `invito sandbox reply [--to-webhook URL] --from +39… --body STOP [--whatsapp]` posts a signed inbound
 *   SMS (or WhatsApp message); `--whatsapp --button TEXT [--payload ID]` a tap on a quick-reply button
 * - `invito sandbox call [--to-webhook URL] --from +39… --keys 1` rings the free-phone line as a
 *   scripted caller: the signed inbound-call webhook, then each key to the menu's `<Gather>`
 *   (both post to `INVITO_PUBLIC_URL`'s webhook unless `--to-webhook` names another)
 */
import type { Command } from 'commander';
import { type Logger, pino } from 'pino';
import { publicUrl } from '../../campaigns/messages.js';
import { InvitoError } from '../../core/errors.js';
import { VOICE_PATHS } from '../../feedback/ivr.js';
import { FEEDBACK_PATHS } from '../../feedback/webhooks.js';
import {
  SANDBOX_ACCOUNT_SID,
  SANDBOX_AUTH_TOKEN,
  SANDBOX_SENDER,
  WHATSAPP_PREFIX,
  type OutboxSnapshot,
  type SandboxKnobs,
  type SandboxStats,
  fetchOutbox,
  fetchStats,
  placeInboundCall,
  sendInboundMessage,
  startSandbox,
  updateConfig,
} from '../../sandbox/index.js';
import { logDestination, printJson, untilSignal } from '../context.js';

const usage = (message: string): InvitoError => new InvitoError('USAGE', message);

type KnobKind = 'share' | 'ms' | 'count' | 'list' | 'url';

/** One flag per knob; the table keeps `start` and `config` in step with `SandboxKnobs`. */
const KNOB_FLAGS: Record<keyof SandboxKnobs, { flag: string; kind: KnobKind; help: string }> = {
  failureRate: { flag: 'failure-rate', kind: 'share', help: 'share of creates answered 500 (Twilio 20500)' },
  throttleRate: { flag: 'throttle-rate', kind: 'share', help: 'share of creates answered 429 (Twilio 20429)' },
  burst429: { flag: 'burst-429', kind: 'count', help: 'answer the next N creates 429' },
  latencyMs: { flag: 'latency-ms', kind: 'ms', help: 'added to every API request' },
  latencyJitterMs: { flag: 'latency-jitter-ms', kind: 'ms', help: 'random extra latency, up to this' },
  undeliveredShare: { flag: 'undelivered-share', kind: 'share', help: 'share of messages ending undelivered (30003/30005/30006)' },
  landlineShare: { flag: 'landline-share', kind: 'share', help: 'share of numbers that are landlines: their messages end undelivered (30006)' },
  failedShare: { flag: 'failed-share', kind: 'share', help: 'share of messages ending failed (30008)' },
  readShare: { flag: 'read-share', kind: 'share', help: 'share of delivered WhatsApp messages the citizen reads (status read; default 1)' },
  callBusyShare: { flag: 'call-busy-share', kind: 'share', help: 'share of calls ending busy' },
  callNoAnswerShare: { flag: 'call-no-answer-share', kind: 'share', help: 'share of calls ending no-answer' },
  callFailedShare: { flag: 'call-failed-share', kind: 'share', help: 'share of calls ending failed' },
  callbackDelayMs: { flag: 'callback-delay-ms', kind: 'ms', help: 'time between status steps (default 50)' },
  invalidNumbers: { flag: 'invalid-numbers', kind: 'list', help: 'numbers answered 21211: +E.164 or *suffix, comma-separated' },
  landlineNumbers: { flag: 'landline-numbers', kind: 'list', help: 'numbers answered 21614 for SMS: +E.164 or *suffix' },
  smtpFailureRate: { flag: 'smtp-failure-rate', kind: 'share', help: 'share of emails answered 451' },
  bounceRecipients: { flag: 'bounce-recipients', kind: 'list', help: 'recipients answered 550: addresses or @domain (default @bounce.example.com)' },
  lateBounceRecipients: { flag: 'late-bounce-recipients', kind: 'list', help: 'recipients accepted, then bounced with a DSN to the return path (default @late-bounce.example.com)' },
  dsnTo: { flag: 'dsn-to', kind: 'url', help: 'smtp://HOST:PORT late bounces go to (invito serve --smtp-port); none when unset' },
};

const camel = (flag: string): string => flag.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

function addKnobOptions(cmd: Command): Command {
  for (const { flag, kind, help } of Object.values(KNOB_FLAGS)) {
    const arg = kind === 'list' ? '<list>' : kind === 'url' ? '<url>' : kind === 'share' ? '<share>' : kind === 'ms' ? '<ms>' : '<n>';
    cmd.option(`--${flag} ${arg}`, help);
  }
  return cmd;
}

/** The knobs given as flags, checked flag by flag so that errors name the flag. */
function knobsFromFlags(opts: Record<string, unknown>): Partial<SandboxKnobs> {
  const out: Record<string, unknown> = {};
  for (const [knob, { flag, kind }] of Object.entries(KNOB_FLAGS)) {
    const raw = opts[camel(flag)];
    if (raw === undefined) continue;
    const s = String(raw).trim();
    if (kind === 'list') {
      out[knob] = s === '' ? [] : s.split(',').map((x) => x.trim()).filter((x) => x !== '');
      continue;
    }
    if (kind === 'url') {
      if (s !== '' && !/^smtp:\/\/[^\s/]+:\d+\/?$/.test(s)) throw usage(`--${flag} takes smtp://HOST:PORT, not ${s}`);
      out[knob] = s === '' ? null : s;
      continue;
    }
    const n = /^(\d+(\.\d*)?|\.\d+)$/.test(s) ? Number(s) : NaN;
    if (kind === 'share' && !(n >= 0 && n <= 1)) throw usage(`--${flag} takes a share between 0 and 1, not ${s}`);
    if (kind !== 'share' && !(Number.isSafeInteger(n) && n >= 0)) throw usage(`--${flag} takes a whole number ≥ 0, not ${s}`);
    out[knob] = n;
  }
  return out as Partial<SandboxKnobs>;
}

function portOf(flag: string, value: unknown): number {
  const s = String(value);
  const n = /^\d+$/.test(s) ? Number(s) : NaN;
  if (!(n >= 0 && n <= 65535)) throw usage(`--${flag} must be a port from 0 to 65535 (0 picks a free one), not ${s}`);
  return n;
}

const DEFAULT_API = 'http://127.0.0.1:4010';
const apiOption = (cmd: Command): Command =>
  cmd.option('--api <url>', `the running sandbox (env INVITO_TWILIO_API_BASE, default ${DEFAULT_API})`);
const apiOf = (opts: { api?: string }): string => opts.api || process.env.INVITO_TWILIO_API_BASE || DEFAULT_API;

/** How often the running sandbox logs its counts, when they changed. */
const STATS_LOG_MS = 10_000;

/** Adds `invito sandbox` and its subcommands (`start`, the default, `config`, `outbox`, `stats`, `reply`, `call`) to `program`. */
export function register(program: Command): void {
  const sandbox = program
    .command('sandbox')
    .description('a local stand-in for Twilio and the SMTP relay, on loopback (demo, tests, benchmarks)');

  addKnobOptions(
    sandbox
      .command('start', { isDefault: true })
      .description('run the sandbox until SIGINT/SIGTERM; prints the environment that points invito at it')
      .option('--host <host>', 'address to listen on', '127.0.0.1')
      .option('--api-port <port>', 'Twilio API and control port (0: a free one)', '4010')
      .option('--smtp-port <port>', 'SMTP port (0: a free one)', '2525')
      .option('--account-sid <sid>', 'the account the API accepts (default: the sandbox-only test account)')
      .option('--auth-token <token>', 'its auth token, also signing webhooks (default: the sandbox-only token)')
      .option('--outbox-file <file>', 'also append everything received to this NDJSON file')
      .option('--log-level <level>', 'pino level on stderr (debug logs every request, by id)', 'info')
      .option('--json', 'print {"apiUrl", "smtpUrl", "env"} as one JSON line'),
  ).action(async (opts: Record<string, unknown>) => {
    const level = String(opts.logLevel);
    if (level !== 'silent' && !(level in pino.levels.values)) throw usage(`--log-level must be one of ${Object.keys(pino.levels.values).join(', ')} or silent, not ${level}`);
    const logger = pino({ name: 'invito-sandbox', level }, logDestination());
    const running = await startSandbox({
      host: String(opts.host),
      apiPort: portOf('api-port', opts.apiPort),
      smtpPort: portOf('smtp-port', opts.smtpPort),
      accountSid: opts.accountSid === undefined ? undefined : String(opts.accountSid),
      authToken: opts.authToken === undefined ? undefined : String(opts.authToken),
      outboxFile: opts.outboxFile === undefined ? undefined : String(opts.outboxFile),
      logger,
      ...knobsFromFlags(opts),
    });
    if (opts.json) printJson({ apiUrl: running.apiUrl, smtpUrl: running.smtpUrl, env: running.env });
    else {
      const sandboxOnly = running.accountSid === SANDBOX_ACCOUNT_SID && running.authToken === SANDBOX_AUTH_TOKEN;
      process.stdout.write(
        [
          `# invito sandbox: Twilio API ${running.apiUrl}  SMTP ${running.smtpUrl}  outbox ${running.apiUrl}/_sandbox/outbox`,
          sandboxOnly ? '# SANDBOX-ONLY test credentials below: they open nothing at Twilio.' : '# credentials as given on the command line',
          ...Object.entries(running.env).map(([k, v]) => `${k}=${v}`),
          '',
        ].join('\n'),
      );
    }
    await serveUntilSignal(running, logger);
  });

  addKnobOptions(
    apiOption(sandbox.command('config').description('change knobs of a running sandbox; prints the knobs in force')).option(
      '--json',
      'print the knobs as one JSON object (the default prints one per line)',
    ),
  ).action(async (opts: Record<string, unknown> & { api?: string; json?: boolean }) => {
    const knobs = await updateConfig(apiOf(opts), knobsFromFlags(opts));
    if (opts.json) printJson(knobs);
    else for (const [k, v] of Object.entries(knobs)) process.stdout.write(`${KNOB_FLAGS[k as keyof SandboxKnobs]?.flag ?? k}: ${Array.isArray(v) ? v.join(',') : v}\n`);
  });

  apiOption(sandbox.command('outbox').description('list what a running sandbox received'))
    .option('--since <seq>', 'only what came after this sequence number (the "next" of an earlier listing)', '0')
    .option('--json', 'print {"messages", "calls", "emails", "next"}')
    .action(async (opts: { api?: string; since: string; json?: boolean }) => {
      if (!/^\d+$/.test(opts.since)) throw usage(`--since takes a sequence number, not ${opts.since}`);
      const box = await fetchOutbox(apiOf(opts), Number(opts.since));
      if (opts.json) printJson(box);
      else process.stdout.write(formatOutbox(box));
    });

  apiOption(sandbox.command('stats').description('counts of a running sandbox, as JSON')).action(async (opts: { api?: string }) => {
    const stats: SandboxStats = await fetchStats(apiOf(opts));
    printJson(stats);
  });

  sandbox
    .command('reply')
    .description('post a signed inbound SMS or WhatsApp webhook, as Twilio does when a citizen replies (STOP…) or taps a quick-reply button')
    .option('--to-webhook <url>', "the app's inbound-message webhook (default: INVITO_PUBLIC_URL/webhooks/twilio/inbound)")
    .requiredOption('--from <number>', "the citizen's number, E.164")
    .option('--body <text>', 'what the citizen wrote (needed unless --button is given)')
    .option('--to <number>', 'the number the citizen wrote to', SANDBOX_SENDER)
    .option('--whatsapp', 'send as WhatsApp: From and To get the whatsapp: prefix, WaId and NumSegments 1 are added')
    .option('--button <text>', 'WhatsApp quick-reply tap: the label of the button (ButtonText); needs --whatsapp')
    .option('--payload <id>', 'the tapped button\'s id (ButtonPayload); needs --button')
    .option('--messaging-service-sid <sid>', 'the Messaging Service the number belongs to')
    .option('--account-sid <sid>', 'AccountSid of the webhook (default: the sandbox-only test account)')
    .option('--auth-token <token>', 'signs the webhook (default: the sandbox-only token)')
    .option('--json', 'print {"messageSid", "status", "body"}')
    .addHelpText(
      'after',
      [
        '',
        'Give --body, or --button for a quick-reply tap (Body is then the button text, as Twilio posts it).',
        '',
        'Examples:',
        '  invito sandbox reply --to-webhook http://127.0.0.1:3000/twilio/inbound --from +393331234567 --body STOP',
        '  invito sandbox reply --to-webhook http://127.0.0.1:3000/twilio/inbound --from +393331234567 --whatsapp --body SI',
        '  invito sandbox reply --to-webhook http://127.0.0.1:3000/twilio/inbound --from +393331234567 --whatsapp --button Confermo --payload confirm',
      ].join('\n'),
    )
    .action(
      async (opts: {
        toWebhook?: string;
        from: string;
        body?: string;
        to: string;
        whatsapp?: boolean;
        button?: string;
        payload?: string;
        messagingServiceSid?: string;
        accountSid?: string;
        authToken?: string;
        json?: boolean;
      }) => {
        const whatsapp = opts.whatsapp === true;
        // With --whatsapp, a number already written whatsapp:+… is taken as it is.
        const bare = (n: string): string => (whatsapp && n.startsWith(WHATSAPP_PREFIX) ? n.slice(WHATSAPP_PREFIX.length) : n);
        const channel = (n: string): string => (whatsapp ? WHATSAPP_PREFIX + bare(n) : n);
        if (!/^\+[1-9]\d{6,14}$/.test(bare(opts.from))) throw usage('--from must be an E.164 number such as +393331234567');
        if (opts.body === undefined && opts.button === undefined) throw usage('give --body (what the citizen wrote) or --button (a quick-reply tap, with --whatsapp)');
        if (opts.button !== undefined && !whatsapp) throw usage('--button is a WhatsApp quick-reply tap: add --whatsapp');
        if (opts.payload !== undefined && opts.button === undefined) throw usage('--payload needs --button, the label of the button that was tapped');
        const r = await sendInboundMessage({
          webhookUrl: opts.toWebhook ?? publicUrl().replace(/\/+$/, '') + FEEDBACK_PATHS.inbound,
          from: channel(opts.from),
          to: channel(opts.to),
          body: opts.body,
          buttonText: opts.button,
          buttonPayload: opts.payload,
          messagingServiceSid: opts.messagingServiceSid,
          accountSid: opts.accountSid,
          authToken: opts.authToken,
        });
        if (opts.json) printJson({ messageSid: r.messageSid, status: r.status, body: r.body });
        else process.stdout.write(`${r.messageSid}: the webhook answered ${r.status}\n${r.body}${r.body.endsWith('\n') || r.body === '' ? '' : '\n'}`);
        if (r.status < 200 || r.status >= 300) throw new InvitoError('WEBHOOK_FAILED', `the inbound webhook answered HTTP ${r.status}`);
      },
    );

  sandbox
    .command('call')
    .description("a scripted caller ringing the app's free-phone line: the signed inbound-call webhook, then each key to the menu's <Gather>, as Twilio posts them")
    .option('--to-webhook <url>', "the app's voice webhook for its number (default: INVITO_PUBLIC_URL/webhooks/twilio/voice/inbound)")
    .requiredOption('--from <number>', "the caller's number, E.164")
    .option('--keys <list>', 'the keys pressed at each menu in turn, comma-separated (a birth date is one entry, 03111942; - waits for the timeout)', '')
    .option('--to <number>', 'the number called', SANDBOX_SENDER)
    .option('--account-sid <sid>', 'AccountSid of the webhooks (default: the sandbox-only test account)')
    .option('--auth-token <token>', 'signs the webhooks (default: the sandbox-only token)')
    .option('--json', 'print {"callSid", "turns": [{"url", "digits", "status", "twiml"}]}')
    .addHelpText('after', ['', 'Example:', '  invito sandbox call --to-webhook http://127.0.0.1:8080/webhooks/twilio/voice/inbound --from +393331234567 --keys 1', ''].join('\n'))
    .action(async (opts: { toWebhook?: string; from: string; keys: string; to: string; accountSid?: string; authToken?: string; json?: boolean }) => {
      if (!/^\+[1-9]\d{6,14}$/.test(opts.from)) throw usage('--from must be an E.164 number such as +393331234567');
      const keys = opts.keys === '' ? [] : opts.keys.split(',').map((k) => k.trim()).map((k) => (k === '-' ? '' : k));
      if (keys.some((k) => !/^[0-9*#]*$/.test(k))) throw usage('--keys lists digits (0-9, * and #), comma-separated; - for no key');
      const r = await placeInboundCall({ webhookUrl: opts.toWebhook ?? publicUrl().replace(/\/+$/, '') + VOICE_PATHS.inbound, from: opts.from, to: opts.to, keys, ...(opts.accountSid ? { accountSid: opts.accountSid } : {}), ...(opts.authToken ? { authToken: opts.authToken } : {}) });
      if (opts.json) printJson(r);
      else {
        // What the caller heard and did, turn by turn: the spoken text, then the call's next verb.
        for (const t of r.turns) {
          const said = [...t.twiml.matchAll(/<Say[^>]*>([^<]*)<\/Say>/g)].map((m) => m[1]!.replace(/\s+/g, ' ').trim());
          const next = /<(Enqueue)[^>]*>([^<]*)<\/Enqueue>/.exec(t.twiml) ?? /<(Hangup|Leave|Gather)\b/.exec(t.twiml);
          process.stdout.write(`${t.digits === null ? 'call' : `key ${t.digits || '(none)'}`} → ${t.status}${said.length ? `: ${said.join(' ')}` : ''}${next ? ` [${next[1]!.toLowerCase()}${next[2] ? ` ${next[2]}` : ''}]` : ''}\n`);
        }
      }
      const bad = r.turns.find((t) => t.status !== 200);
      if (bad) throw new InvitoError('WEBHOOK_FAILED', `the voice webhook answered HTTP ${bad.status}`);
    });
}

/** Keeps the sandbox up until SIGINT or SIGTERM, logging its counts when they change. */
async function serveUntilSignal(running: Awaited<ReturnType<typeof startSandbox>>, logger: Logger): Promise<void> {
  let last = '';
  const timer = setInterval(() => {
    const stats = running.stats();
    const line = JSON.stringify(stats);
    if (line !== last) logger.info(stats, 'sandbox counts');
    last = line;
  }, STATS_LOG_MS);
  await untilSignal();
  clearInterval(timer);
  await running.close();
}

/** One line per record, oldest first: what a person checking a demo wants to see. */
function formatOutbox(box: OutboxSnapshot): string {
  const rows: [number, string][] = [];
  const short = (s: string | null, n = 60): string => {
    const one = (s ?? '').replace(/\s+/g, ' ').trim();
    return one.length > n ? one.slice(0, n - 1) + '…' : one;
  };
  for (const m of box.messages) {
    // The channel in the kind column (sms, whatsapp); a content message adds its template and variables at the end.
    const content = m.contentSid ? `\t${m.contentSid}\t${m.contentVariables ? JSON.stringify(m.contentVariables) : ''}` : '';
    rows.push([m.seq, `${m.seq}\t${m.channel ?? 'sms'}\t${m.id}\t${m.status}${m.errorCode ? ` (${m.errorCode})` : ''}\t${m.to}\t${short(m.body)}${content}`]);
  }
  for (const c of box.calls) rows.push([c.seq, `${c.seq}\tvoice\t${c.id}\t${c.status}\t${c.to}\t${short(c.twiml ?? c.url)}`]);
  for (const e of box.emails) rows.push([e.seq, `${e.seq}\temail\t${e.id}\t${e.status}\t${e.to.join(',')}\t${short(e.subject)}`]);
  rows.sort((a, b) => a[0] - b[0]);
  const total = `${box.messages.length} messages, ${box.calls.length} calls, ${box.emails.length} emails (next: --since ${box.next})\n`;
  return rows.map((r) => r[1] + '\n').join('') + total;
}
