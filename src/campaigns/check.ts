/**
 * Campaign validation beyond the schema: every step's templates exist for every channel, every
 * language of the cohort is covered (directly or by fallback), no variable is missing, and no
 * SMS is longer than `sms.max_segments` — rendered for a sample of the real cohort plus its
 * worst cases (the longest names in the registry at the centre with the longest address).
 */
import type { Channel } from '../core/channels.js';
import { InvitoError, type Issue } from '../core/errors.js';
import { nearest } from '../core/similar.js';
import { cohortQuery } from '../cohort/criteria.js';
import { contentFor, renderWhatsApp, sampleContext, type TemplateLibrary } from '../messages/index.js';
import { contextFor, publicUrl, SAMPLE_CENTER, worstCaseStart } from './messages.js';
import type { Campaign } from './schema.js';
import type { CampaignStore } from './store.js';

export interface CheckOptions {
  readonly campaign: Campaign;
  /** The campaign file, for positions in messages. */
  readonly file: string;
  /** `file:line:column` of a schema path in the campaign file (`LoadedCampaign.where`); without it, steps are named by id. */
  readonly where?: (path: readonly PropertyKey[]) => string;
  readonly library: TemplateLibrary;
  /** The registry to sample; without it only the built-in sample citizens are rendered. */
  readonly store?: CampaignStore;
  /** Random cohort members rendered per language. @defaultValue 50 */
  readonly samplePerLanguage?: number;
  /** Cohort members with the longest names rendered. @defaultValue 10 */
  readonly worstCases?: number;
}

/** Every problem found, in the order of the steps; an empty list means the campaign is sound. */
export async function checkCampaign(o: CheckOptions): Promise<Issue[]> {
  const { campaign, library, store } = o;
  const q = cohortQuery(campaign);
  const languages = store ? Object.keys(await store.cohortLanguages(q)) : [];
  const sms = { maxSegments: campaign.sms.max_segments, transliterate: campaign.sms.transliterate };
  const issues: Issue[] = [];
  const allLanguages = [...new Set([...languages, campaign.language])];
  campaign.steps.forEach((step, i) => {
    if (step.whatsapp && step.channels.includes('whatsapp')) issues.push(...whatsappIssues(o, i, allLanguages));
    for (const issue of library.check({
      templateId: step.template,
      // WhatsApp is a content template (its variables checked above), not a template file.
      channels: step.channels.filter((ch) => ch !== 'whatsapp'),
      languages: [...new Set([...languages, campaign.language])],
      defaultLanguage: campaign.language,
      sms,
      sample: sampleContext(campaign.language, publicUrl()),
    })) {
      issues.push(issue.code === 'TEMPLATE_NOT_FOUND' ? missingTemplate(o, i, issue.where.split('/')[1] as Channel) : issue);
    }
  });
  if (!store || issues.length > 0) return issues;

  // The real cohort: a random sample of each language, and the longest names, at the longest centre.
  const citizens = [...(await store.cohortSample(q, o.samplePerLanguage ?? 50)), ...(await store.longestNames(q, o.worstCases ?? 10))];
  const center = (await store.longestCenter()) ?? SAMPLE_CENTER;
  const start = worstCaseStart(campaign);
  for (const step of campaign.steps) {
    if (!step.channels.includes('sms')) continue;
    let worst: { id: string; segments: number; language: string } | null = null;
    for (const citizen of citizens) {
      const rendered = library.render({
        templateId: step.template,
        channel: 'sms',
        context: contextFor({ campaign, stepId: step.id, citizen, center, start }),
        defaultLanguage: campaign.language,
        sms: { ...sms, maxSegments: Number.POSITIVE_INFINITY },
      });
      if (rendered.sms.segments > campaign.sms.max_segments && (worst === null || rendered.sms.segments > worst.segments)) {
        worst = { id: citizen.citizen_id, segments: rendered.sms.segments, language: rendered.language };
      }
    }
    if (worst) {
      issues.push({
        where: `${o.file}: step ${step.id}`,
        message: `the SMS (${step.template}/sms.${worst.language}) for citizen ${worst.id} needs ${worst.segments} segments, more than sms.max_segments ${campaign.sms.max_segments}`,
      });
    }
  }
  return issues;
}

/**
 * A step whose template has no text for one of its channels, at the step's `template` in the
 * campaign file (that is what the author edits), with the nearest template that has one.
 */
function missingTemplate(o: CheckOptions, stepIndex: number, channel: Channel): Issue {
  const step = o.campaign.steps[stepIndex]!;
  const path = ['steps', stepIndex, 'template'];
  const withChannel = o.library.templateIds().filter((id) => o.library.languages(id, channel).length > 0);
  const guess = nearest(step.template, withChannel);
  const hint = guess ? ` — did you mean "${guess}"?` : withChannel.length > 0 ? ` (${channel} templates: ${cut(withChannel)})` : '';
  return {
    where: o.where ? o.where(path) : `${o.file}: step ${step.id}`,
    message: `steps[${stepIndex}].template: no ${channel} template "${step.template}" in ${o.library.dir}${hint}`,
  };
}

/**
 * A WhatsApp step's content templates and variables: one template for every language the cohort
 * speaks (directly or by fallback), and variables that render for the sample citizens.
 */
function whatsappIssues(o: CheckOptions, stepIndex: number, languages: readonly string[]): Issue[] {
  const { campaign, library } = o;
  const step = campaign.steps[stepIndex]!;
  const settings = step.whatsapp!;
  const where = (key: string) => (o.where ? o.where(['steps', stepIndex, 'whatsapp', key]) : `${o.file}: step ${step.id}`);
  const issues: Issue[] = [];
  for (const language of languages) {
    if (contentFor(settings, language, campaign.language) === null) {
      issues.push({ where: where('content_sid'), message: `steps[${stepIndex}].whatsapp.content_sid: no content template for ${language}, the default ${campaign.language} or it` });
      return issues;
    }
  }
  for (const language of languages) {
    const sample = sampleContext(language, publicUrl());
    try {
      renderWhatsApp(library, settings, { ...sample, citizen: { ...sample.citizen, language } }, campaign.language, `steps[${stepIndex}].whatsapp.variables`);
    } catch (e) {
      if (!(e instanceof InvitoError)) throw e;
      issues.push({ where: where(settings.variables ? 'variables' : 'content_sid'), message: e.message.replace(/; citizen [^;]*$/, '') });
      return issues;
    }
  }
  return issues;
}

/** A list for a message, cut after ten. */
const cut = (ids: readonly string[]): string => (ids.length > 10 ? `${ids.slice(0, 10).join(', ')}, …` : ids.join(', '));

/** Throws CAMPAIGN_INVALID listing every problem, or returns quietly. */
export async function assertCampaignSound(o: CheckOptions): Promise<void> {
  const issues = await checkCampaign(o);
  if (issues.length > 0) {
    throw new InvitoError('CAMPAIGN_INVALID', `${o.file} has ${issues.length} problem${issues.length === 1 ? '' : 's'} with its messages`, { issues });
  }
}
