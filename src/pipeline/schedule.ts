// When is something next due? Cron expressions read in a company's timezone; "immediate" means now.
import { CronExpressionParser } from 'cron-parser';

export function nextRunAfter(schedule: string, timezone: string, now: Date): Date {
  if (schedule === 'immediate') return now;
  return CronExpressionParser.parse(schedule, { currentDate: now, tz: timezone }).next().toDate();
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
