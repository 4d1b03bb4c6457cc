/** `invito preview`: what one citizen would receive from a campaign step, per channel. */
import { DateTime } from 'luxon';
import type { Channel } from '../core/channels.js';
import { InvitoError } from '../core/errors.js';
import { cohortReasons } from '../cohort/standing.js';
import type { TemplateLibrary } from '../messages/index.js';
import { contextFor, provisionalStart, renderStepMessage } from './messages.js';
import type { Campaign } from './schema.js';
import type { CampaignStore } from './store.js';

export type PreviewItem =
  | { channel: 'sms'; language: string; text: string; encoding: 'GSM-7' | 'UCS-2'; characters: number; segments: number }
  | { channel: 'email'; language: string; subject: string; text: string; html: string }
  | { channel: 'voice' | 'call'; language: string; text: string }
  | { channel: 'whatsapp'; language: string; text: string; contentSid: string; variables: Readonly<Record<string, string>> };

export interface PreviewOptions {
  readonly campaign: Campaign;
  readonly library: TemplateLibrary;
  readonly store: CampaignStore;
  readonly citizenId: string;
  /** @defaultValue the first step */
  readonly stepId?: string;
  /** @defaultValue every channel of the step */
  readonly channel?: Channel;
  /** When the message would be sent (for the provisional appointment). @defaultValue now */
  readonly now?: DateTime;
}

export interface PreviewResult {
  readonly citizen: string;
  readonly step: string;
  readonly appointment: { readonly center: string; readonly start: string };
  /** The citizen said stop: invito sends them nothing, in any campaign. */
  readonly optedOut: boolean;
  /** When and how, when the registry knows. */
  readonly optOut: { readonly at: string | null; readonly source: string | null } | null;
  /** Whether the campaign's cohort rules (age, groups, regions, doses) select the citizen, the opt-out aside. */
  readonly inCohort: boolean;
  /** The rules that keep them out, when not in the cohort. */
  readonly notInCohort: readonly string[];
  readonly messages: PreviewItem[];
}

/**
 * Renders a step's messages for one citizen, saying whether invito would send them at all: a
 * preview of someone opted out or outside the cohort is still rendered (to check a template),
 * but flagged. Until slots are allocated, the appointment is
 * provisional: the first centre serving the citizen, at its first opening time two days on.
 */
export async function preview(o: PreviewOptions): Promise<PreviewResult> {
  const { campaign, library } = o;
  const step = o.stepId ? campaign.steps.find((s) => s.id === o.stepId) : campaign.steps[0];
  if (!step) throw new InvitoError('USAGE', `campaign ${campaign.id} has no step ${o.stepId}; its steps: ${campaign.steps.map((s) => s.id).join(', ')}`);
  if (o.channel && !step.channels.includes(o.channel)) {
    throw new InvitoError('USAGE', `step ${step.id} does not use channel ${o.channel}; it uses ${step.channels.join(', ')}`);
  }
  const citizen = await o.store.citizen(o.citizenId);
  if (!citizen) throw new InvitoError('CITIZEN_NOT_FOUND', `no citizen ${o.citizenId} in the registry`);
  const center = await o.store.centerFor(citizen);
  if (!center) {
    throw new InvitoError('CENTER_NOT_FOUND', `no centre serves citizen ${o.citizenId} (none lists their ASL or municipality in its catchment, none is in their region)`);
  }
  const start = provisionalStart(center, campaign, o.now ?? DateTime.now());
  const context = contextFor({ campaign, stepId: step.id, citizen, center, start, asOf: (o.now ?? DateTime.now()).setZone(campaign.timezone).toISODate()! });
  const messages: PreviewItem[] = [];
  const sms = { transliterate: campaign.sms.transliterate, maxSegments: campaign.sms.max_segments };
  for (const channel of o.channel ? [o.channel] : step.channels) {
    const r = renderStepMessage(library, campaign, step, channel, context, sms);
    if (r.channel === 'whatsapp') {
      messages.push({ channel: 'whatsapp', language: r.language, text: r.text, contentSid: r.content.contentSid, variables: r.content.variables });
    } else if (r.channel === 'sms') {
      messages.push({ channel: 'sms', language: r.language, text: r.text, encoding: r.sms.encoding, characters: r.sms.characters, segments: r.sms.segments });
    } else if (r.channel === 'email') {
      messages.push({ channel: 'email', language: r.language, subject: r.subject, text: r.text, html: r.html });
    } else {
      messages.push({ channel: r.channel, language: r.language, text: r.text });
    }
  }
  const standing = await o.store.standing(citizen.citizen_id);
  const notInCohort = standing ? cohortReasons(campaign, standing) : [];
  return {
    citizen: citizen.citizen_id,
    step: step.id,
    appointment: { center: center.center_id, start },
    optedOut: citizen.opt_out,
    optOut: citizen.opt_out ? { at: standing?.opt_out_at ?? null, source: standing?.opt_out_source ?? null } : null,
    inCohort: notInCohort.length === 0,
    notInCohort,
    messages,
  };
}
