/**
 * `invito calls next|done|list|release|reassign|stats`: the call desk from the command line,
 * with the same rules as the web console (both go through `Desk`), for scripting and tests.
 * The card printed by `next` is for the operator's own screen: it carries the citizen's name
 * and phone, so never pipe it into logs.
 */
import type { Command } from 'commander';
import { templateLibrary, templatesDir } from '../../campaigns/messages.js';
import { InvitoError } from '../../core/errors.js';
import { DISPOSITIONS, Desk, type DoneInput, type TaskCard, type TaskState } from '../../desk/desk.js';
import type { KyselyStore } from '../../store/index.js';
import { printJson, withStore } from '../context.js';
import { numberFlag } from '../flags.js';
import { noteEmptyRegistry } from '../registry-note.js';

const STATES: readonly TaskState[] = ['open', 'leased', 'closed'];

function deskFor(store: KyselyStore, cmd: Command): Desk {
  const dir = (cmd.optsWithGlobals() as { templates?: string }).templates;
  return new Desk({ store: store.desk, templates: () => templateLibrary(templatesDir(dir)) });
}

function parseAnswers(text: string | undefined): Record<string, string> | undefined {
  if (text === undefined) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new InvitoError('USAGE', '--answers must be a JSON object such as {"identity":"yes","offer":"yes"}');
  }
  if (!v || typeof v !== 'object' || Array.isArray(v) || !Object.values(v).every((x) => typeof x === 'string')) {
    throw new InvitoError('USAGE', '--answers must be a JSON object of question ids to answer ids');
  }
  return v as Record<string, string>;
}

function printCard(c: TaskCard): void {
  const out: string[] = [];
  out.push(`task ${c.task.taskId}  (${c.campaignName}, attempt ${c.task.attempts + 1}, lease until ${c.task.leaseUntil ?? '-'})`);
  out.push(`citizen ${c.citizen.citizenId}: ${c.citizen.name ?? '(no name)'}, ${c.citizen.age ?? '?'} years, language ${c.citizen.language}, phone ${c.citizen.phone ?? '(none)'}`);
  if (c.appointment) out.push(`appointment ${c.appointment.state}: ${c.appointment.start} at ${c.appointment.centerName ?? c.appointment.centerId}`);
  else out.push('appointment: none');
  for (const m of c.messages) out.push(`  message ${m.stepId}${m.fallback ? ' (fallback)' : ''} ${m.channel ?? '-'} ${m.state}${m.errorCode ? ` (${m.errorCode})` : ''} ${m.sentAt ?? ''}`.trimEnd());
  for (const r of c.responses) out.push(`  reply ${r.kind} by ${r.channel} at ${r.receivedAt}`);
  for (const a of c.calls) out.push(`  call ${a.at} by ${a.operatorId}: ${a.disposition}${a.note ? ` (${a.note})` : ''}`);
  out.push('');
  out.push(c.script ? c.script.text : `(no script: ${c.scriptError})`);
  out.push('');
  out.push('SCRIPT TREE');
  for (const [id, n] of Object.entries(c.tree.nodes)) {
    out.push(`${id === c.tree.start ? '*' : ' '} ${id}: ${n.question}`);
    for (const a of n.answers) out.push(`    ${a.id}: ${a.label} → ${a.next ?? a.outcome}${a.triage ? ' [triage]' : ''}`);
  }
  process.stdout.write(out.join('\n') + '\n');
}

export function register(program: Command): void {
  const calls = program.command('calls').description('the call desk: next call, outcome, list, supervisors\' release and reassign');

  calls
    .command('next')
    .description('lease the best call for an operator and print its card (the same task while the lease lasts)')
    .requiredOption('--operator <id>', 'operator id')
    .option('--json', 'print the card as JSON ({"task": null} when nothing is due)')
    .action(async (opts: { operator: string; json?: boolean }, cmd: Command) => {
      await withStore(cmd, async (store) => {
        await noteEmptyRegistry(store);
        const card = await deskFor(store, cmd).next(opts.operator);
        if (opts.json) printJson(card ?? { task: null });
        else if (card) printCard(card);
        else process.stdout.write('nothing to call now\n');
      });
    });

  calls
    .command('done')
    .description(`record how a call ended: ${DISPOSITIONS.join(', ')}`)
    .argument('<task>', 'task id')
    .requiredOption('--operator <id>', 'operator id (who holds the task)')
    .requiredOption('--disposition <d>', 'how the call ended')
    .option('--callback-at <time>', 'with callback: local time in the campaign\'s zone (2026-03-02T15:30) or ISO with offset')
    .option('--callback-for <who>', 'with callback: me (default) or anyone')
    .option('--answers <json>', 'script answers, {"question": "answer"}')
    .option('--note <text>', 'a note (for triage: what the health worker should know)')
    .option('--other-slot', 'with booked: move the appointment to a later free slot, then confirm it')
    .option('--json', 'print the task, the attempt and the outcome as JSON')
    .action(
      async (
        task: string,
        opts: { operator: string; disposition: string; callbackAt?: string; callbackFor?: string; answers?: string; note?: string; otherSlot?: boolean; json?: boolean },
        cmd: Command,
      ) => {
        const answers = parseAnswers(opts.answers);
        const input: DoneInput = {
          disposition: opts.disposition,
          ...(opts.callbackAt !== undefined ? { callbackAt: opts.callbackAt } : {}),
          ...(opts.callbackFor !== undefined ? { callbackFor: opts.callbackFor as 'me' | 'anyone' } : {}),
          ...(answers ? { answers } : {}),
          ...(opts.note !== undefined ? { note: opts.note } : {}),
          ...(opts.otherSlot ? { otherSlot: true } : {}),
        };
        await withStore(cmd, async (store) => {
          const r = await deskFor(store, cmd).done(opts.operator, task, input);
          if (opts.json) printJson(r);
          else process.stdout.write(`${task}: ${r.attempt.disposition} → ${r.outcome}${r.task.dueAt && r.outcome !== 'closed' ? ` (due ${r.task.dueAt})` : r.task.closedReason ? ` (${r.task.closedReason})` : ''}\n`);
        });
      },
    );

  calls
    .command('list')
    .description('call tasks by campaign, priority and order')
    .option('--campaign <id>', 'one campaign')
    .option('--state <state>', `only ${STATES.join(', ')}`)
    .option('--triage', 'only tasks flagged for a health worker')
    .option('--limit <n>', 'at most this many', '500')
    .option('--json', 'print a JSON array')
    .action(async (opts: { campaign?: string; state?: string; triage?: boolean; limit: string; json?: boolean }, cmd: Command) => {
      if (opts.state !== undefined && !(STATES as readonly string[]).includes(opts.state)) throw new InvitoError('USAGE', `--state must be one of ${STATES.join(', ')}`);
      const limit = numberFlag('--limit', opts.limit, { min: 1, max: 100_000, integer: true });
      await withStore(cmd, async (store) => {
        const tasks = await deskFor(store, cmd).list({
          ...(opts.campaign !== undefined ? { campaignId: opts.campaign } : {}),
          ...(opts.state !== undefined ? { state: opts.state as TaskState } : {}),
          ...(opts.triage ? { triage: true } : {}),
          limit,
        });
        if (opts.json) printJson(tasks);
        else {
          for (const t of tasks) {
            const who = t.leaseOperator ?? t.callbackOperator ?? '';
            process.stdout.write(`${t.taskId}\t${t.state}${t.closedReason ? `:${t.closedReason}` : ''}\t${t.language ?? '-'}\tattempts ${t.attempts}\t${t.dueAt ?? ''}\t${who}${t.triage ? '\ttriage' : ''}\n`);
          }
        }
      });
    });

  calls
    .command('release')
    .description('supervisors: end a lease, the task goes back on the list at once')
    .argument('<task>', 'task id')
    .option('--json', 'print the task as JSON')
    .action(async (task: string, opts: { json?: boolean }, cmd: Command) => {
      await withStore(cmd, async (store) => {
        const t = await deskFor(store, cmd).release(task);
        if (opts.json) printJson(t);
        else process.stdout.write(`${task}: released\n`);
      });
    });

  calls
    .command('reassign')
    .description('supervisors: give a task to another operator')
    .argument('<task>', 'task id')
    .requiredOption('--to <operator>', 'operator id')
    .option('--json', 'print the task as JSON')
    .action(async (task: string, opts: { to: string; json?: boolean }, cmd: Command) => {
      await withStore(cmd, async (store) => {
        const t = await deskFor(store, cmd).reassign(task, opts.to);
        if (opts.json) printJson(t);
        else process.stdout.write(`${task}: ${t.leaseOperator ? `leased to ${t.leaseOperator}` : `callback for ${t.callbackOperator}`}\n`);
      });
    });

  calls
    .command('stats')
    .description('list sizes, calls per hour, outcomes per operator and per campaign')
    .option('--json', 'print one JSON object')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withStore(cmd, async (store) => {
        const s = await deskFor(store, cmd).stats();
        if (opts.json) return printJson(s);
        const out = [`on shift ${s.onShift}, flagged for triage ${s.triage}`];
        for (const l of s.lists) out.push(`${l.campaignId}: due ${l.due}, waiting ${l.waiting}, leased ${l.leased}, closed ${l.closed}`);
        out.push(`calls in the last hour: ${s.callsPerHour.at(-1)?.calls ?? 0}`);
        for (const o of s.byOperator) out.push(`${o.operatorId}: ${o.calls} calls ${JSON.stringify(o.outcomes)}`);
        process.stdout.write(out.join('\n') + '\n');
      });
    });
}
