/** Table types of the call desk (see migrations-desk.ts). */

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface DeskTables {}
