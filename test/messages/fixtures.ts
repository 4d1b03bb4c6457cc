/** Shared test fixtures: a citizen context and a throw-away template folder. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildContext, type CitizenRecord, type MessageContext } from '../../src/messages/index.js';

export const CITIZEN: CitizenRecord = {
  citizen_id: 'C-000042',
  given_name: 'MARIO',
  family_name: 'ROSSI',
  birth_date: '1950-06-15',
  sex: 'M',
  language: 'it',
};

/** A context for CITIZEN (or a variant), an appointment on Monday 1 March 2021 at 09:30 in Rome. */
export function context(citizen: Partial<CitizenRecord> = {}, options: { start?: string | null; campaignName?: string } = {}): MessageContext {
  const start = options.start === undefined ? '2021-03-01T08:30:00Z' : options.start;
  return buildContext({
    citizen: { ...CITIZEN, ...citizen },
    campaign: { id: 'covid-2021', name: options.campaignName ?? 'Vaccinazione anti COVID-19', timezone: 'Europe/Rome' },
    stepId: 'invite',
    appointment:
      start === null ? null : { center: { name: 'Centro vaccinale Nuvola', address: 'Viale Asia 40', municipality: 'Roma' }, start },
    links: { baseUrl: 'https://invito.example.it/', token: 'tok123' },
    asOf: '2021-02-15',
  });
}

/** Writes files (path relative to the folder → content) into a new temporary folder. */
export async function templateFolder(files: Record<string, string>): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'invito-templates-'));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
