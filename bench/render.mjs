// npm run bench:render — renders per second of the precompiled invitation, on one core.
// SMS figures include analyseSms (encoding and segments), as every SMS render does. Contexts
// vary like a real batch: 10,000 citizens, 20 centres, 288 slot times over two days (a formatted
// date is memoised after its first use, as it is in production); one more SMS row gives every
// render its own start time, so the date cache never hits. Aim: ≥ 50,000 SMS renders/s.
// Each case: warm-up, then BENCH_RUNS runs (default 5) of BENCH_RENDERS renders (default
// 200,000); the table shows the median run.
import { cpus } from 'node:os';
import { buildContext, loadTemplates } from '../dist/messages/index.js';

const runs = Number(process.env.BENCH_RUNS ?? 5);
const renders = Number(process.env.BENCH_RENDERS ?? 200_000);
const warmup = Math.min(renders, 50_000);

const GIVEN = ['MARIA', 'GIUSEPPE', 'ANNA', 'FRANCESCO', 'ROSA', 'ANTONIO', 'GIOVANNA', 'MARIO', 'MARIA GRAZIA', 'LUIGI'];
const FAMILY = ['ROSSI', 'RUSSO', 'FERRARI', 'ESPOSITO', 'BIANCHI', "D'ANGELO", 'ROMANO', 'COLOMBO', "DELL'ACQUA", 'DE LUCA', 'MÜLLER'];
const SEXES = ['F', 'M', 'F', 'M', 'X', null];

const slot = (i) => {
  // Slots every 5 minutes, 08:00–19:55 Rome time (UTC+1 in March), on 1 and 2 March 2021.
  const day = 1 + Math.floor(i / 144) % 2;
  const minutes = 7 * 60 + (i % 144) * 5;
  return `2021-03-0${day}T${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}:00Z`;
};
const uniqueStart = (i) => new Date(Date.UTC(2021, 2, 1, 7) + i * 60_000).toISOString();

function contexts(count, startOf) {
  return Array.from({ length: count }, (_, i) =>
    buildContext({
      citizen: {
        citizen_id: `C${String(i).padStart(8, '0')}`,
        given_name: GIVEN[i % GIVEN.length],
        family_name: FAMILY[(i * 7) % FAMILY.length],
        birth_date: `19${30 + (i % 40)}-0${1 + (i % 9)}-1${i % 10}`,
        sex: SEXES[i % SEXES.length],
        language: 'it',
      },
      campaign: { id: 'bench', name: 'Vaccinazione anti COVID-19', timezone: 'Europe/Rome' },
      stepId: 'invite',
      appointment: {
        center: { name: `Centro vaccinale ${i % 20}`, address: `Via Roma ${1 + (i % 200)}`, municipality: 'Roma' },
        start: startOf(i),
      },
      links: { baseUrl: 'https://invito.example.it', token: `k3Jd9sLq2XbV7mPz${String(i).padStart(6, '0')}` },
      asOf: '2021-02-15',
    }),
  );
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function measure(lib, channel, pool) {
  const request = { templateId: 'invite', channel, context: pool[0], defaultLanguage: 'it' };
  let sink = 0;
  const pass = (n) => {
    for (let i = 0; i < n; i++) {
      request.context = pool[i % pool.length];
      const msg = lib.render(request);
      sink += channel === 'sms' ? msg.sms.segments : msg.html.length;
    }
  };
  pass(warmup);
  const rates = [];
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint();
    pass(renders);
    rates.push(renders / (Number(process.hrtime.bigint() - t0) / 1e9));
  }
  if (sink === 0) throw new Error('nothing rendered');
  return rates;
}

const lib = await loadTemplates(new URL('../templates', import.meta.url).pathname);
const batch = contexts(10_000, slot);
const cases = [
  ['invite SMS (it) + analyseSms', 'sms', batch],
  ['invite SMS (it), every start time new', 'sms', contexts(50_000, uniqueStart)],
  ['invite email (it): subject, text, HTML', 'email', batch],
];

console.log(`invito bench:render — ${runs} runs × ${renders.toLocaleString('en')} renders, node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}`);
const rows = cases.map(([name, channel, pool]) => {
  const rates = measure(lib, channel, pool);
  return {
    case: name,
    'median renders/s': Math.round(median(rates)).toLocaleString('en'),
    'min/s': Math.round(Math.min(...rates)).toLocaleString('en'),
    'max/s': Math.round(Math.max(...rates)).toLocaleString('en'),
    'µs/render': (1e6 / median(rates)).toFixed(1),
  };
});
console.table(rows);
