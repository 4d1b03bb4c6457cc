/**
 * What the send pipeline needs from the store. The store is the record: a worker reloads the
 * message, checks its state, claims it before calling the provider and records the outcome,
 * so a job that runs twice (BullMQ delivers at least once) never sends twice.
 */
import type { CampaignStatus, CenterCard, CitizenCard } from '../campaigns/store.js';
import type { Channel } from '../core/channels.js';
import type { MessageState } from '../core/lifecycle.js';
import type { Eligibility } from '../cohort/eligibility.js';
import type { AppointmentState } from '../pacer/appointments.js';
import type { IneligibleCitizen } from '../pacer/store.js';

export interface MessageForSend {
  readonly messageId: string;
  readonly campaignId: string;
  readonly stepId: string;
  readonly state: MessageState;
  readonly channel: Channel | null;
  /** The token of the message's reply links, set at release (empty before). */
  readonly linkToken: string;
  readonly citizen: CitizenCard;
  /** The citizen's phone type (core/reach.ts): a text never goes to a fixed line. */
  readonly phoneType: string | null;
  readonly campaignStatus: CampaignStatus;
  /** The campaign's stored definition, as JSON text (campaigns/stored.ts reads it, once per text). */
  readonly definitionText: string;
  /** The appointment the message carries (allocated at release), with its centre. */
  readonly appointment: { readonly state: AppointmentState; readonly start: string; readonly center: CenterCard } | null;
  /** What the cohort's eligibility rule reads of the citizen, as the registry says now (cohort/eligibility.ts). */
  readonly eligibility: Eligibility;
}

export interface DispatchStore {
  /** The message with its citizen and campaign, or null when it does not exist. */
  loadForSend(messageId: string): Promise<MessageForSend | null>;
  /** `queued` → `sending` with this worker's token. False when the message is not queued or the citizen has opted out. */
  claim(messageId: string, token: string, at: string): Promise<boolean>;
  /** `sending` → `sent`, then applies any receipt that arrived before this record. */
  recordSent(messageId: string, token: string, providerId: string, at: string): Promise<void>;
  /** `sending` → `queued`: the provider certainly did not take it; a retry may claim it again. */
  unclaim(messageId: string, token: string, at: string): Promise<void>;
  /** → `failed` with the provider's code, from `queued` (no token) or from this worker's claim. */
  recordFailed(messageId: string, token: string | null, code: string, detail: string, at: string): Promise<void>;
  /** `sending` → `unknown`: the send may or may not have happened; it is never retried. */
  markUnknown(messageId: string, detail: string, at: string): Promise<void>;
  /** Moves a message between states when it is in one of `from`; false otherwise. */
  transition(messageId: string, from: readonly MessageState[], to: MessageState, at: string): Promise<boolean>;
  /**
   * The citizen left the campaign's cohort (cohort/eligibility.ts): their unsent messages of the
   * campaign end, their slots from `day` on are freed, their call tasks closed (pacer/store.ts
   * `endIneligible`). Returns the messages ended.
   */
  endIneligible(campaignId: string, citizens: readonly IneligibleCitizen[], day: string, at: string): Promise<number>;
  /** Finished and failed messages of a campaign, for the error-share brake. */
  outcomes(campaignId: string): Promise<{ failed: number; finished: number }>;
  setCampaignStatus(campaignId: string, status: CampaignStatus, reason: string | null, at: string): Promise<void>;
}
