/**
 * Who may do what (issue 15): the roles of the health authority's staff (`admin`, `manager`,
 * `viewer`) next to the call desk's (`supervisor`, `operator`), what each role may do, and
 * scopes. One rule per question, read by the dashboard, the console, the reports and the CLI.
 *
 * A scope is a set of codes: region codes (`LAZ`, as the registry's `region` column) or ASL
 * codes (as its `asl` column). An account without a scope covers the whole installation.
 * - A campaign is in a user's scope when the user has none, or when the campaign's `scope:` names
 *   codes and every one of them is in the user's scope. A campaign without `scope:` belongs to
 *   the installation: only unscoped users see it.
 * - A citizen is in a user's scope when the user has none, or the citizen's region or ASL is in it.
 */

/** The languages of the pages: Italian first, English, and German for Alto Adige. */
export const LOCALES: readonly string[] = ['it', 'en', 'de'];

/** Every role, most powerful first. */
export const ROLES = ['admin', 'manager', 'viewer', 'supervisor', 'operator'] as const;
export type Role = (typeof ROLES)[number];

export const isRole = (s: string): s is Role => (ROLES as readonly string[]).includes(s);

/** What an account may do. */
export type Permission =
  /** The dashboard: campaigns, their figures, the reports' pages. */
  | 'dashboard.read'
  /** Launch a campaign (a new one from YAML). */
  | 'campaign.launch'
  /** Pause, resume, cancel. */
  | 'campaign.control'
  /** Exports and reports with personal data (CSV, XLSX, PDF). */
  | 'export'
  /** The desk: take calls, record outcomes. */
  | 'desk.work'
  /** The desk's supervisor pages: lists, release, reassign, unlock, the line. */
  | 'desk.supervise'
  /** The audit log and the queue page. */
  | 'admin.read'
  /** Accounts: add, disable, unlock. */
  | 'accounts.manage';

const GRANTS: Readonly<Record<Role, readonly Permission[]>> = {
  admin: ['dashboard.read', 'campaign.launch', 'campaign.control', 'export', 'desk.work', 'desk.supervise', 'admin.read', 'accounts.manage'],
  manager: ['dashboard.read', 'campaign.launch', 'campaign.control', 'export'],
  viewer: ['dashboard.read'],
  supervisor: ['desk.work', 'desk.supervise'],
  operator: ['desk.work'],
};

export const can = (role: Role, permission: Permission): boolean => GRANTS[role].includes(permission);

/** Roles that work on the call desk (their home is the console). */
export const deskRole = (role: Role): boolean => role === 'supervisor' || role === 'operator';

/** A scope code: a region code (three capitals) or an ASL code (letters, digits, `-`, `_`, `.`, at most 64). */
export const SCOPE_CODE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * Parses a scope as written (`LAZ,RM1`): codes, trimmed, without repeats; an empty text is no
 * scope (the whole installation). Returns the bad code instead when one is not a code.
 */
export function parseScope(text: string | readonly string[]): { ok: true; codes: string[] } | { ok: false; bad: string } {
  const parts = (typeof text === 'string' ? text.split(',') : [...text]).map((s) => s.trim()).filter(Boolean);
  const bad = parts.find((c) => !SCOPE_CODE.test(c));
  if (bad !== undefined) return { ok: false, bad };
  return { ok: true, codes: [...new Set(parts)] };
}

/** Whether a campaign whose `scope:` is `campaignScope` (absent: the installation's) is the user's to see. */
export function campaignInScope(userScope: readonly string[], campaignScope: readonly string[] | undefined): boolean {
  if (userScope.length === 0) return true;
  if (!campaignScope || campaignScope.length === 0) return false;
  return campaignScope.every((c) => userScope.includes(c));
}

/** Whether a citizen (their region and ASL) is in the user's scope. */
export function citizenInScope(userScope: readonly string[], citizen: { readonly region: string | null; readonly asl: string | null }): boolean {
  if (userScope.length === 0) return true;
  return (citizen.region !== null && userScope.includes(citizen.region)) || (citizen.asl !== null && userScope.includes(citizen.asl));
}
