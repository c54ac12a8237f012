// Every migration, in order. Listed explicitly (no globs) so compiled and tsx runs see the same set.
import { InitialSchema1763769600000 } from './1763769600000-initial-schema.js';

export const migrations = [InitialSchema1763769600000];
