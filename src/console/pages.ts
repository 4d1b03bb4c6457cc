/**
 * The console's pages, rendered on the server. They show personal data (name, phone, age) to
 * the signed-in operator and nowhere else: no page is cached, and nothing here is logged.
 */
import { DateTime } from 'luxon';
import { DISPOSITIONS, type Disposition } from '../campaigns/schema-desk.js';
import { type LineCall, type LineOperator, type LineView, SERVICE_LEVEL_SECONDS, lineTaskId } from '../desk/line.js';
import type { CallTask, DeskStats, Operator, TaskCard } from '../desk/types.js';
import { type Html, html } from '../web/markup.js';
import { BASE, type Notice, type Viewer, csrfField, page } from './layout.js';
import type { CitizenHistory, ReplyToRead } from '../reports/citizen.js';
import type { WalkState } from './walk.js';

/** How each disposition reads on its button, in the order they are offered. */
export const DISPOSITION_LABELS: Readonly<Record<Disposition, string>> = {
  booked: 'Booked',
  declined: 'Declined',
  already_vaccinated: 'Already vaccinated',
  no_answer: 'No answer',
  busy: 'Busy',
  voicemail: 'Voicemail',
  wrong_number: 'Wrong number',
  callback: 'Callback',
  moved: 'Moved',
  deceased: 'Deceased',
  do_not_call: 'Do not call',
};

const OUTCOME_LABELS: Readonly<Record<string, string>> = { ...DISPOSITION_LABELS, other_slot: 'Booked on another day', unreachable: 'Unreachable', opted_out: 'Opted out', no_longer_eligible: 'No longer in the cohort' };

const label = (s: string): string => OUTCOME_LABELS[s] ?? s;

/** A timestamp in a zone, to the minute. */
const when = (iso: string | null, zone: string): string => (iso ? DateTime.fromISO(iso, { zone }).toFormat('yyyy-LL-dd HH:mm') : '—');

export function signInPage(o: { formToken: string; operatorId?: string; notice?: Notice }): string {
  return page(
    'Sign in',
    html`<div class="signin panel"><h1>Sign in</h1>
<form method="post" action="${BASE}/sign-in">
<input type="hidden" name="_csrf" value="${o.formToken}">
<label for="operator">Operator id</label><input type="text" id="operator" name="operator" value="${o.operatorId ?? ''}" autocomplete="username" autocapitalize="none" spellcheck="false" required ${o.operatorId ? '' : 'autofocus'}>
<label for="password">Password</label><input type="password" id="password" name="password" autocomplete="current-password" required ${o.operatorId ? 'autofocus' : ''}>
<p><button type="submit">Sign in</button></p>
</form></div>`,
    undefined,
    o.notice,
  );
}

/** The operator on the free-phone line: their phone, whether they are ready, the caller they are on. */
export interface InboundState {
  readonly operator: LineOperator;
  readonly call: LineCall | null;
}

/** A phone shown by its last digits only (the operator's own, on their own page). */
const lastDigits = (phone: string): string => `…${phone.slice(-3)}`;

/** Where the operator's screen for a line call is: the card of its task (identified) or the line call's page. */
export const lineCallPath = (call: LineCall): string => (call.taskId ? `${BASE}/calls/${encodeURIComponent(lineTaskId(call.callSid))}` : `${BASE}/line/${encodeURIComponent(call.callSid)}`);

function inboundPanel(viewer: Viewer, s: InboundState): Html {
  const op = s.operator;
  if (!op.phone) {
    return html`<section class="panel" aria-labelledby="inbound"><h2 id="inbound">Inbound calls</h2><p class="muted">Your account has no phone for the free-phone line's calls: a supervisor adds one with <code>invito operators phone ${op.operatorId} +39…</code>.</p></section>`;
  }
  const pause = html`<form method="post" action="${BASE}/desk/line/pause">${csrfField(viewer.csrfToken)}<button type="submit" class="secondary">Stop taking inbound calls</button></form>`;
  let body: Html;
  if (s.call && s.call.state === 'connected') {
    body = html`<p class="alert ok" role="status" id="line-call">${s.call.citizenId ? 'A caller is connected: citizen ' + s.call.citizenId + '.' : 'A caller is connected: not identified.'} <a class="button" href="${lineCallPath(s.call)}">Open the caller's card</a></p>`;
  } else if (s.call) {
    body = html`<p class="alert ok" role="status" id="line-call">Your phone (${lastDigits(op.phone)}) is ringing: a caller from the ${s.call.language} queue.</p>`;
  } else if (op.ready) {
    body = html`<p id="line-state"><strong>Ready for inbound</strong> on ${lastDigits(op.phone)}: the next caller in ${op.languages.join(', ')} who waits longest rings your phone. This page refreshes by itself.</p>${pause}`;
  } else {
    body = html`<p id="line-state" class="muted">Not taking inbound calls.</p><form method="post" action="${BASE}/desk/line/ready">${csrfField(viewer.csrfToken)}<button type="submit">Ready for inbound</button></form>`;
  }
  return html`<section class="panel" aria-labelledby="inbound"><h2 id="inbound">Inbound calls</h2>${body}</section>`;
}

/** The desk between calls: the next-call button, the call still open if there is one, and the free-phone line. */
export function deskPage(viewer: Viewer, o: { held: readonly CallTask[]; notice?: Notice; inbound?: InboundState }): string {
  const held = o.held.length
    ? html`<div class="panel"><h2>Your open call</h2><p>${o.held.map((t) => html`<a class="button secondary" href="${BASE}/calls/${encodeURIComponent(t.taskId)}">Return to task ${t.taskId}</a> `)}</p></div>`
    : html``;
  return page(
    'Desk',
    html`<div class="panel"><h1>Ready for the next call</h1>
<p class="muted">Due callbacks come first, then each campaign's order. Only citizens in their call window and speaking your languages.</p>
<form method="post" action="${BASE}/desk/next">${csrfField(viewer.csrfToken)}
<button type="submit" class="big" autofocus data-key="n" aria-keyshortcuts="N">Next call</button> <span class="muted hint">or press <span class="kbd">N</span></span></form></div>
${held}${o.inbound ? inboundPanel(viewer, o.inbound) : ''}`,
    viewer,
    o.notice,
    // Ready or ringing: the page shows the caller as soon as they are connected.
    o.inbound && (o.inbound.operator.ready || o.inbound.call) ? 5 : undefined,
  );
}

/** The operator's screen for a caller nobody identified: what is known, and how to find them. */
export function lineCallPage(viewer: Viewer, call: LineCall, zone: string, now: Date): string {
  const waited = call.answeredAt ? Math.round((Date.parse(call.answeredAt) - Date.parse(call.enqueuedAt)) / 1000) : Math.round((now.getTime() - Date.parse(call.enqueuedAt)) / 1000);
  return page(
    'Inbound call',
    html`<section class="panel" aria-labelledby="caller"><h1 id="caller">Caller not identified</h1>
<p>From the ${call.language} queue, waiting since ${when(call.enqueuedAt, zone)} (${String(waited)} s). Their number matched no citizen with an open appointment, or they did not say which one they are.</p>
<p class="muted">Ask for the citizen's id (on the invitation) and open their record: their appointment, messages and answers, and what can be done.</p>
<form method="get" action="${BASE}/citizens" class="inline"><label for="citizen">Citizen id</label><input type="text" id="citizen" name="id" autocomplete="off" spellcheck="false" required><button type="submit">Open</button></form></section>`,
    viewer,
  );
}

/** The supervisor's view of the free-phone line: the queues now, the operators, the service level per hour. */
export function linePage(viewer: Viewer, o: { view: LineView; operators: readonly LineOperator[]; zone: string; now: Date }): string {
  const v = o.view;
  const pct = (x: number | null): string => (x === null ? '—' : `${Math.round(x * 100)}%`);
  const queues = v.queues.length
    ? html`<table id="line-queues"><thead><tr><th>Queue</th><th class="n">Calls waiting</th><th class="n">Longest wait (s)</th><th class="n">Operators ready</th><th class="n">Of them on a call</th></tr></thead><tbody>${v.queues.map(
        (q) => html`<tr data-queue="${q.language}"><td>${q.language}</td><td class="n">${String(q.waiting)}</td><td class="n">${String(q.longestWaitS)}</td><td class="n">${String(q.ready)}</td><td class="n">${String(q.onCall)}</td></tr>`,
      )}</tbody></table>`
    : html`<p class="muted">Nobody is waiting and no operator is ready.</p>`;
  const hours = v.hours.length
    ? html`<table id="line-hours"><thead><tr><th>Hour (${o.zone})</th><th class="n">Calls</th><th class="n">Answered</th><th class="n">Within ${String(SERVICE_LEVEL_SECONDS)} s</th><th class="n">Service level</th></tr></thead><tbody>${v.hours.map(
        (h) => html`<tr><td>${when(h.hour, o.zone)}</td><td class="n">${String(h.offered)}</td><td class="n">${String(h.answered)}</td><td class="n">${String(h.answeredInTime)}</td><td class="n">${pct(h.serviceLevel)}</td></tr>`,
      )}</tbody></table>`
    : html`<p class="muted">No call entered a queue in the last hours.</p>`;
  const withPhone = o.operators.filter((op) => op.phone && !op.disabled);
  const ops = withPhone.length
    ? html`<table id="line-operators"><thead><tr><th>Operator</th><th>Languages</th><th>State</th><th>Idle since</th></tr></thead><tbody>${withPhone.map(
        (op) => html`<tr><td>${op.operatorId}</td><td>${op.languages.join(', ')}</td><td>${op.onCall ? 'on a call' : op.ready ? 'ready' : 'not taking calls'}</td><td>${op.ready && !op.onCall ? when(op.idleSince, o.zone) : '—'}</td></tr>`,
      )}</tbody></table>`
    : html`<p class="muted">No operator has a phone for inbound calls (<code>invito operators phone ID +39…</code>).</p>`;
  return page(
    'Line',
    html`<h1>The free-phone line</h1><p class="muted">At ${when(o.now.toISOString(), o.zone)} (${o.zone}); this page refreshes by itself. The service level is the share of the calls that entered a queue in the hour which an operator answered within ${String(SERVICE_LEVEL_SECONDS)} seconds.</p>
<section class="panel" aria-labelledby="queues"><h2 id="queues">Queues</h2>${queues}</section>
<section class="panel" aria-labelledby="hours"><h2 id="hours">Service level per hour</h2>${hours}</section>
<section class="panel" aria-labelledby="ops"><h2 id="ops">Operators on the line</h2>${ops}</section>`,
    viewer,
    undefined,
    10,
  );
}

/** What the wrap-up form keeps when it comes back with an error. */
export interface WrapUp {
  readonly note?: string;
  readonly callbackAt?: string;
  readonly callbackFor?: 'me' | 'anyone';
}

/** The call screen: the citizen's card, the script and its tree, the wrap-up. */
export function callPage(viewer: Viewer, card: TaskCard, o: { walk: WalkState; zone: string; now: Date; wrapUp?: WrapUp; notice?: Notice }): string {
  const { task, citizen } = card;
  const path = `${BASE}/calls/${encodeURIComponent(task.taskId)}`;
  const zone = o.zone;
  const appt = card.appointment;
  const cardPanel = html`<section class="panel" aria-labelledby="citizen"><h2 id="citizen" class="name">${citizen.name ?? `Citizen ${citizen.citizenId}`}</h2>
<p class="phone" aria-label="Phone">${citizen.phone ? html`<a href="tel:${citizen.phone}">${citizen.phone}</a>` : 'no phone number'}</p>
<dl class="card">
<dt>Age</dt><dd>${citizen.age ?? '—'}</dd>
<dt>Language</dt><dd>${citizen.language}</dd>
<dt>Municipality</dt><dd>${citizen.municipality ?? '—'}</dd>
<dt>Campaign</dt><dd>${card.campaignName}</dd>
<dt>Appointment</dt><dd>${
    appt
      ? html`${when(appt.start, zone)} · ${appt.centerName ?? appt.centerId}${appt.centerAddress ? html`, ${appt.centerAddress}` : ''}${appt.centerMunicipality ? html`, ${appt.centerMunicipality}` : ''} <span class="muted">(${appt.state})</span>`
      : 'none'
  }</dd>
<dt>Attempt</dt><dd>${task.attempts + 1}${task.lastDisposition ? html` <span class="muted">(last: ${label(task.lastDisposition)})</span>` : ''}</dd>
<dt>Task</dt><dd>${task.taskId}${task.triage ? html` <span class="flag">health worker</span>` : ''}</dd>
</dl></section>
<section class="panel" aria-labelledby="history"><h2 id="history">History</h2>
<h3>Earlier calls</h3>${
    card.calls.length
      ? html`<ul class="history">${card.calls.map(
          (c) =>
            html`<li><strong>${label(c.disposition)}</strong>${c.callbackAt ? html` for ${when(c.callbackAt, zone)}` : ''} <span class="muted">· ${when(c.at, zone)} · ${c.operatorId}</span>${c.note ? html`<br>${c.note}` : ''}</li>`,
        )}</ul>`
      : html`<p class="muted">None.</p>`
  }
<h3>Messages</h3>${
    card.messages.length || card.responses.length
      ? html`<ul class="history">${[
          ...card.messages.map((m) => ({ at: m.sentAt ?? m.updatedAt, item: html`<strong>${m.stepId}</strong>${m.fallback ? ' (fallback)' : ''} by ${m.channel ?? '—'}: ${m.state}${m.errorCode ? html` (${m.errorCode})` : ''} <span class="muted">· ${m.campaignId}</span>` })),
          ...card.responses.map((r) => ({ at: r.receivedAt, item: html`<strong>reply</strong> by ${r.channel}: ${r.kind}` })),
        ]
          .sort((a, b) => a.at.localeCompare(b.at))
          .map((e) => html`<li>${e.item} <span class="muted">· ${when(e.at, zone)}</span></li>`)}</ul>`
      : html`<p class="muted">None.</p>`
  }</section>`;

  const w = o.walk;
  const trail = w.trail.length
    ? html`<ol class="walk">${w.trail.map((t) => html`<li>${t.question} → <strong>${t.answer.label}</strong>${t.answer.triage ? html` <span class="flag">health worker</span>` : ''}</li>`)}</ol>
<form method="post" action="${path}/back">${csrfField(viewer.csrfToken)}<button type="submit" class="secondary">Back one question</button></form>`
    : html``;
  const question =
    w.node && w.nodeId
      ? html`<p class="question" id="q">${w.node.question}</p>${w.node.hint ? html`<p class="muted">${w.node.hint}</p>` : ''}
<form method="post" action="${path}/answer" aria-labelledby="q">${csrfField(viewer.csrfToken)}<input type="hidden" name="node" value="${w.nodeId}">
<div class="answers">${w.node.answers.map(
          (a, i) =>
            html`<button type="submit" name="answer" value="${a.id}"${i < 9 ? html` data-key="${i + 1}" aria-keyshortcuts="${i + 1}"` : ''}${i === 0 ? ' autofocus' : ''}>${i < 9 ? html`<span class="kbd" aria-hidden="true">${i + 1}</span> ` : ''}${a.label}</button>`,
        )}</div></form>`
      : html`<p class="question">Script done: <strong>${w.outcome ? label(w.outcome) : '—'}</strong>. Record the outcome below.</p>`;
  const scriptText = card.script
    ? html`<div class="script" lang="${card.script.language}">${card.script.text}</div>`
    : html`<div class="alert error">No script text for this call${card.scriptError ? html`: ${card.scriptError}` : ''}. Use the questions below.</div>`;

  const suggested: Disposition | null = w.outcome === 'other_slot' ? 'booked' : w.outcome;
  const wrap = o.wrapUp ?? {};
  const minLocal = DateTime.fromJSDate(o.now, { zone }).plus({ minutes: 1 }).toFormat("yyyy-LL-dd'T'HH:mm");
  const wrapPanel = html`<section class="panel" aria-labelledby="wrap"><h2 id="wrap">Outcome and wrap-up</h2>
<form method="post" action="${path}/done">${csrfField(viewer.csrfToken)}${w.outcome === 'other_slot' ? html`<input type="hidden" name="otherSlot" value="1">` : ''}
<label for="note">Wrap-up note${w.triage ? ' (triage: what worries them)' : ''}</label>
<textarea id="note" name="note" maxlength="2000"${w.triage ? ' required' : ''}>${wrap.note ?? ''}</textarea>
<fieldset><legend>Callback time</legend><div class="inline">
<div><label for="callbackAt">When (${zone})</label><input type="datetime-local" id="callbackAt" name="callbackAt" min="${minLocal}" value="${wrap.callbackAt ?? ''}"></div>
<div><span class="radio"><input type="radio" id="cb-me" name="callbackFor" value="me"${wrap.callbackFor === 'anyone' ? '' : ' checked'}><label for="cb-me">for me</label></span>
<span class="radio"><input type="radio" id="cb-anyone" name="callbackFor" value="anyone"${wrap.callbackFor === 'anyone' ? ' checked' : ''}><label for="cb-anyone">for anyone</label></span></div>
</div></fieldset>
<div class="dispositions">${DISPOSITIONS.map(
    (d) =>
      html`<button type="submit" name="disposition" value="${d}" class="${d === suggested ? '' : 'secondary'}"${d === suggested ? ' autofocus' : ''}>${DISPOSITION_LABELS[d]}${d === suggested ? ' ✓' : ''}</button>`,
  )}</div>
</form></section>`;

  // Three columns on a call-centre desktop: who (card, history), what to say (questions, then
  // the script to read), how it ended (wrap-up). The questions come first: they are what the
  // operator acts on, and the script scrolls in its own box.
  return page(
    `Call ${task.taskId}`,
    html`<div class="call"><div class="col">${cardPanel}</div>
<div class="col"><section class="panel" aria-labelledby="script"><h2 id="script">Script</h2>${trail}${question}</section>
<section class="panel" aria-labelledby="text"><h2 id="text">What to say${card.script ? html` <span class="muted">(${card.script.templateId}, ${card.script.language})</span>` : ''}</h2>${scriptText}</section></div>
<div class="col">${wrapPanel}</div></div>`,
    viewer,
    o.notice,
  );
}

/** After a call: what happened, and the next-call button again. */
export function doneNotice(outcome: 'closed' | 'recycled' | 'callback', task: CallTask, zone: string): Notice {
  const text =
    outcome === 'closed'
      ? `Task ${task.taskId} recorded: ${label(task.lastDisposition ?? 'closed')}, closed.`
      : outcome === 'callback'
        ? `Task ${task.taskId}: callback at ${when(task.dueAt, zone)} (${zone}) ${task.callbackOperator ? 'for you' : 'for anyone'}.`
        : `Task ${task.taskId} recorded: ${label(task.lastDisposition ?? '')}, to be called again from ${when(task.dueAt, zone)} (${zone}).`;
  return { kind: 'ok', text };
}

const outcomeCells = (outcomes: Partial<Record<string, number>>, keys: readonly string[]): Html[] => keys.map((k) => html`<td class="n">${outcomes[k] ?? 0}</td>`);

/** The supervisor's page: list sizes, calls per hour, outcomes, and the tasks being worked. */
export function supervisorPage(viewer: Viewer, o: { stats: DeskStats; tasks: readonly CallTask[]; operators: readonly Operator[]; zone: string; now: Date; notice?: Notice }): string {
  const s = o.stats;
  const max = Math.max(1, ...s.callsPerHour.map((h) => h.calls));
  const used = DISPOSITIONS.filter((d) => s.byOperator.some((r) => (r.outcomes[d] ?? 0) > 0) || s.byCampaign.some((r) => (r.outcomes[d] ?? 0) > 0));
  const head = html`${used.map((d) => html`<th class="n">${DISPOSITION_LABELS[d]}</th>`)}`;
  const enabled = o.operators.filter((op) => !op.disabled);
  const tasksTable = o.tasks.length
    ? html`<table><thead><tr><th>Task</th><th>Campaign</th><th>Operator</th><th>Lease until</th><th>Attempts</th><th>Actions</th></tr></thead><tbody>${o.tasks.map(
        (t) => html`<tr><td>${t.taskId}${t.triage ? html` <span class="flag">health worker</span>` : ''}</td><td>${t.campaignId}</td><td>${t.leaseOperator ?? '—'}</td><td>${when(t.leaseUntil, o.zone)}</td><td class="n">${t.attempts}</td>
<td><div class="inline"><form method="post" action="${BASE}/supervisor/tasks/${encodeURIComponent(t.taskId)}/release">${csrfField(viewer.csrfToken)}<button type="submit" class="secondary">Release</button></form>
<form method="post" action="${BASE}/supervisor/tasks/${encodeURIComponent(t.taskId)}/reassign" class="inline">${csrfField(viewer.csrfToken)}<label class="radio" for="to-${t.taskId}">to</label><select id="to-${t.taskId}" name="operator">${enabled.map(
          (op) => html`<option value="${op.operatorId}"${op.operatorId === t.leaseOperator ? ' selected' : ''}>${op.operatorId} (${op.name})</option>`,
        )}</select><button type="submit" class="secondary">Reassign</button></form></div></td></tr>`,
      )}</tbody></table>`
    : html`<p class="muted">No task is being worked.</p>`;
  const nowIso = o.now.toISOString();
  const locked = o.operators.filter((op) => op.lockedUntil !== null && op.lockedUntil > nowIso);
  // Shown only while someone is locked out: it is the supervisor's cue to act.
  const lockedPanel = locked.length
    ? html`<section class="panel" aria-labelledby="locked"><h2 id="locked">Locked accounts</h2><p class="muted">Locked after too many failed sign-ins. Unlock only an operator you have spoken to.</p>
<table><thead><tr><th>Operator</th><th>Locked until</th><th>Action</th></tr></thead><tbody>${locked.map(
        (op) => html`<tr><td>${op.operatorId} (${op.name})</td><td>${when(op.lockedUntil, o.zone)}</td>
<td><form method="post" action="${BASE}/supervisor/operators/${encodeURIComponent(op.operatorId)}/unlock">${csrfField(viewer.csrfToken)}<button type="submit" class="secondary">Unlock</button></form></td></tr>`,
      )}</tbody></table></section>`
    : html``;
  return page(
    'Supervisor',
    html`<h1>Supervisor</h1><p class="muted">At ${when(s.at, o.zone)} (${o.zone}) · operators on shift: <strong>${s.onShift}</strong> · flagged for a health worker: <strong>${s.triage}</strong></p>
<div class="stats">
<section class="panel"><h2>Lists</h2><table><thead><tr><th>Campaign</th><th class="n">Due</th><th class="n">Waiting</th><th class="n">Leased</th><th class="n">Closed</th></tr></thead><tbody>${s.lists.map(
      (l) => html`<tr><td>${l.campaignId}</td><td class="n">${l.due}</td><td class="n">${l.waiting}</td><td class="n">${l.leased}</td><td class="n">${l.closed}</td></tr>`,
    )}</tbody></table></section>
<section class="panel"><h2>Calls per hour (UTC)</h2><table><tbody>${s.callsPerHour
      .filter((h) => h.calls > 0)
      .map((h) => html`<tr><td>${h.hour.slice(5).replace('T', ' ')}:00</td><td><progress max="${max}" value="${h.calls}">${h.calls}</progress></td><td class="n">${h.calls}</td></tr>`)}</tbody></table>${
      s.callsPerHour.every((h) => h.calls === 0) ? html`<p class="muted">No calls in the last 24 hours.</p>` : ''
    }</section>
</div>
<section class="panel"><h2>Outcomes per operator</h2><table><thead><tr><th>Operator</th><th class="n">Calls</th>${head}</tr></thead><tbody>${s.byOperator.map(
      (r) => html`<tr><td>${r.operatorId}</td><td class="n">${r.calls}</td>${outcomeCells(r.outcomes, used)}</tr>`,
    )}</tbody></table></section>
<section class="panel"><h2>Outcomes per campaign</h2><table><thead><tr><th>Campaign</th><th class="n">Calls</th>${head}<th>Closed</th></tr></thead><tbody>${s.byCampaign.map(
      (r) =>
        html`<tr><td>${r.campaignId}</td><td class="n">${r.calls}</td>${outcomeCells(r.outcomes, used)}<td>${Object.entries(r.closed)
          .map(([k, n]) => `${label(k)} ${n}`)
          .join(', ')}</td></tr>`,
    )}</tbody></table></section>
${lockedPanel}
<section class="panel"><h2>Tasks being worked</h2>${tasksTable}</section>`,
    viewer,
    o.notice,
  );
}

/** A page that only says what went wrong (forbidden, not found). */
export const messagePage = (title: string, notice: Notice, viewer?: Viewer): string =>
  page(title, html`<p><a href="${BASE}/desk">Back to the desk</a></p>`, viewer, notice);

/** One citizen at a glance (`invito citizens show`'s view): what a help-desk operator needs when a citizen phones. */
export function citizenPage(viewer: Viewer, h: CitizenHistory, zone: string): string {
  const c = h.citizen;
  const byId = new Map(h.messages.map((m) => [m.id, m]));
  const attempt = (id: string) => {
    const m = byId.get(id)!;
    return `${m.channel ?? 'none'} ${m.state}${m.errorCode ? ` (${m.errorCode})` : ''}`;
  };
  const list = <T,>(items: readonly T[], item: (x: T) => Html) => (items.length ? html`<ul class="history">${items.map((x) => html`<li>${item(x)}</li>`)}</ul>` : html`<p class="muted">None.</p>`);
  return page(
    `Citizen ${c.citizen_id}`,
    html`<section class="panel" aria-labelledby="who"><h1 id="who">${[c.given_name, c.family_name].filter(Boolean).join(' ') || c.citizen_id}</h1>
<dl class="card">
<dt>Citizen</dt><dd>${c.citizen_id}</dd>
<dt>Born</dt><dd>${c.birth_date}</dd>
<dt>Language</dt><dd>${c.language}</dd>
<dt>Phone</dt><dd>${c.phone ? html`<a href="tel:${c.phone}">${c.phone}</a> <span class="muted">(${c.phone_type ?? 'unknown'})</span>` : '—'}</dd>
<dt>Email</dt><dd>${c.email ?? '—'}</dd>
<dt>Place</dt><dd>${[c.region, c.asl, c.municipality].filter(Boolean).join(' / ') || '—'}</dd>
<dt>Doses</dt><dd>${c.doses}${c.last_dose_date ? `, last ${c.last_dose_date}` : ''}</dd>
<dt>Messages</dt><dd>${c.opt_out ? html`<strong>opted out</strong> (${c.opt_out_source ?? 'unknown'})` : 'accepted'}${c.deceased ? html` · <strong>deceased</strong>` : ''}</dd>
</dl></section>
<section class="panel" aria-labelledby="appts"><h2 id="appts">Appointments <span class="muted">(${zone})</span></h2>${list(h.appointments, (a) => html`<strong>${when(a.start, zone)}</strong> · ${a.centerName ?? a.center} · ${a.state}${a.reason ? html` <span class="muted">(${a.reason})</span>` : ''} <span class="muted">· ${a.campaign}</span>`)}</section>
<section class="panel" aria-labelledby="msgs"><h2 id="msgs">Messages</h2>${list(h.chains, (ch) => html`<strong>${ch.step}</strong>: ${ch.attempts.map(attempt).join(' → ')}${ch.end ? html` <span class="muted">(chain ended: ${ch.end})</span>` : ''} <span class="muted">· ${ch.campaign} · ${when(byId.get(ch.attempts[ch.attempts.length - 1]!)!.at, zone)}</span>`)}</section>
<section class="panel" aria-labelledby="replies"><h2 id="replies">Replies</h2>${list(h.replies, (r) => html`<strong>${r.kind}</strong> by ${r.channel}${r.action ? html` → ${r.action}` : ''} <span class="muted">· ${when(r.at, zone)}</span>`)}</section>
<section class="panel" aria-labelledby="calls"><h2 id="calls">Calls</h2>${list(h.calls, (k) => html`<strong>${label(k.disposition)}</strong> <span class="muted">· ${when(k.at, zone)} · ${k.operator}</span>${k.note ? html`<br>${k.note}` : ''}`)}</section>`,
    viewer,
  );
}

/** Texts nobody understood, oldest first, each with the citizen's card a click away and a "read" button. */
export function repliesPage(viewer: Viewer, rows: readonly ReplyToRead[], zone: string, notice?: Notice): string {
  return page(
    'Replies to read',
    html`<div class="panel"><h1>Replies to read</h1>
<p class="muted">Texts invito could not act on. Read each, act on the citizen's card if needed, then mark it read. Times in ${zone}.</p>
${
  rows.length
    ? html`<table><thead><tr><th scope="col">Received</th><th scope="col">Citizen</th><th scope="col">Text</th><th scope="col"></th></tr></thead><tbody>${rows.map(
        (r) =>
          html`<tr><td>${when(r.at, zone)}</td><td>${r.citizenId ? html`<a href="${BASE}/citizens/${encodeURIComponent(r.citizenId)}">${r.name || r.citizenId}</a>` : html`<span class="muted">unknown number</span>`}</td><td>${r.body ?? ''}</td><td><form method="post" action="${BASE}/replies/${encodeURIComponent(r.responseId)}/read">${csrfField(viewer.csrfToken)}<button type="submit" class="secondary">Mark read</button></form></td></tr>`,
      )}</tbody></table>`
    : html`<p>Nothing to read.</p>`
}</div>`,
    viewer,
    notice,
  );
}
