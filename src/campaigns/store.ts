/**
 * What campaign checks, plans and previews need from the store: samples of the cohort and
 * the worst cases for message length, a citizen's card, and a centre that serves them.
 */
import type { Channel } from '../core/channels.js';
import type { CohortQuery } from '../cohort/criteria.js';
import type { CitizenStanding } from '../cohort/standing.js';

/** Where a launched campaign stands: the pacer, the worker's error brake and the CLI move it. */
export type CampaignStatus = 'active' | 'paused' | 'cancelled' | 'completed';

/** A citizen as messages and previews see one. */
export interface CitizenCard {
  readonly citizen_id: string;
  readonly given_name: string | null;
  readonly family_name: string | null;
  readonly birth_date: string;
  readonly sex: 'M' | 'F' | 'X' | null;
  readonly language: string;
  readonly phone: string | null;
  readonly email: string | null;
  readonly region: string | null;
  readonly asl: string | null;
  readonly municipality: string | null;
  readonly opt_out: boolean;
  /** Consent to WhatsApp messages (the registry's `whatsapp_opt_in`); absent where not loaded. */
  readonly whatsapp_opt_in?: boolean;
}

export interface CenterCard {
  readonly center_id: string;
  readonly name: string;
  readonly address: string | null;
  readonly municipality: string | null;
  readonly opening: string;
  readonly daily_capacity: number;
}

export interface CampaignStore {
  /** Cohort members per language. */
  cohortLanguages(query: CohortQuery): Promise<Record<string, number>>;
  /** Up to `perLanguage` cohort members of each language (all the cohort's, or those given), drawn at random by the database. */
  cohortSample(query: CohortQuery, perLanguage: number, languages?: readonly string[]): Promise<CitizenCard[]>;
  /** The `n` cohort members with the longest names: the worst case for message length. */
  longestNames(query: CohortQuery, n: number): Promise<CitizenCard[]>;
  /** The centre whose name and address are longest, or null without centres. */
  longestCenter(): Promise<CenterCard | null>;
  /** A centre serving the citizen: catchment by ASL or municipality, else one in the region. */
  centerFor(citizen: CitizenCard): Promise<CenterCard | null>;
  citizen(id: string): Promise<CitizenCard | null>;
  /** What the cohort rules read of one citizen (groups, doses, opt-out), or null when unknown. */
  standing(id: string): Promise<CitizenStanding | null>;
  /**
   * Cohort members by the channel a step would use for them: the first of `channels` they can
   * be reached on (sms and voice need a phone, email an address, a call task always works);
   * `none` when none of the step's channels reaches them.
   */
  channelAssignment(query: CohortQuery, channels: readonly Channel[]): Promise<Record<Channel | 'none', number>>;
  /**
   * Cohort members by the channel a fallback would try if their first attempt did not reach
   * them (the next of `channels` after their first that reaches them; `none`: no fallback), and
   * how many have a fixed-line phone (never sent an SMS: they start on a later channel).
   */
  fallbackAssignment(query: CohortQuery, channels: readonly Channel[]): Promise<{ byChannel: Record<Channel | 'none', number>; fixedLine: number }>;
}
