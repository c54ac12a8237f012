// Which business day's close is due: the latest scheduled time at or before now, read in the terminal's timezone.
import { lastRunAtOrBefore } from '../model/schedule.js';

export interface Occurrence {
  /** The local date (YYYY-MM-DD) of the scheduled time: the close's business day. */
  businessDay: string;
  scheduledAt: Date;
}

/** The local calendar date of an instant in a timezone. */
export function localDate(at: Date, timezone: string): string {
  // en-CA formats dates as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

/** The latest occurrence of the schedule at or before now. */
export function latestOccurrence(schedule: string, timezone: string, now: Date): Occurrence {
  const scheduledAt = lastRunAtOrBefore(schedule, timezone, now);
  return { businessDay: localDate(scheduledAt, timezone), scheduledAt };
}
