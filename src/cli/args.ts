/**
 * Argument parsing for every `switchboard` command, on node:util `parseArgs`: `-h`/`--help` everywhere, and a
 * UsageError (exit code 2) naming the first thing wrong: an unknown option, a missing or stray value, an
 * argument too many. CommandError (exit code 1) is for a well-formed command that could not be carried out.
 */
import { parseArgs } from 'node:util';

/** The command line is wrong: one line saying what, then a hint to `--help` (exit code 2). */
export class UsageError extends Error {}

/** The command is right but could not be done (a file that cannot be written; exit code 1). */
export class CommandError extends Error {}

export interface CommandSpec {
  /** The options besides -h/--help: `string` options take a value (`multiple`: repeatable), `boolean` ones are flags. */
  options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;
  /** How many positional arguments the command takes at most. */
  positionals: number;
}

export interface ParsedCommand {
  help: boolean;
  values: Record<string, string | boolean | Array<string | boolean> | undefined>;
  positionals: string[];
}

export function parseCommand(args: string[], spec: CommandSpec): ParsedCommand {
  const options = { ...spec.options, help: { type: 'boolean', short: 'h' } } as const;
  // Not strict: the tokens are checked here, so that each mistake gets a short message of our own.
  const { values, positionals, tokens } = parseArgs({
    args,
    options,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  if (values.help === true) return { help: true, values: {}, positionals: [] };
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const option = spec.options[token.name];
    if (!option) throw new UsageError(`unknown option '${token.rawName}'`);
    if (option.type === 'boolean' && token.value !== undefined)
      throw new UsageError(`option --${token.name} takes no value`);
    const missing =
      token.value === undefined || (!token.inlineValue && token.value.startsWith('-') && token.value !== '-');
    if (option.type === 'string' && missing) throw new UsageError(`option --${token.name} needs a value`);
  }
  if (positionals.length > spec.positionals)
    throw new UsageError(`unexpected argument '${positionals[spec.positionals]}'`);
  return { help: false, values, positionals };
}

/** A `string` option's value (parseCommand has checked the type). */
export function stringOption(parsed: ParsedCommand, name: string): string | undefined {
  const value = parsed.values[name];
  return typeof value === 'string' ? value : undefined;
}

/** A repeatable `string` option's values, in order (none: an empty list). */
export function stringsOption(parsed: ParsedCommand, name: string): string[] {
  const value = parsed.values[name];
  const all = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return all.filter((v): v is string => typeof v === 'string');
}

/** One of the allowed values, or a UsageError listing them. */
export function oneOf<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`unknown ${name} '${value}' (${name}s: ${allowed.join(', ')})`);
}
