/**
 * The `invito` command line. Each command lives in `commands/<name>.ts` and exports
 * `register(program)`; this file only wires them and turns errors into exit statuses.
 */
import { Command, CommanderError } from 'commander';
import { ERRORS, internalError, isInvitoError } from '../core/errors.js';
import { storeFault } from '../store/faults.js';
import { endOnClosedPipe } from './context.js';
import { register as registerAudit } from './commands/audit.js';
import { register as registerCalls } from './commands/calls.js';
import { register as registerCampaign } from './commands/campaign.js';
import { register as registerCitizens } from './commands/citizens.js';
import { register as registerDemo } from './commands/demo.js';
import { register as registerDispatch } from './commands/dispatch.js';
import { register as registerGenerate } from './commands/generate.js';
import { register as registerImport } from './commands/import.js';
import { register as registerOperators } from './commands/operators.js';
import { register as registerReport } from './commands/report.js';
import { register as registerSandbox } from './commands/sandbox.js';
import { register as registerServe } from './commands/serve.js';
import { register as registerSimulate } from './commands/simulate.js';
import { register as registerUsers } from './commands/users.js';

export function buildProgram(): Command {
  const program = new Command('invito')
    .description('Outbound campaign scheduler for public-health vaccination campaigns')
    .option('--db <url>', 'store: a SQLite file path (or sqlite:PATH, file:URL) or a postgres:// URL (env INVITO_DB)')
    .showHelpAfterError()
    .exitOverride();
  registerGenerate(program);
  registerImport(program);
  registerCampaign(program);
  registerCitizens(program);
  registerDispatch(program);
  registerSandbox(program);
  registerSimulate(program);
  registerServe(program);
  registerOperators(program);
  registerUsers(program);
  registerAudit(program);
  registerReport(program);
  registerCalls(program);
  registerDemo(program);
  return program;
}

let pipesWatched = false;

/** Runs the CLI and resolves to the process exit status. */
export async function main(argv: string[]): Promise<number> {
  if (!pipesWatched) {
    pipesWatched = true;
    endOnClosedPipe(process.stdout);
    endOnClosedPipe(process.stderr);
  }
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (caught) {
    if (caught instanceof CommanderError) return caught.exitCode === 0 ? 0 : 2;
    // A busy or vanished store is an error of the catalogue wherever the command met it.
    const e = storeFault(caught) ?? caught;
    if (isInvitoError(e)) {
      const json = argv.includes('--json');
      if (json) process.stdout.write(JSON.stringify({ error: e.toJSON() }) + '\n');
      else {
        process.stderr.write(`invito: ${e.message} [${e.code}]\n`);
        for (const i of e.issues) process.stderr.write(`  ${i.where}: ${i.message}\n`);
      }
      return e.exit;
    }
    // Anything else is a bug of ours. A driver's message or a stack can quote the data it was
    // handling, so the user sees the error's kind only; INVITO_DEBUG=1 prints the stack.
    const internal = { code: 'INTERNAL', message: `${internalError(e).message}; run again with INVITO_DEBUG=1 for the details` };
    if (argv.includes('--json')) process.stdout.write(JSON.stringify({ error: internal }) + '\n');
    else process.stderr.write(`invito: ${internal.message} [INTERNAL]\n`);
    if (process.env.INVITO_DEBUG) process.stderr.write(`${(e as Error)?.stack ?? String(e)}\n`);
    return ERRORS.INTERNAL.exit;
  }
}
