/**
 * How `switchboard serve` logs: a level (`--log-level`, else SWITCHBOARD_LOG_LEVEL, else info) and a format
 * (`--log-format`, else SWITCHBOARD_LOG_FORMAT, else pretty lines on a terminal and one JSON object a line
 * when standard output is a pipe or a file, for a log collector). Requests are logged at debug only.
 */
import { UsageError } from './args';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const LOG_FORMATS = ['pretty', 'json'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface Logging {
  level: LogLevel;
  format: LogFormat;
}

function check<T extends string>(value: string, allowed: readonly T[], source: string): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`${source} must be one of ${allowed.join(', ')}; got '${value}'`);
}

/** The logging a command line and environment ask for; a UsageError for a value that is not a level or format. */
export function resolveLogging(options: {
  level?: string;
  format?: string;
  env: NodeJS.ProcessEnv;
  isTTY: boolean;
}): Logging {
  const { env } = options;
  const level =
    options.level !== undefined
      ? check(options.level, LOG_LEVELS, '--log-level')
      : check(env.SWITCHBOARD_LOG_LEVEL ?? 'info', LOG_LEVELS, 'SWITCHBOARD_LOG_LEVEL');
  const format =
    options.format !== undefined
      ? check(options.format, LOG_FORMATS, '--log-format')
      : check(env.SWITCHBOARD_LOG_FORMAT ?? (options.isTTY ? 'pretty' : 'json'), LOG_FORMATS, 'SWITCHBOARD_LOG_FORMAT');
  return { level, format };
}

/** The server's logger options: JSON on standard output, or pino-pretty's lines (coloured on a terminal). */
export function serverLogger(
  logging: Logging,
  isTTY: boolean,
): { level: string; stream?: { write(line: string): void } } {
  if (logging.format === 'json') return { level: logging.level };
  // Loaded only when used (the commands that do not serve start faster without it).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pinoPretty = require('pino-pretty') as typeof import('pino-pretty');
  return {
    level: logging.level,
    stream: pinoPretty({
      colorize: isTTY,
      sync: true,
      singleLine: true,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname',
    }),
  };
}
