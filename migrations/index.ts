import { LedgerCore1763935200000 } from './1763935200000-LedgerCore';

/** Every migration, in order. A committed migration is never edited; add a new one. */
export const MIGRATIONS = [LedgerCore1763935200000];
