/**
 * The SMTP sink: a real SMTP server on loopback that takes every email, parses it, and keeps it
 * in the outbox. No TLS (STARTTLS is not offered, so clients stay in clear text on loopback);
 * AUTH PLAIN and LOGIN are accepted with any credentials, and not required.
 *
 * Faults: recipients matching `bounceRecipients` get `550` at RCPT TO (a permanent bounce, as a
 * mailbox that does not exist); a `smtpFailureRate` share of messages get `451` at the end of
 * DATA (a transient failure, to be retried). Recipients matching `lateBounceRecipients` are
 * accepted, then bounced as a relay would: a delivery status notification goes to the envelope
 * sender (invito's VERP return path) through `dsnTo` (`invito serve --smtp-port`).
 */
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import nodemailer from 'nodemailer';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { newSid } from './ids.js';
import type { KnobState } from './knobs.js';
import { parseMail } from './mime.js';
import type { Outbox } from './outbox.js';

export interface SmtpSinkOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly knobs: KnobState;
  readonly outbox: Outbox;
  readonly logger: Logger;
}

export interface SmtpSink {
  /** `smtp://HOST:PORT`, for nodemailer's `createTransport`. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Larger messages are refused with 552; invitations are a few kB. */
const MAX_MESSAGE_BYTES = 10 * 1024 * 1024;

const CLOSE_GRACE_MS = 500;

const smtpError = (responseCode: number, message: string): Error => Object.assign(new Error(message), { responseCode });

/** Starts the sink and resolves once it listens. */
export async function startSmtpSink(o: SmtpSinkOptions): Promise<SmtpSink> {
  const { knobs, outbox, logger } = o;
  const server = new SMTPServer({
    logger: false,
    banner: 'invito sandbox SMTP sink (delivers nothing)',
    disabledCommands: ['STARTTLS'],
    authOptional: true,
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    // A reverse DNS lookup per connection is slow and pointless on loopback.
    disableReverseLookup: true,
    size: MAX_MESSAGE_BYTES,
    // On close, idle pooled client connections get `421` after this grace period instead of
    // holding the sink open for smtp-server's default 30 s.
    closeTimeout: CLOSE_GRACE_MS,
    onAuth(auth, _session, callback) {
      // An empty user would make smtp-server refuse the login.
      callback(null, { user: auth.username || 'anonymous' });
    },
    onRcptTo(address, _session, callback) {
      if (knobs.bounce.matches(address.address)) {
        outbox.countBounced();
        // The reply does not repeat the address: clients put replies in their error messages,
        // and those end up in logs.
        return callback(smtpError(550, '5.1.1 Mailbox unavailable'));
      }
      callback();
    },
    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', (e) => callback(e));
      stream.on('end', () => {
        if (stream.sizeExceeded) return callback(smtpError(552, '5.3.4 Message too big'));
        const rate = knobs.now.smtpFailureRate;
        if (rate > 0 && Math.random() < rate) {
          outbox.countDeferred();
          return callback(smtpError(451, '4.3.0 Temporary failure, try again later'));
        }
        const raw = Buffer.concat(chunks);
        const mail = parseMail(raw);
        const id = newSid('EM');
        const mailFrom = session.envelope.mailFrom;
        outbox.addEmail({
          kind: 'email',
          seq: outbox.nextSeq(),
          time: new Date().toISOString(),
          id,
          from: mailFrom ? mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          subject: mail.headers.subject ?? null,
          messageId: mail.headers['message-id'] ?? null,
          headers: mail.headers,
          text: mail.text,
          html: mail.html,
          attachments: mail.attachments,
          user: typeof session.user === 'string' ? session.user : null,
          size: raw.length,
          status: 'accepted',
        });
        logger.debug({ id, recipients: session.envelope.rcptTo.length, bytes: raw.length }, 'email accepted');
        // Read before the reply: smtp-server resets the envelope for the next message.
        const late = session.envelope.rcptTo.map((r) => r.address).filter((a) => knobs.lateBounce.matches(a));
        callback(null, `Ok: queued as ${id}`);
        const dsnTo = knobs.now.dsnTo;
        if (late.length > 0 && dsnTo && mailFrom && mailFrom.address) {
          setTimeout(() => {
            sendDsn(dsnTo, mailFrom.address, late, mail.headers['message-id'] ?? null).then(
              () => outbox.countBounced(),
              (e: Error) => logger.warn({ id, err: { message: e.message } }, 'late bounce could not be sent back'),
            );
          }, knobs.now.callbackDelayMs);
        }
      });
    },
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (e: Error): void => reject(e);
    server.once('error', onError);
    server.listen(o.port, o.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  // After start-up, a client's broken connection must not end the process.
  server.on('error', (e) => logger.warn({ err: { message: e.message } }, 'smtp sink error'));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://${hostForUrl(o.host)}:${port}`,
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A delivery status notification (RFC 3464) for `recipients`, sent to `returnPath` through the SMTP server at `url`. */
async function sendDsn(url: string, returnPath: string, recipients: readonly string[], messageId: string | null): Promise<void> {
  const boundary = `dsn-${newSid('BD')}`;
  const perRecipient = recipients.map((r) => `Final-Recipient: rfc822; ${r}\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 Mailbox unavailable`).join('\r\n\r\n');
  const raw = [
    'From: Mail Delivery System <mailer-daemon@sandbox.invalid>',
    `To: ${returnPath}`,
    'Subject: Undelivered Mail Returned to Sender',
    `Date: ${new Date().toUTCString()}`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    'The message could not be delivered to one or more recipients.',
    '',
    `--${boundary}`,
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; sandbox.invalid',
    ...(messageId ? [`Original-Envelope-Id: ${messageId}`] : []),
    '',
    perRecipient,
    '',
    `--${boundary}--`,
    '',
  ].join('\r\n');
  const transport = nodemailer.createTransport({ url } as never);
  try {
    await transport.sendMail({ envelope: { from: '', to: [returnPath] }, raw });
  } finally {
    transport.close();
  }
}

/** A host as it goes into a URL: IPv6 literals in brackets. */
export function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
