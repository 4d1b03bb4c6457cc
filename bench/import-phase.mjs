// One phase of the import benchmark, run in its own process so its peak RSS is its own.
// Usage: node bench/import-phase.mjs generate|import|plan ARGS… ; prints one JSON line.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { loadCampaign } from '../dist/campaigns/load.js';
import { planCampaign } from '../dist/pacer/plan.js';
import { templateLibrary } from '../dist/campaigns/messages.js';
import { writeCitizens } from '../dist/synthetic/generate.js';
import { importCitizens } from '../dist/registry/import.js';
import { KyselyStore } from '../dist/store/index.js';

const [phase, ...args] = process.argv.slice(2);
const started = performance.now();
let result;
if (phase === 'generate') {
  const [file, count] = args;
  const out = createWriteStream(file);
  await writeCitizens(out, { count: Number(count), seed: 42 });
  out.end();
  await once(out, 'finish');
  result = { rows: Number(count) };
} else if (phase === 'import') {
  const [db, file, pgSchema] = args;
  const store = await KyselyStore.open(db, pgSchema ? { pgSchema } : {});
  const s = await importCitizens(store.registry, file);
  await store.close();
  result = { rows: s.imported, rejected: s.rejected };
} else if (phase === 'plan') {
  const [db, campaignFile, pgSchema] = args;
  const store = await KyselyStore.open(db, pgSchema ? { pgSchema } : {});
  const { campaign } = await loadCampaign(campaignFile);
  const t = performance.now();
  const plan = await planCampaign(store, campaign, await templateLibrary());
  result = { cohort: plan.cohort.total, planSeconds: (performance.now() - t) / 1000 };
  await store.close();
} else {
  throw new Error(`unknown phase ${phase}`);
}
const seconds = (performance.now() - started) / 1000;
console.log(JSON.stringify({ phase, seconds, peakRssMb: process.resourceUsage().maxRSS / 1024, ...result }));
