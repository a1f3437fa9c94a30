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
