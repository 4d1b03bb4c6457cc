/**
 * A note on stderr when a command reads a registry that has no citizens or no centres. Opening
 * the default store creates it empty, so without this a new user who runs `plan` in the wrong
 * folder (or before importing) reads zeros and "no citizen" as if they were answers.
 * On stderr, so `--json` output on stdout stays one parseable document.
 */
import type { KyselyStore } from '../store/index.js';

export async function noteEmptyRegistry(store: KyselyStore): Promise<void> {
  const [citizen, center] = await Promise.all([
    store.db.selectFrom('citizens').select('citizen_id').limit(1).executeTakeFirst(),
    store.db.selectFrom('centers').select('center_id').limit(1).executeTakeFirst(),
  ]);
  const where = store.handle.location;
  if (!citizen) process.stderr.write(`invito: note: the store at ${where} has no citizens: import them with \`invito import citizens FILE\` (or choose the store with --db / INVITO_DB)\n`);
  if (!center) process.stderr.write(`invito: note: the store at ${where} has no vaccination centres: import them with \`invito import centers FILE\`\n`);
}
