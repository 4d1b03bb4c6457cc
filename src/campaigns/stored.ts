/**
 * A campaign as the store keeps it: the definition's JSON text, read back through the schema.
 * The store returns the text; this turns it into a campaign, once per text.
 */
import { ZodError } from 'zod';
import { type Campaign, campaignSchema } from './schema.js';

/** A stored definition, through the schema again: keys added since its launch get their defaults. */
const parseStoredCampaign = (text: string): Campaign => campaignSchema.parse(JSON.parse(text));

/** Parsed definitions by campaign id and JSON text: a worker parses each campaign once. */
const definitions = new Map<string, { text: string; campaign: Campaign }>();

/** The stored definition of campaign `id`, parsed once per text (a changed text is parsed again). Throws as the schema does. */
export function storedCampaign(id: string, text: string): Campaign {
  const cached = definitions.get(id);
  if (cached && cached.text === text) return cached.campaign;
  const campaign = parseStoredCampaign(text);
  if (definitions.size >= 10_000) definitions.clear();
  definitions.set(id, { text, campaign });
  return campaign;
}

/** Why a stored definition no longer passes the schema: its first problem, by path. */
export function definitionProblem(e: unknown): string {
  const first = e instanceof ZodError ? e.issues[0] : undefined;
  const path = first?.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
  return `the stored definition is no longer valid${first ? `: ${path || 'campaign'} ${first.message}` : ''}; cancel it and launch a corrected file`;
}
