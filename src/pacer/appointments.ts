/**
 * Appointments: a real place at a centre on a day, one per invitation, never more people on a
 * centre-day than its capacity. What the pacer (allocating while it releases invitations), the
 * feedback layer (confirmations, declines, opt-outs, undelivered invitations) and the call desk
 * (rebooking) need from the store.
 */

/**
 * held (offered) → confirmed | released; once its day has passed, `invito import vaccinations`
 * says whether the citizen came: attended (a dose recorded that day) | no_show (no dose).
 */
export type AppointmentState = 'held' | 'confirmed' | 'released' | 'attended' | 'no_show';

export interface Appointment {
  /** The invitation's message id (`campaign.step.citizen`). */
  readonly appointmentId: string;
  readonly campaignId: string;
  readonly citizenId: string;
  readonly centerId: string;
  /** Local date, `YYYY-MM-DD`. */
  readonly day: string;
  /** The place's number within the centre-day (0 … capacity − 1, in time order). */
  readonly seq: number;
  /** Local ISO start with offset. */
  readonly startAt: string;
  /** held (offered) → confirmed | released | attended | no_show. Only held and confirmed hold a slot (HOLDS_SLOT). */
  readonly state: AppointmentState;
}

/** A centre as allocation and messages see it. */
export interface CenterInfo {
  readonly centerId: string;
  /** Opening hours as the registry keeps them (`mon-fri 08:00-13:00 14:00-20:00; sat 08:00-13:00`). */
  readonly opening: string;
  readonly dailyCapacity: number;
  readonly name: string;
  readonly address: string | null;
  readonly municipality: string | null;
}

/** Where a citizen lives, as candidate centres are chosen by it. */
export interface CitizenPlace {
  readonly region: string | null;
  readonly asl: string | null;
  readonly municipality: string | null;
}

export interface SlotRequest {
  readonly appointmentId: string;
  readonly campaignId: string;
  readonly citizenId: string;
  /** Candidate centres in preference order (ties in free places go to the earlier one). */
  readonly centers: readonly CenterInfo[];
  /** First and last local day to look at (inclusive), `YYYY-MM-DD`. */
  readonly fromDay: string;
  readonly toDay: string;
  /** Holidays and the campaign's closed dates: no appointments on them. */
  isClosedDay(day: string): boolean;
  /** The campaign's time zone. */
  readonly timezone: string;
  readonly slotMinutes: number;
  /** ISO timestamp stamped on the rows. */
  readonly at: string;
}

export interface AppointmentStore {
  /**
   * Gives the appointment a slot: the earliest open day in `[fromDay, toDay]` where a candidate
   * has a free place; that day, the candidate with the most free places; its lowest free place.
   * Idempotent: an id that already holds a slot gets it back. Throws `NO_SLOT` when no candidate
   * has a free place in the range, `APPOINTMENT_STATE` for a released appointment (use `rebook`).
   */
  allocate(request: SlotRequest): Promise<Appointment>;
  /** held → confirmed (a confirmed one stays). Throws `APPOINTMENT_NOT_FOUND`, or `APPOINTMENT_STATE` when released. */
  confirm(appointmentId: string, at: string): Promise<Appointment>;
  /** Frees the slot and marks the appointment released with `reason`. Idempotent; null for an unknown id. */
  release(appointmentId: string, reason: string, at: string): Promise<Appointment | null>;
  /**
   * Releases every held or confirmed appointment of the citizen whose day has not passed (as seen
   * at `at` in the appointment's own offset): an opt-out. Returns the appointments released.
   */
  releaseForCitizen(citizenId: string, reason: string, at: string): Promise<Appointment[]>;
  /**
   * Moves the appointment to another slot found as `allocate` finds one; the old slot is freed
   * in the same transaction. A held or confirmed appointment keeps its state; a released one
   * becomes held again. Throws `APPOINTMENT_NOT_FOUND`, or `NO_SLOT` (nothing changed).
   */
  rebook(appointmentId: string, request: SlotRequest): Promise<Appointment>;
  appointment(appointmentId: string): Promise<Appointment | null>;
  /**
   * The centres serving a citizen, in preference order: those whose catchment names the
   * citizen's municipality, then their ASL; only when none does, every centre of their region.
   */
  candidates(citizen: CitizenPlace): Promise<CenterInfo[]>;
  /**
   * Free places on `day` at these centres (`'all'`: every centre): a centre-day not yet
   * materialised counts its full capacity, a centre closed that weekday counts nothing.
   */
  openSlots(centerIds: readonly string[] | 'all', day: string): Promise<number>;
  /** Answers recorded so far in the campaign: appointments confirmed, and released as declined. */
  acceptance(campaignId: string): Promise<{ confirmed: number; declined: number }>;
}
