/** Command-line options shared by the bench scripts. */

/** The positive whole number after `name` in argv, or `fallback` when it is absent; anything else is an error. */
export function wholeNumberOption(name: string, fallback: number, argv: string[] = process.argv): number {
  const at = argv.indexOf(name);
  if (at < 0) return fallback;
  const value = Number(argv[at + 1]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} takes a positive whole number`);
  return value;
}
