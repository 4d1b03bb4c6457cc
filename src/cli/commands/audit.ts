/** `invito audit list`: the audit log, oldest first, filtered by time, actor, action or target. */
import type { Command } from 'commander';
import { DateTime } from 'luxon';
import { AUDIT_ACTIONS, AuditLog } from '../../authority/audit.js';
import { InvitoError } from '../../core/errors.js';
import { printJson, withStore } from '../context.js';

/** An ISO date or time as given (`2026-12-07`, `2026-12-07T09:00`, with or without a zone; Europe/Rome when none), as UTC ISO. */
function instant(flag: string, text: string): string {
  const t = DateTime.fromISO(text, { zone: 'Europe/Rome', setZone: false });
  if (!t.isValid) throw new InvitoError('USAGE', `${flag}: "${text}" is not an ISO date or time (2026-12-07 or 2026-12-07T09:00)`);
  return t.toUTC().toISO()!;
}

export function register(program: Command): void {
  const audit = program.command('audit').description('the audit log: who did what, when, from where (ids only)');
  audit
    .command('list')
    .description('entries oldest first, as tab-separated lines or JSON')
    .option('--since <time>', 'from this ISO date or time (Europe/Rome unless it names a zone)')
    .option('--until <time>', 'before this ISO date or time')
    .option('--actor <id>', 'only this account (or cli:<user>)')
    .option('--action <action>', `only this action (${AUDIT_ACTIONS.join(', ')})`)
    .option('--target <id>', 'only entries about this campaign, account, task or citizen')
    .option('--json', 'print a JSON array')
    .action(async (opts: { since?: string; until?: string; actor?: string; action?: string; target?: string; json?: boolean }, cmd: Command) => {
      if (opts.action !== undefined && !(AUDIT_ACTIONS as readonly string[]).includes(opts.action)) throw new InvitoError('USAGE', `--action: "${opts.action}" is not one of ${AUDIT_ACTIONS.join(', ')}`);
      const q = {
        ...(opts.since ? { since: instant('--since', opts.since) } : {}),
        ...(opts.until ? { until: instant('--until', opts.until) } : {}),
        ...(opts.actor ? { actor: opts.actor } : {}),
        ...(opts.action ? { action: opts.action } : {}),
        ...(opts.target ? { target: opts.target } : {}),
      };
      await withStore(cmd, async (store) => {
        const entries = await new AuditLog(store.audit).list(q);
        if (opts.json) return printJson(entries);
        process.stdout.write(entries.map((e) => [e.at, e.actor, e.action, e.target ?? '-', e.origin, Object.entries(e.details).map(([k, v]) => `${k}=${String(v)}`).join(' ')].join('\t') + '\n').join(''));
      });
    });
}
