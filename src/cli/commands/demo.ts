/**
 * `invito demo`: the README's first command. On the embedded defaults it generates a
 * synthetic registry and the national centres, imports them, validates the sample campaign
 * and shows its plan — what a health authority does before launching.
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { finished } from 'node:stream/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { loadCampaign } from '../../campaigns/load.js';
import { templateLibrary } from '../../campaigns/messages.js';
import { formatPlan, planCampaign } from '../../campaigns/plan.js';
import { generateCenters, writeCenters, writeCitizens } from '../../registry/generate.js';
import { importCenters, importCitizens } from '../../registry/import.js';
import { withStore } from '../context.js';

const SAMPLE_CAMPAIGN = new URL('../../../campaigns/over80-dose1.yaml', import.meta.url);

export function register(program: Command): void {
  program
    .command('demo')
    .description('run invito end to end on synthetic data (generate → import → validate → plan)')
    .option('--citizens <n>', 'how many synthetic citizens', '20000')
    .option('--dir <dir>', 'where the demo files go', '.invito/demo')
    .action(async (opts: { citizens: string; dir: string }, cmd: Command) => {
      const count = Number(opts.citizens);
      mkdirSync(opts.dir, { recursive: true });
      const citizensFile = join(opts.dir, 'citizens.csv');
      const centersFile = join(opts.dir, 'centers.csv');
      const say = (s: string): boolean => process.stdout.write(s + '\n');

      say(`1. Generating ${count.toLocaleString('en')} synthetic citizens (a few bad rows on purpose) and the 293 national centres…`);
      const out = createWriteStream(citizensFile);
      await writeCitizens(out, { count, seed: 1, dirty: 0.005 });
      out.end();
      await finished(out);
      const cout = createWriteStream(centersFile);
      await writeCenters(cout, generateCenters({}));
      cout.end();
      await finished(cout);

      await withStore(cmd, async (store) => {
        say(`2. Importing into the store (${store.handle.location})…`);
        const c = await importCitizens(store.registry, citizensFile);
        say(`   citizens: ${c.imported} imported, ${c.rejected} rejected${c.rejectsFile ? ` (see ${c.rejectsFile})` : ''}, ${c.warnings} warnings`);
        const k = await importCenters(store.registry, centersFile);
        say(`   centres:  ${k.imported} imported, ${k.rejected} rejected`);

        const file = decodeURIComponent(SAMPLE_CAMPAIGN.pathname);
        say(`3. Validating the sample campaign ${file}… ok`);
        const { campaign } = await loadCampaign(file);

        say('4. Planning it:\n');
        const plan = await planCampaign(store, campaign, await templateLibrary());
        process.stdout.write(formatPlan(plan, campaign));
      });
    });
}
