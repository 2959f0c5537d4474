/**
 * The server's SIP settings: `--sip udp:HOST:PORT` (repeatable), `SWITCHBOARD_SIP_LISTEN` (comma separated) and
 * the config file's `"sip": { listen, services, gateway, media, agents, ringbackTone, limits }`. The command line wins
 * over the environment, which wins over the file, for `listen`; the rest comes from the file. Every problem is a
 * ConfigError naming the option. No SIP configured: the server runs on the simulated network.
 */
import { checkLimits, type SipLimits } from '../sip/limits';
import type { SipNetworkOptions } from '../sip/network';

/** A problem with the SIP settings (the message names the option); loadConfig reports it as a ConfigError. */
export class SipConfigError extends Error {}

/** The SIP settings the server hands `createSipNetwork` (`ringbackTone` names a tone of the SIP network's). */
export type SipConfig = SipNetworkOptions & { ringbackTone?: string };

const LISTEN = /^(udp|tcp):([^:\s]+|\[[0-9a-f:]+\]):(\d{1,5})$/i;
const SIP_URI = /^sips?:[^\s]+$/i;
const KEYS = ['listen', 'services', 'gateway', 'media', 'agents', 'ringbackTone', 'limits'];

/** The SIP network's options from the command line, the environment and the file; undefined without SIP. */
export function checkSip(
  value: unknown,
  source: string,
  env: NodeJS.ProcessEnv,
  cli: { sip?: readonly string[] },
): SipConfig | undefined {
  const fail = (message: string): never => {
    throw new SipConfigError(message);
  };
  if (value !== undefined && (typeof value !== 'object' || value === null || Array.isArray(value))) {
    fail(`${source}: 'sip' must be an object { listen, services?, gateway?, media?, agents?, ringbackTone?, limits? }`);
  }
  const file = (value ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(file)) {
    if (!KEYS.includes(key)) fail(`${source}: sip.${key} is not a setting (${KEYS.join(', ')})`);
  }
  let listen: unknown;
  let where: string;
  if (cli.sip !== undefined && cli.sip.length > 0) {
    [listen, where] = [cli.sip, '--sip'];
  } else if (env.SWITCHBOARD_SIP_LISTEN !== undefined) {
    listen = env.SWITCHBOARD_SIP_LISTEN.split(',').map((s) => s.trim());
    where = 'SWITCHBOARD_SIP_LISTEN';
  } else {
    [listen, where] = [file.listen, `${source}: sip.listen`];
  }
  if (listen === undefined) {
    if (value !== undefined) fail(`${source}: sip.listen is missing (e.g. ["udp:127.0.0.1:5060"])`);
    return undefined;
  }
  if (!Array.isArray(listen) || listen.length === 0) fail(`${where} must list addresses like udp:127.0.0.1:5060`);
  const entries = listen as unknown[];
  const parsed = entries.map((entry) => {
    const m = typeof entry === 'string' ? LISTEN.exec(entry) : null;
    if (!m || Number(m[3]) > 65535) {
      fail(`${where} must be udp:HOST:PORT or tcp:HOST:PORT (port 0-65535), got ${JSON.stringify(entry)}`);
    }
    return `${m![2]}:${m![3]}`;
  });
  if (parsed.some((p) => p !== parsed[0])) {
    fail(`${where}: every address must have the same host and port (one per transport), got ${entries.join(', ')}`);
  }
  const uris = (what: string, map: unknown, keyPattern?: RegExp): Record<string, string> | undefined => {
    if (map === undefined) return undefined;
    if (typeof map !== 'object' || map === null || Array.isArray(map)) {
      fail(`${source}: sip.${what} must be an object of ${keyPattern ? 'DN' : 'name'} → SIP URI`);
    }
    const out: Record<string, string> = {};
    for (const [key, uri] of Object.entries(map as Record<string, unknown>)) {
      if (keyPattern && !keyPattern.test(key)) fail(`${source}: sip.${what} key ${JSON.stringify(key)} is not a DN`);
      if (typeof uri !== 'string' || !SIP_URI.test(uri)) {
        fail(
          `${source}: sip.${what}.${key} must be a SIP URI like sip:agent@127.0.0.2:5070, got ${JSON.stringify(uri)}`,
        );
      }
      out[key] = uri as string;
    }
    return out;
  };
  const services = uris('services', file.services);
  const agents = uris('agents', file.agents, /^[\w+.\-*#]+$/);
  if (file.gateway !== undefined && (typeof file.gateway !== 'string' || !SIP_URI.test(file.gateway))) {
    fail(`${source}: sip.gateway must be a SIP URI like sip:127.0.0.2:5080, got ${JSON.stringify(file.gateway)}`);
  }
  const media = checkMedia(file.media, source, fail);
  const limits = checkSipLimits(file.limits, source, fail);
  if (file.ringbackTone !== undefined && (typeof file.ringbackTone !== 'string' || file.ringbackTone === '')) {
    fail(`${source}: sip.ringbackTone must be the name of a tone, got ${JSON.stringify(file.ringbackTone)}`);
  }
  return {
    listen: entries as string[],
    ...(services ? { services } : {}),
    ...(file.gateway !== undefined ? { gateway: file.gateway as string } : {}),
    ...(media ? { media } : {}),
    ...(agents ? { agents } : {}),
    ...(file.ringbackTone !== undefined ? { ringbackTone: file.ringbackTone as string } : {}),
    ...(limits ? { limits } : {}),
  };
}

/** `limits` as createSipNetwork checks it (src/sip/limits.ts), its message naming the file's option. */
function checkSipLimits(value: unknown, source: string, fail: (message: string) => never): SipLimits | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(`${source}: sip.limits must be an object { maxMessageBytes?, invitesPerSecond?, inviteBurst? }`);
  }
  try {
    checkLimits(value);
  } catch (error) {
    const message = (error as Error).message.replace(/^createSipNetwork\(\): /, '');
    const unknown = /^unknown limit '(.*)'$/.exec(message);
    fail(
      `${source}: sip.${unknown ? `limits.${unknown[1]} is not a setting (maxMessageBytes, invitesPerSecond, inviteBurst)` : message}`,
    );
  }
  return value as SipLimits;
}

function checkMedia(
  value: unknown,
  source: string,
  fail: (message: string) => never,
): SipNetworkOptions['media'] | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(`${source}: sip.media must be an object { host?, ports?: [low, high] }`);
  }
  const { host, ports, ...rest } = value as Record<string, unknown>;
  const extra = Object.keys(rest);
  if (extra.length > 0) fail(`${source}: sip.media.${extra[0]} is not a setting (host, ports)`);
  if (host !== undefined && (typeof host !== 'string' || !/^[^\s]+$/.test(host))) {
    fail(`${source}: sip.media.host must be an address, got ${JSON.stringify(host)}`);
  }
  const ok =
    ports === undefined ||
    (Array.isArray(ports) &&
      ports.length === 2 &&
      ports.every((p) => Number.isInteger(p) && p > 0 && p < 65536) &&
      ports[0] <= ports[1]);
  if (!ok) fail(`${source}: sip.media.ports must be [low, high] (1-65535), got ${JSON.stringify(ports)}`);
  return {
    ...(host !== undefined ? { host: host as string } : {}),
    ...(ports !== undefined ? { ports: ports as [number, number] } : {}),
  };
}
