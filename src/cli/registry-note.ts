/**
 * A note on stderr when a command reads a registry that has no citizens or no centres. Opening
 * the default store creates it empty, so without this a new user who runs `plan` in the wrong
 * folder (or before importing) reads zeros and "no citizen" as if they were answers.
 * On stderr, so `--json` output on stdout stays one parseable document.
 */

/** What the note needs from a store: whether its registry holds anyone, and where it is. */
export interface RegistryPresence {
  readonly registry: { presence(): Promise<{ citizens: boolean; centers: boolean }> };
  readonly handle: { readonly location: string };
}

export async function noteEmptyRegistry(store: RegistryPresence): Promise<void> {
  const { citizens, centers } = await store.registry.presence();
  const where = store.handle.location;
  if (!citizens) process.stderr.write(`invito: note: the store at ${where} has no citizens: import them with \`invito import citizens FILE\` (or choose the store with --db / INVITO_DB)\n`);
  if (!centers) process.stderr.write(`invito: note: the store at ${where} has no vaccination centres: import them with \`invito import centers FILE\`\n`);
}
