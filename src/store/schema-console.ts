/** Table types of the web console (see migrations-console.ts). */

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ConsoleTables {}
