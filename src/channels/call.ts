/**
 * The `call` channel: no provider — a task on the operators' outbound call list. Creating it
 * twice for one message is a no-op (the task id is the message id).
 */
import type { ChannelAdapter, OutboundMessage, SendResult } from './channel.js';

/** What the call channel needs from the store. */
export interface CallTaskStore {
  /** Adds the task unless it exists; returns its id. */
  createCallTask(task: { messageId: string; campaignId: string; citizenId: string; at: string }): Promise<string>;
}

export class CallChannel implements ChannelAdapter {
  readonly name = 'call' as const;

  constructor(
    private readonly store: CallTaskStore,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async send(m: OutboundMessage): Promise<SendResult> {
    const providerId = await this.store.createCallTask({ messageId: m.messageId, campaignId: m.campaignId, citizenId: m.citizenId, at: this.now().toISOString() });
    return { providerId };
  }

  async close(): Promise<void> {}
}
