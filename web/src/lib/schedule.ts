/**
 * The tiering schedule in words. The server reads `tiering.schedule` with the Rust `cron`
 * crate: 5 fields (minute hour day-of-month month day-of-week), or 6/7 with seconds first (and a
 * year last). Its days of the week count from 1 = Sunday to 7 = Saturday (not cron's 0 = Sunday).
 * What this cannot put in words simply is said as the expression itself.
 */

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const DAY_NAMES: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

const NUMBER = /^\d+$/;
const EVERY = /^(?:\*|0)\/(\d+)$/;

function isAny(field: string): boolean {
  return field === '*' || field === '?';
}

function twoDigits(n: number): string {
  return String(n).padStart(2, '0');
}

function ordinal(n: number): string {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return `${n}th`;
  return `${n}${{ 1: 'st', 2: 'nd', 3: 'rd' }[n % 10] ?? 'th'}`;
}

function list(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** A day-of-week field as the server reads it (1 = Sunday … 7 = Saturday, or names), or null. */
function weekdays(field: string): string[] | null {
  const days: number[] = [];
  for (const part of field.toLowerCase().split(',')) {
    const range = part.split('-');
    const value = (text: string) => {
      if (NUMBER.test(text)) {
        const n = Number(text);
        return n >= 1 && n <= 7 ? n - 1 : null;
      }
      return DAY_NAMES[text.slice(0, 3)] ?? null;
    };
    if (range.length === 1) {
      const day = value(part);
      if (day === null) return null;
      days.push(day);
    } else if (range.length === 2) {
      const [from, to] = [value(range[0] ?? ''), value(range[1] ?? '')];
      if (from === null || to === null || to < from) return null;
      for (let d = from; d <= to; d++) days.push(d);
    } else {
      return null;
    }
  }
  if (days.length === 5 && [1, 2, 3, 4, 5].every((d) => days.includes(d))) return ['weekday'];
  return days.map((d) => DAYS[d] ?? '');
}

/** "every day at 00:00", "every 5 minutes", … (without the time zone), or null. */
function describeFields(seconds: string, minute: string, hour: string, dom: string, month: string, dow: string): string | null {
  const secondsAtZero = seconds === '0';
  // Sub-hour repetitions over the whole calendar.
  const calendarFree = isAny(dom) && isAny(month) && isAny(dow);
  if (calendarFree && isAny(hour)) {
    const everySeconds = EVERY.exec(seconds);
    if (everySeconds && isAny(minute)) return `every ${everySeconds[1]} seconds`;
    if (isAny(seconds) && isAny(minute)) return 'every second';
    if (!secondsAtZero) return null;
    const everyMinutes = EVERY.exec(minute);
    if (everyMinutes) return everyMinutes[1] === '1' ? 'every minute' : `every ${everyMinutes[1]} minutes`;
    if (isAny(minute)) return 'every minute';
    if (NUMBER.test(minute)) return Number(minute) === 0 ? 'every hour, on the hour' : `every hour at ${Number(minute)} minutes past`;
    return null;
  }
  if (!secondsAtZero || !NUMBER.test(minute)) return null;
  if (calendarFree) {
    const everyHours = EVERY.exec(hour);
    if (everyHours) {
      const past = Number(minute) === 0 ? ', on the hour' : ` at ${Number(minute)} minutes past`;
      return `every ${everyHours[1]} hours${past}`;
    }
  }
  if (!NUMBER.test(hour)) return null;
  const at = `at ${twoDigits(Number(hour))}:${twoDigits(Number(minute))}`;
  if (calendarFree) return `every day ${at}`;
  if (isAny(dom) && isAny(month)) {
    const days = weekdays(dow);
    if (!days) return null;
    return days[0] === 'weekday' ? `every weekday (Monday to Friday) ${at}` : `every ${list(days)} ${at}`;
  }
  if (NUMBER.test(dom) && isAny(dow)) {
    const day = Number(dom);
    if (isAny(month)) return `on the ${ordinal(day)} of every month ${at}`;
    if (NUMBER.test(month)) {
      const name = MONTHS[Number(month) - 1];
      return name ? `every year on ${day} ${name} ${at}` : null;
    }
  }
  return null;
}

/** The schedule in words with its time zone, e.g. "every day at 00:00 (UTC)". */
export function describeSchedule(schedule: string, timezone: string): string {
  const fields = schedule.trim().split(/\s+/);
  let words: string | null = null;
  if (fields.length === 5) {
    const [minute, hour, dom, month, dow] = fields as [string, string, string, string, string];
    words = describeFields('0', minute, hour, dom, month, dow);
  } else if (fields.length === 6 || (fields.length === 7 && isAny(fields[6] ?? ''))) {
    const [seconds, minute, hour, dom, month, dow] = fields as [string, string, string, string, string, string];
    words = describeFields(seconds, minute, hour, dom, month, dow);
  }
  return words ? `${words} (${timezone})` : `on the cron schedule “${schedule}” (${timezone})`;
}
