/** The checks the sign-up and login forms make before asking the server. */

// Deliberately loose: one @, something on both sides, a dot in the domain; the server decides.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export const MIN_PASSWORD_LENGTH = 8;

export function emailProblem(email: string): string | null {
  if (!email.trim()) return 'Enter your e-mail address.';
  if (!EMAIL.test(email.trim())) return 'Enter an e-mail address like name@example.com.';
  return null;
}

export function passwordProblem(password: string): string | null {
  if (!password) return 'Enter a password.';
  if (password.length < MIN_PASSWORD_LENGTH) return `Use at least ${MIN_PASSWORD_LENGTH} characters.`;
  return null;
}

/** The units the quota editor offers for a storage limit. */
export const QUOTA_UNITS = [
  { label: 'MiB', bytes: 1024 ** 2 },
  { label: 'GiB', bytes: 1024 ** 3 },
  { label: 'TiB', bytes: 1024 ** 4 },
] as const;

export type QuotaUnit = (typeof QUOTA_UNITS)[number]['label'];

const WHOLE_NUMBER = /^\d+$/;

/**
 * A quota field: empty is fine (no limit), else a whole number of 0 or more. `scale` is what one
 * unit is worth (bytes per MiB…), so that the result stays an exact number for JSON.
 */
export function quotaProblem(value: string, scale = 1): string | null {
  const text = value.trim();
  if (!text) return null;
  if (!WHOLE_NUMBER.test(text)) return 'Enter a whole number of 0 or more, or leave it empty for no limit.';
  if (!Number.isSafeInteger(Number(text) * scale)) return 'That is more than the server can store as a limit.';
  return null;
}

/** The number a valid quota field stands for: `null` (no limit) when empty. */
export function quotaValue(value: string, scale = 1): number | null {
  const text = value.trim();
  return text ? Number(text) * scale : null;
}

export const MAX_INVITE_DAYS = 365;

/** An invite's lifetime in whole days, 1 to 365 (the server allows up to a year). */
export function inviteDaysProblem(value: string): string | null {
  const text = value.trim();
  if (!text) return 'Enter how many days the invite stays good.';
  if (!WHOLE_NUMBER.test(text) || Number(text) < 1 || Number(text) > MAX_INVITE_DAYS) {
    return `Enter a whole number of days from 1 to ${MAX_INVITE_DAYS}.`;
  }
  return null;
}
