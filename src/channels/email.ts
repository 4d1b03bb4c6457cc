/** Email through an SMTP relay with nodemailer's pooled transport. */
import nodemailer, { type Transporter } from 'nodemailer';
import { domainOf, emailMessageId, returnPath } from '../core/return-path.js';
import { ChannelError, type ChannelAdapter, type OutboundMessage, type SendResult, networkFailure } from './channel.js';

export interface EmailOptions {
  /** `smtp://user:pass@host:port` (`INVITO_SMTP_URL`). */
  readonly url: string;
  /** The From address (`INVITO_MAIL_FROM`). */
  readonly from: string;
  /** Connections kept open to the relay. @defaultValue 5 */
  readonly maxConnections?: number;
  /** Messages per second the relay allows, per connection pool (the global limit is BullMQ's). */
  readonly rateLimit?: number;
  /** The domain of the VERP return paths bounces come back to (`INVITO_BOUNCE_DOMAIN`). @defaultValue the From address's domain */
  readonly bounceDomain?: string;
}

export class EmailChannel implements ChannelAdapter {
  readonly name = 'email' as const;
  private readonly transport: Transporter;
  /** The domain of the return paths, fixed at construction (not parsed again on every send). */
  private readonly bounceDomain: string;

  constructor(private readonly o: EmailOptions) {
    this.bounceDomain = o.bounceDomain ?? domainOf(o.from) ?? 'invito.local';
    this.transport = nodemailer.createTransport({
      url: o.url,
      pool: true,
      maxConnections: o.maxConnections ?? 5,
      ...(o.rateLimit ? { rateDelta: 1000, rateLimit: o.rateLimit } : {}),
    } as never);
  }

  async send(m: OutboundMessage): Promise<SendResult> {
    // A Message-ID derived from the message key: the same message always has the same id; and a
    // VERP return path carrying the key, so a bounce names the message (feedback/bounces.ts).
    const messageId = emailMessageId(m.messageId);
    try {
      await this.transport.sendMail({
        from: this.o.from,
        envelope: { from: returnPath(m.messageId, this.bounceDomain), to: m.to },
        to: m.to,
        subject: m.subject ?? '',
        text: m.text,
        ...(m.html ? { html: m.html } : {}),
        messageId,
        headers: { 'List-Unsubscribe': `<${m.optOutUrl}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
      });
      return { providerId: messageId };
    } catch (e) {
      throw smtpFailure(e);
    }
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}

/** SMTP 4xx: try again; 5xx: never; no answer: depends on whether the message was handed over. */
export function smtpFailure(e: unknown): ChannelError {
  const err = e as { responseCode?: number; code?: string; command?: string; message?: string };
  if (typeof err.responseCode === 'number') {
    const code = String(err.responseCode);
    return err.responseCode >= 500
      ? new ChannelError('permanent', code, `email: the relay refused the message (${code})`, { cause: e })
      : new ChannelError('transient', code, `email: the relay deferred the message (${code})`, { cause: e });
  }
  // Before DATA nothing was handed over; a break during or after DATA may have delivered it.
  if (err.command && err.command !== 'DATA' && err.command !== 'DATA_END') {
    return new ChannelError('transient', err.code ?? 'SMTP', `email: the SMTP session failed at ${err.command} (${err.code ?? 'no code'})`, { cause: e });
  }
  return networkFailure({ code: err.code === 'ECONNECTION' ? 'ECONNECTION' : (err.code ?? 'SMTP') }, 'email');
}
