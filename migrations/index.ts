// Every migration, in order. Listed explicitly (no globs) so compiled and tsx runs see the same set.
import { InitialSchema1763769600000 } from './1763769600000-initial-schema.js';
import { CompanySchedule1763780000000 } from './1763780000000-company-schedule.js';
import { ReportingViews1763856000000 } from './1763856000000-reporting-views.js';

export const migrations = [InitialSchema1763769600000, CompanySchedule1763780000000, ReportingViews1763856000000];
