/**
 * Email bounces (issue 12, item 2): an SMTP listener (`invito serve --smtp-port`, smtp-server)
 * that receives the delivery status notifications relays send to a message's VERP return path
 * (`bounces+<key>@<domain>`, core/return-path.ts), parses them with mailparser, and marks the
 * message undelivered — which starts its fallback, like an SMS receipt. The key comes from the
 * envelope recipient, never from the report's body, so a DSN that quotes nothing of the message
 * still finds it; the report's `Action:` and `Status:` say whether it is a bounce.
 *
 * Only a permanent failure counts (`Action: failed`, `Status: 5.x.x`): a delay (`Action:
 * delayed`, 4.x.x) is the relay still trying. A recipient that is not one of our return paths is
 * refused at RCPT TO (550), so the listener is no open relay; nothing is ever forwarded.
 * Logs carry message keys and status codes, never an address.
 */
import { simpleParser } from 'mailparser';
import type { Logger } from 'pino';
import { SMTPServer } from 'smtp-server';
import { emailMessageId, parseReturnPath } from '../core/return-path.js';
import type { FeedbackStore } from './store.js';

/** What a delivery status notification says of one recipient. */
export interface DeliveryReport {
  /** `failed`, `delayed`, `delivered`, `relayed`, `expanded` (RFC 3464), lower-cased; null when absent. */
  readonly action: string | null;
  /** The enhanced status code (`5.1.1`); null when absent. */
  readonly status: string | null;
}

/** The first recipient's Action and Status fields of a `message/delivery-status` body (RFC 3464). */
export function readDeliveryStatus(text: string): DeliveryReport {
  const action = /^Action:\s*([A-Za-z]+)/im.exec(text)?.[1]?.toLowerCase() ?? null;
  const status = /^Status:\s*([245]\.\d{1,3}\.\d{1,3})/im.exec(text)?.[1] ?? null;
  return { action, status };
}

/** A permanent failure: the message will never reach this address. */
export const isBounce = (r: DeliveryReport): boolean => r.action === 'failed' || (r.action === null && r.status?.startsWith('5.') === true);

export interface BounceListenerOptions {
  readonly store: Pick<FeedbackStore, 'applyReceipt'>;
  readonly port: number;
  readonly host?: string;
  /** Only return paths at this domain are accepted; any domain when absent. */
  readonly domain?: string;
  readonly now?: () => Date;
  readonly log?: Logger;
}

export interface RunningBounceListener {
  readonly port: number;
  close(): Promise<void>;
}

/** The largest report taken (a DSN quoting a whole message with attachments is cut off here). */
const MAX_REPORT_BYTES = 1024 * 1024;

export async function startBounceListener(o: BounceListenerOptions): Promise<RunningBounceListener> {
  const now = o.now ?? (() => new Date());
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    size: MAX_REPORT_BYTES,
    banner: 'invito bounces',
    logger: false,
    onRcptTo(address, _session, cb) {
      if (parseReturnPath(address.address, o.domain) === null) {
        const err = new Error('no such mailbox here: only bounces to invito return paths are taken') as Error & { responseCode: number };
        err.responseCode = 550;
        cb(err);
        return;
      }
      cb();
    },
    onData(stream, session, cb) {
      const keys = session.envelope.rcptTo.map((r) => parseReturnPath(r.address, o.domain)).filter((k): k is string => k !== null);
      simpleParser(stream)
        .then(async (mail) => {
          const part = mail.attachments.find((a) => a.contentType.toLowerCase() === 'message/delivery-status');
          const report = readDeliveryStatus(part ? part.content.toString('utf8') : (mail.text ?? ''));
          if (!isBounce(report)) {
            o.log?.info({ messages: keys, action: report.action, status: report.status }, 'delivery report without a bounce: nothing to do');
            return;
          }
          for (const key of keys) {
            const r = await o.store.applyReceipt(emailMessageId(key), 'undelivered', `smtp-${report.status ?? '5.0.0'}`, now().toISOString());
            o.log?.info({ message: key, status: report.status, result: r }, 'email bounced: message undelivered');
          }
        })
        .then(() => cb(), (e: Error) => {
          o.log?.error({ messages: keys, err: e.message }, 'bounce could not be read');
          const err = new Error('the report could not be read; try again later') as Error & { responseCode: number };
          err.responseCode = 451;
          cb(err);
        });
    },
  });
  server.on('error', (e) => o.log?.error({ err: e.message }, 'bounce listener error'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : o.port;
  return { port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
