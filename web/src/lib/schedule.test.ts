import { describe, expect, it } from 'vitest';
import { describeSchedule } from './schedule';

describe('describeSchedule', () => {
  it('says the usual schedules in words, with the time zone', () => {
    expect(describeSchedule('0 0 * * *', 'UTC')).toBe('every day at 00:00 (UTC)');
    expect(describeSchedule('30 2 * * *', 'Europe/Berlin')).toBe('every day at 02:30 (Europe/Berlin)');
    expect(describeSchedule('*/15 * * * *', 'UTC')).toBe('every 15 minutes (UTC)');
    expect(describeSchedule('* * * * *', 'UTC')).toBe('every minute (UTC)');
    expect(describeSchedule('0 * * * *', 'UTC')).toBe('every hour, on the hour (UTC)');
    expect(describeSchedule('5 * * * *', 'UTC')).toBe('every hour at 5 minutes past (UTC)');
    expect(describeSchedule('0 */6 * * *', 'UTC')).toBe('every 6 hours, on the hour (UTC)');
    expect(describeSchedule('0 3 1 * *', 'UTC')).toBe('on the 1st of every month at 03:00 (UTC)');
    expect(describeSchedule('0 3 15 6 *', 'UTC')).toBe('every year on 15 June at 03:00 (UTC)');
  });

  it('reads days of the week as the server does (1 = Sunday, or names)', () => {
    expect(describeSchedule('0 4 * * 1', 'UTC')).toBe('every Sunday at 04:00 (UTC)');
    expect(describeSchedule('0 4 * * MON', 'UTC')).toBe('every Monday at 04:00 (UTC)');
    expect(describeSchedule('0 4 * * Sat,Sun', 'UTC')).toBe('every Saturday and Sunday at 04:00 (UTC)');
    expect(describeSchedule('0 4 * * MON-FRI', 'UTC')).toBe('every weekday (Monday to Friday) at 04:00 (UTC)');
  });

  it('takes 6 and 7 fields with seconds first', () => {
    expect(describeSchedule('*/5 * * * * *', 'UTC')).toBe('every 5 seconds (UTC)');
    expect(describeSchedule('0 0 0 * * *', 'UTC')).toBe('every day at 00:00 (UTC)');
    expect(describeSchedule('0 0 0 * * * *', 'UTC')).toBe('every day at 00:00 (UTC)');
  });

  it('falls back to the expression for anything else', () => {
    expect(describeSchedule('0 0 1-7 * 2', 'UTC')).toBe('on the cron schedule “0 0 1-7 * 2” (UTC)');
    expect(describeSchedule('7 0 0 * * *', 'UTC')).toBe('on the cron schedule “7 0 0 * * *” (UTC)');
    expect(describeSchedule('nonsense', 'UTC')).toBe('on the cron schedule “nonsense” (UTC)');
  });
});
