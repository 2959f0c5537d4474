/**
 * The one rule for a number (an address to dial): what the agent API's `destination.phoneNumber`, the channel
 * API's `call(to)` / transfer `to`, and the simulator's numbers accept. A number is 1 to 64 printable ASCII
 * characters, with no leading or trailing space: no control characters (NUL, CR, LF), no bidirectional
 * overrides or other invisible Unicode, nothing that could be mistaken for something else in a log or a desk.
 */

/** The longest number accepted anywhere (characters). */
export const MAX_NUMBER_LENGTH = 64;

/** The number rule as a JSON-schema pattern (printable ASCII, no space at either end). */
export const NUMBER_PATTERN = '^[!-~](?:[ -~]*[!-~])?$';

/** The number rule as a JSON schema, for the HTTP routes. */
export const NUMBER_SCHEMA = {
  type: 'string',
  minLength: 1,
  maxLength: MAX_NUMBER_LENGTH,
  pattern: NUMBER_PATTERN,
} as const;

/** `U+202E`: how a character is named in an error (never the character itself, which may be invisible). */
export function codePoint(char: string): string {
  return `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * Why `text` breaks the printable-ASCII rule (a control, non-ASCII or edge-space character), or null. The
 * reason names the first offending character by code point and position (1-based).
 */
export function printableAsciiProblem(text: string): string | null {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f)
      return `contains ${codePoint(text[i])} (a control character) at position ${i + 1}`;
    if (code > 0x7e)
      return `contains ${codePoint(String.fromCodePoint(text.codePointAt(i) ?? code))} (not printable ASCII) at position ${i + 1}`;
  }
  if (text.startsWith(' ') || text.endsWith(' ')) return 'starts or ends with a space';
  return null;
}

/** Why `value` is not a number by the rule above, or null when it is one. */
export function numberProblem(value: unknown): string | null {
  if (typeof value !== 'string') return `must be a string, got ${value === null ? 'null' : typeof value}`;
  if (value === '') return 'must not be empty';
  if (value.length > MAX_NUMBER_LENGTH) return `is ${value.length} characters long (at most ${MAX_NUMBER_LENGTH})`;
  return printableAsciiProblem(value);
}
