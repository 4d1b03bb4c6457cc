/**
 * The desk's operator accounts: who they are, their password hash, when they were last seen,
 * and the count of failed sign-ins (how it counts is the desk's `countSignIn`, run here inside
 * the one atomic step that reads and writes it).
 */
import type { Kysely, Selectable } from 'kysely';
import { countSignIn } from '../desk/rules.js';
import type { OperatorRecord, SignInAttempt, SignInGate } from '../desk/store.js';
import type { OperatorRole } from '../desk/types.js';
import type { Dialect } from './open.js';
import type { Database } from './schema.js';
import type { OperatorsTable } from './schema-desk.js';
import { atomically } from './unit-of-work.js';

const toOperator = (r: Selectable<OperatorsTable>): OperatorRecord => ({
  operatorId: r.operator_id,
  name: r.display_name,
  languages: r.languages.split(',').filter(Boolean),
  role: r.role,
  disabled: Number(r.disabled) === 1,
  hasPassword: r.password_hash !== null,
  passwordHash: r.password_hash,
  createdAt: r.created_at,
  lastSeenAt: r.last_seen_at,
  lockedUntil: r.locked_until,
  scopes: (r.scopes ?? '').split(',').filter(Boolean),
  locale: r.locale ?? 'it',
});

/** The operator part of `DeskStore` over Kysely, one set of statements for SQLite and PostgreSQL. */
export class KyselyOperatorStore {
  constructor(
    protected readonly db: Kysely<Database>,
    protected readonly dialect: Dialect,
  ) {}

  async insertOperator(o: { operatorId: string; name: string; languages: readonly string[]; role: OperatorRole; passwordHash: string | null; scopes: readonly string[]; locale: string; at: string }): Promise<boolean> {
    const r = await this.db
      .insertInto('operators')
      .values({ operator_id: o.operatorId, display_name: o.name, languages: o.languages.join(','), role: o.role, password_hash: o.passwordHash, disabled: 0, created_at: o.at, last_seen_at: null, scopes: o.scopes.length ? o.scopes.join(',') : null, locale: o.locale })
      .onConflict((oc) => oc.column('operator_id').doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async operator(operatorId: string): Promise<OperatorRecord | null> {
    const r = await this.db.selectFrom('operators').selectAll().where('operator_id', '=', operatorId).executeTakeFirst();
    return r ? toOperator(r) : null;
  }

  async operators(): Promise<OperatorRecord[]> {
    return (await this.db.selectFrom('operators').selectAll().orderBy('operator_id').execute()).map(toOperator);
  }

  async setOperatorDisabled(operatorId: string, disabled: boolean): Promise<boolean> {
    const r = await this.db.updateTable('operators').set({ disabled: disabled ? 1 : 0 }).where('operator_id', '=', operatorId).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async setOperatorPassword(operatorId: string, passwordHash: string): Promise<boolean> {
    const r = await this.db.updateTable('operators').set({ password_hash: passwordHash }).where('operator_id', '=', operatorId).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async touchOperator(operatorId: string, at: string): Promise<void> {
    // Only forward: a request answered late must not make the operator look idle.
    await this.db
      .updateTable('operators')
      .set({ last_seen_at: at })
      .where('operator_id', '=', operatorId)
      .where((eb) => eb.or([eb('last_seen_at', 'is', null), eb('last_seen_at', '<', at)]))
      .execute();
  }

  async beginSignIn(operatorId: string, a: SignInAttempt): Promise<SignInGate> {
    return atomically(this.db, this.dialect, async (trx) => {
      const r = await trx
        .selectFrom('operators')
        .select(['failed_sign_ins', 'failed_since', 'locked_until'])
        .where('operator_id', '=', operatorId)
        .$if(this.dialect === 'postgres', (q) => q.forUpdate())
        .executeTakeFirst();
      if (!r) return { known: false, allowed: true, lockedUntil: null };
      const counted = countSignIn({ failures: Number(r.failed_sign_ins), failedSince: r.failed_since, lockedUntil: r.locked_until }, a);
      if (!counted.allowed) return { known: true, allowed: false, lockedUntil: counted.lockedUntil };
      const { failures, failedSince, lockedUntil } = counted.next;
      await trx.updateTable('operators').set({ failed_sign_ins: failures, failed_since: failedSince, locked_until: lockedUntil }).where('operator_id', '=', operatorId).execute();
      return { known: true, allowed: true, lockedUntil };
    });
  }

  async clearSignInFailures(operatorId: string): Promise<void> {
    await this.db.updateTable('operators').set({ failed_sign_ins: 0, failed_since: null, locked_until: null }).where('operator_id', '=', operatorId).execute();
  }

  async unlockOperator(operatorId: string): Promise<boolean> {
    const r = await this.db.updateTable('operators').set({ failed_sign_ins: 0, failed_since: null, locked_until: null }).where('operator_id', '=', operatorId).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async onShift(since: string): Promise<number> {
    const r = await this.db
      .selectFrom('operators')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('disabled', '=', 0)
      .where('last_seen_at', '>=', since)
      .executeTakeFirst();
    return Number(r?.n ?? 0);
  }
}
