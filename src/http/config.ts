/**
 * Server configuration: a JSON config file and the environment (which wins). No user or password is compiled
 * in: users come from the config file or from `SWITCHBOARD_USERS`.
 *
 * Environment: SWITCHBOARD_HOST (default 127.0.0.1), SWITCHBOARD_PORT (default 8080),
 * SWITCHBOARD_USERS = comma-separated `username:password:deviceDn`, SWITCHBOARD_WEBHOOK_SECRET,
 * SWITCHBOARD_PUBLIC_URL, SWITCHBOARD_INSPECTOR (on-demand, always or off), SWITCHBOARD_REDIS_URL and
 * SWITCHBOARD_NODE_ID (the Redis store: with a URL the webhook outbox and the node lease are in Redis; the
 * config file's `"redis": { url, nodeId, prefix, leaseMs }` says the same; the command line wins over both),
 * SWITCHBOARD_SIP_LISTEN (the SIP network's addresses, comma separated; with the config file's `"sip"` object
 * and `--sip`, see sipConfig.ts).
 */
import { readFileSync } from 'node:fs';
import type { WebhookConfig } from '../webhooks/deliverer';
import { INSPECTOR_MODES, type InspectorMode } from '../inspect/hub';
import { DEFAULT_LOGIN_LIMITS, type LoginLimits } from './loginLimiter';
import { checkSip, SipConfigError, type SipConfig } from './sipConfig';

/** Default lifetime of a session cookie (8 hours, an agent's shift). */
export const DEFAULT_SESSION_SECONDS = 8 * 3600;
import {
  DEFAULT_LEASE_MS,
  DEFAULT_PREFIX,
  defaultNodeId,
  leaseProblem,
  nodeIdProblem,
  prefixProblem,
  redisUrlProblem,
} from '../store/options';

const URL_FIELDS = [
  'answerUrl',
  'initiateUrl',
  'disconnectUrl',
  'transferAnswerUrl',
  'transferCompleteUrl',
  'transferDisconnectUrl',
  'conferenceUrl',
  'fallbackUrl',
] as const;

function checkWebhooks(value: unknown, source: string): WebhookConfig {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null) throw new ConfigError(`${source}: 'webhooks' must be an object`);
  const webhooks = value as WebhookConfig;
  for (const key of URL_FIELDS) {
    const url = webhooks[key];
    if (url !== undefined && (typeof url !== 'string' || !/^https?:\/\//.test(url) || !URL.canParse(url))) {
      throw new ConfigError(`${source}: webhooks.${key} must be an http(s) URL, got ${JSON.stringify(url)}`);
    }
    if (url !== undefined && /\/\/[^/]*@/.test(url)) {
      throw new ConfigError(
        `${source}: webhooks.${key} must not carry credentials; use webhooks.username and webhooks.password`,
      );
    }
  }
  if (
    webhooks.callbackTimeout !== undefined &&
    !(typeof webhooks.callbackTimeout === 'number' && webhooks.callbackTimeout > 0)
  ) {
    throw new ConfigError(`${source}: webhooks.callbackTimeout must be a positive number of seconds`);
  }
  if (
    webhooks.failureLogSize !== undefined &&
    !(Number.isInteger(webhooks.failureLogSize) && webhooks.failureLogSize > 0)
  ) {
    throw new ConfigError(`${source}: webhooks.failureLogSize must be a positive integer (records kept)`);
  }
  return webhooks;
}

export interface RedisConfig {
  url: string;
  /** Default: the host name. */
  nodeId: string;
  prefix: string;
  leaseMs: number;
}

/** The Redis settings from the command line, the environment and the file (in that order); none without a URL. */
function checkRedis(
  value: unknown,
  source: string,
  env: NodeJS.ProcessEnv,
  cli: { redisUrl?: string; nodeId?: string },
): RedisConfig | undefined {
  if (value !== undefined && (typeof value !== 'object' || value === null || Array.isArray(value))) {
    throw new ConfigError(`${source}: 'redis' must be an object { url, nodeId?, prefix?, leaseMs? }`);
  }
  const file = (value ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(file)) {
    if (!['url', 'nodeId', 'prefix', 'leaseMs'].includes(key))
      throw new ConfigError(`${source}: redis.${key} is not a setting (url, nodeId, prefix, leaseMs)`);
  }
  const pick = (cliValue: string | undefined, envName: string, fileKey: string): [unknown, string] => {
    if (cliValue !== undefined) return [cliValue, fileKey === 'url' ? '--redis' : '--node-id'];
    if (env[envName] !== undefined) return [env[envName], envName];
    return [file[fileKey], `${source}: redis.${fileKey}`];
  };
  const [url, urlSource] = pick(cli.redisUrl, 'SWITCHBOARD_REDIS_URL', 'url');
  const [nodeId, nodeIdSource] = pick(cli.nodeId, 'SWITCHBOARD_NODE_ID', 'nodeId');
  if (url === undefined) {
    if (nodeId !== undefined)
      throw new ConfigError(`${nodeIdSource} needs a Redis URL (--redis, SWITCHBOARD_REDIS_URL or redis.url)`);
    if (value !== undefined) throw new ConfigError(`${source}: redis.url is missing`);
    return undefined;
  }
  const problems: Array<[string, string | undefined]> = [
    [urlSource, redisUrlProblem(url)],
    [nodeIdSource, nodeId === undefined ? undefined : nodeIdProblem(nodeId)],
    [`${source}: redis.prefix`, file.prefix === undefined ? undefined : prefixProblem(file.prefix)],
    [`${source}: redis.leaseMs`, file.leaseMs === undefined ? undefined : leaseProblem(file.leaseMs)],
  ];
  for (const [where, problem] of problems) if (problem) throw new ConfigError(`${where} ${problem}`);
  return {
    url: url as string,
    nodeId: (nodeId as string | undefined) ?? defaultNodeId(),
    prefix: (file.prefix as string | undefined) ?? DEFAULT_PREFIX,
    leaseMs: (file.leaseMs as number | undefined) ?? DEFAULT_LEASE_MS,
  };
}

export interface UserConfig {
  username: string;
  password: string;
  /** The agent device (DN) this user is bound to. */
  deviceDn: string;
}

export interface ServerConfig {
  host: string;
  port: number;
  publicUrl?: string;
  accountId?: string;
  applicationId?: string;
  users: UserConfig[];
  /** Expose the simulator API (default: on, with the simulated network; any configured user may drive it). */
  simulator: boolean;
  /** Web page origins allowed to use CometD from a browser (default: none). */
  allowedOrigins?: string[];
  /** A note printed at start-up (the demo config says it is a demo). */
  notice?: string;
  /** Webhook delivery of the callbacks (URLs per kind of callback, credentials, secret, timeouts). */
  webhooks: WebhookConfig;
  /**
   * The live inspector at /inspect: `on-demand` (default: records while a page is open, costs nothing
   * otherwise), `always` (records from the start, so a page opened later shows earlier calls), or `off`.
   */
  inspector: InspectorMode;
  /** Failed-login limits (per user and address, per address; see src/http/loginLimiter.ts). */
  loginLimits: LoginLimits;
  /** Lifetime of the session cookie the agent API sets, in seconds. */
  sessionSeconds: number;
  /** The Redis store (webhook outbox and node lease); absent: everything in memory. */
  redis?: RedisConfig;
  /** The SIP network's options; absent: the server runs on the simulated network. */
  sip?: SipConfig;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

function parseUsers(text: string, source: string): UserConfig[] {
  return text
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const [username, password, deviceDn, ...rest] = entry.split(':');
      if (!username || !password || !deviceDn || rest.length) {
        throw new ConfigError(
          `${source}: each user must be username:password:deviceDn (check the entry for user '${username ?? ''}')`,
        );
      }
      return { username, password, deviceDn };
    });
}

function checkUsers(users: unknown, source: string): UserConfig[] {
  if (!Array.isArray(users))
    throw new ConfigError(`${source}: 'users' must be an array of { username, password, deviceDn }`);
  return users.map((u, i) => {
    const user = u as Partial<UserConfig>;
    for (const key of ['username', 'password', 'deviceDn'] as const) {
      if (typeof user[key] !== 'string' || user[key] === '')
        throw new ConfigError(`${source}: users[${i}].${key} must be a non-empty string`);
    }
    return { username: user.username as string, password: user.password as string, deviceDn: user.deviceDn as string };
  });
}

/** The configuration from an optional file and the environment; throws ConfigError with a clear message. */
export function loadConfig(
  options: {
    file?: string;
    env?: NodeJS.ProcessEnv;
    port?: number;
    redisUrl?: string;
    nodeId?: string;
    /** `--sip` addresses (they win over SWITCHBOARD_SIP_LISTEN and the file's sip.listen). */
    sip?: readonly string[];
  } = {},
): ServerConfig {
  const env = options.env ?? process.env;
  let fromFile: Partial<
    Omit<ServerConfig, 'webhooks' | 'inspector' | 'loginLimits' | 'sessionSeconds' | 'redis' | 'sip'>
  > & {
    users?: unknown;
    webhooks?: unknown;
    inspector?: unknown;
    loginLimits?: unknown;
    sessionSeconds?: unknown;
    redis?: unknown;
    sip?: unknown;
  } = {};
  if (options.file) {
    let text: string;
    try {
      text = readFileSync(options.file, 'utf8');
    } catch (error) {
      throw new ConfigError(`cannot read config file ${options.file}: ${(error as Error).message}`);
    }
    try {
      fromFile = JSON.parse(text) as typeof fromFile;
    } catch (error) {
      throw new ConfigError(`config file ${options.file} is not valid JSON: ${(error as Error).message}`);
    }
  }
  const users = env.SWITCHBOARD_USERS
    ? parseUsers(env.SWITCHBOARD_USERS, 'SWITCHBOARD_USERS')
    : checkUsers(fromFile.users ?? [], options.file ?? 'config');
  const names = new Set<string>();
  for (const user of users) {
    if (names.has(user.username)) throw new ConfigError(`user '${user.username}' is configured twice`);
    names.add(user.username);
  }
  const portText = options.port ?? env.SWITCHBOARD_PORT ?? fromFile.port ?? 8080;
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new ConfigError(`port must be 0-65535, got ${String(portText)}`);
  const redis = checkRedis(fromFile.redis, options.file ?? 'config', env, options);
  let sip: SipConfig | undefined;
  try {
    sip = checkSip(fromFile.sip, options.file ?? 'config', env, options);
  } catch (error) {
    if (error instanceof SipConfigError) throw new ConfigError(error.message);
    throw error;
  }
  return {
    ...(redis ? { redis } : {}),
    ...(sip ? { sip } : {}),
    host: env.SWITCHBOARD_HOST ?? fromFile.host ?? '127.0.0.1',
    port,
    publicUrl: env.SWITCHBOARD_PUBLIC_URL ?? fromFile.publicUrl,
    accountId: fromFile.accountId,
    applicationId: fromFile.applicationId,
    users,
    simulator: fromFile.simulator ?? true,
    inspector: checkInspector(
      env.SWITCHBOARD_INSPECTOR ?? fromFile.inspector,
      env.SWITCHBOARD_INSPECTOR !== undefined ? 'SWITCHBOARD_INSPECTOR' : (options.file ?? 'config'),
    ),
    allowedOrigins: Array.isArray(fromFile.allowedOrigins)
      ? fromFile.allowedOrigins.filter((o): o is string => typeof o === 'string')
      : [],
    notice: fromFile.notice,
    loginLimits: checkLoginLimits(fromFile.loginLimits, options.file ?? 'config'),
    sessionSeconds: positiveInteger(
      fromFile.sessionSeconds ?? DEFAULT_SESSION_SECONDS,
      `${options.file ?? 'config'}: sessionSeconds`,
    ),
    webhooks: {
      ...checkWebhooks(fromFile.webhooks, options.file ?? 'config'),
      ...(env.SWITCHBOARD_WEBHOOK_SECRET ? { secret: env.SWITCHBOARD_WEBHOOK_SECRET } : {}),
    },
  };
}

function checkInspector(value: unknown, source: string): InspectorMode {
  if (value === undefined) return 'on-demand';
  if (!(INSPECTOR_MODES as readonly unknown[]).includes(value)) {
    throw new ConfigError(
      `${source}: inspector must be one of ${INSPECTOR_MODES.map((m) => `'${m}'`).join(', ')}, got ${JSON.stringify(value)}`,
    );
  }
  return value as InspectorMode;
}

function positiveInteger(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new ConfigError(`${what} must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

function checkLoginLimits(value: unknown, source: string): LoginLimits {
  if (value === undefined) return { ...DEFAULT_LOGIN_LIMITS };
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ConfigError(`${source}: 'loginLimits' must be an object`);
  const given = value as Record<string, unknown>;
  const unknown = Object.keys(given).filter((key) => !(key in DEFAULT_LOGIN_LIMITS));
  if (unknown.length) {
    throw new ConfigError(
      `${source}: unknown loginLimits setting ${unknown.map((k) => `'${k}'`).join(', ')} (known: ${Object.keys(DEFAULT_LOGIN_LIMITS).join(', ')})`,
    );
  }
  const limits = { ...DEFAULT_LOGIN_LIMITS };
  for (const key of Object.keys(DEFAULT_LOGIN_LIMITS) as Array<keyof LoginLimits>) {
    if (given[key] !== undefined) limits[key] = positiveInteger(given[key], `${source}: loginLimits.${key}`);
  }
  return limits;
}
