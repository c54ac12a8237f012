// When is something next due? Cron expressions read in a company's timezone; "immediate" means now. Pure, on the lowest
// floor: the configuration (validation), Concur's selection, Saferpay and the pipeline all read it.
import { CronExpressionParser } from 'cron-parser';

export function nextRunAfter(schedule: string, timezone: string, now: Date): Date {
  if (schedule === 'immediate') return now;
  return CronExpressionParser.parse(schedule, { currentDate: now, tz: timezone }).next().toDate();
}

/** The latest time the cron schedule names at or before `now`, in `timezone` (cron-parser's prev() excludes its start, hence +1 ms). */
export function lastRunAtOrBefore(schedule: string, timezone: string, now: Date): Date {
  return CronExpressionParser.parse(schedule, { currentDate: new Date(now.getTime() + 1), tz: timezone }).prev().toDate();
}

/** Validates a schedule string (for the configuration schema). */
export function isValidSchedule(schedule: string): boolean {
  if (schedule === 'immediate') return true;
  try {
    CronExpressionParser.parse(schedule);
    return true;
  } catch {
    return false;
  }
}
