/**
 * What the web console needs from the store: its sessions. Operators and calls come from the
 * desk; the console keeps only who is signed in, the form token and the script walk in progress.
 */

/** A stored session (the id itself is never stored, only its hash). */
export interface SessionRecord {
  readonly sessionHash: string;
  readonly operatorId: string;
  readonly csrfToken: string;
  readonly createdAt: string;
  readonly seenAt: string;
  readonly expiresAt: string;
  /** The script walk of the open call, as `setWalk` stored it. */
  readonly walk: string | null;
}

export interface ConsoleStore {
  createSession(s: Omit<SessionRecord, 'walk'>): Promise<void>;
  session(sessionHash: string): Promise<SessionRecord | null>;
  /** Moves the idle expiry's start. */
  touchSession(sessionHash: string, at: string): Promise<void>;
  setWalk(sessionHash: string, walk: string | null): Promise<void>;
  deleteSession(sessionHash: string): Promise<void>;
  /** Removes the sessions past their absolute expiry or idle since before `idleSince`; returns how many. */
  deleteExpiredSessions(now: string, idleSince: string): Promise<number>;
}
