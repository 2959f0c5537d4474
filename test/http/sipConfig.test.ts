// The server's SIP settings (src/http/sipConfig.ts through loadConfig): where `listen` comes from (--sip, then
// SWITCHBOARD_SIP_LISTEN, then the file), what the file's "sip" object may hold, and one clear error per problem.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/http/config';

const dir = mkdtempSync(join(tmpdir(), 'sb-sipconfig-'));
let n = 0;
function write(content: unknown): string {
  const file = join(dir, `c${++n}.json`);
  writeFileSync(file, JSON.stringify(content));
  return file;
}
const env = { SWITCHBOARD_USERS: 'a:b:5005' };

test('no SIP anywhere: no sip settings (the simulated network)', () => {
  expect(loadConfig({ env }).sip).toBeUndefined();
});

test('the file\'s "sip" object, as given', () => {
  const sip = {
    listen: ['udp:127.0.0.1:5060', 'tcp:127.0.0.1:5060'],
    services: { voicemail: 'sip:vm@127.0.0.2:5070' },
    gateway: 'sip:127.0.0.2:5080',
    media: { host: '127.0.0.1', ports: [20000, 20999] },
    agents: { '5005': 'sip:ann@127.0.0.2:5072', '5001': 'sip:bob@127.0.0.2:5074;transport=tcp' },
    ringbackTone: 'uk',
  };
  expect(loadConfig({ file: write({ sip }), env }).sip).toEqual(sip);
});

test("the file's sip.limits (createSipNetwork's limits: a trunk sends every call from a few addresses)", () => {
  const limits = { invitesPerSecond: 0, inviteBurst: 50, maxMessageBytes: 8192 };
  expect(loadConfig({ file: write({ sip: { listen: ['udp:127.0.0.1:0'], limits } }), env }).sip).toEqual({
    listen: ['udp:127.0.0.1:0'],
    limits,
  });
});

test('listen: --sip wins over SWITCHBOARD_SIP_LISTEN (comma separated), which wins over the file', () => {
  const file = write({ sip: { listen: ['udp:127.0.0.1:5060'], gateway: 'sip:127.0.0.2:5080' } });
  const both = { ...env, SWITCHBOARD_SIP_LISTEN: 'udp:127.0.0.1:5070, tcp:127.0.0.1:5070' };
  expect(loadConfig({ file, env }).sip?.listen).toEqual(['udp:127.0.0.1:5060']);
  expect(loadConfig({ file, env: both }).sip).toEqual({
    listen: ['udp:127.0.0.1:5070', 'tcp:127.0.0.1:5070'],
    gateway: 'sip:127.0.0.2:5080',
  });
  expect(loadConfig({ file, env: both, sip: ['tcp:127.0.0.1:5090'] }).sip?.listen).toEqual(['tcp:127.0.0.1:5090']);
  expect(loadConfig({ env, sip: ['udp:[::1]:0'] }).sip).toEqual({ listen: ['udp:[::1]:0'] });
});

test.each([
  [{ sip: [] }, {}, "'sip' must be an object"],
  [{ sip: { gateway: 'sip:127.0.0.2:5080' } }, {}, 'sip.listen is missing'],
  [{ sip: { listen: 'udp:127.0.0.1:5060' } }, {}, 'sip.listen must list addresses'],
  [{ sip: { listen: ['udp:127.0.0.1'] } }, {}, 'sip.listen must be udp:HOST:PORT or tcp:HOST:PORT'],
  [{ sip: { listen: ['udp:127.0.0.1:5060', 'tcp:127.0.0.2:5060'] } }, {}, 'same host and port'],
  [{ sip: { listen: ['udp:127.0.0.1:0'], proxy: 'x' } }, {}, 'sip.proxy is not a setting'],
  [{ sip: { listen: ['udp:127.0.0.1:0'], gateway: 'http://x' } }, {}, 'sip.gateway must be a SIP URI'],
  [{ sip: { listen: ['udp:127.0.0.1:0'], services: { vm: 'vm' } } }, {}, 'sip.services.vm must be a SIP URI'],
  [{ sip: { listen: ['udp:127.0.0.1:0'], services: ['x'] } }, {}, 'sip.services must be an object'],
  [{ sip: { listen: ['udp:127.0.0.1:0'], agents: { '5005': 5 } } }, {}, 'sip.agents.5005 must be a SIP URI'],
  [{ sip: { listen: ['udp:127.0.0.1:0'], agents: { 'a b': 'sip:x@y' } } }, {}, 'sip.agents key "a b" is not a DN'],
  [{ sip: { listen: ['udp:127.0.0.1:0'], media: { ports: [3, 2] } } }, {}, 'sip.media.ports must be [low, high]'],
  [{ sip: { listen: ['udp:127.0.0.1:0'], media: { rtcp: true } } }, {}, 'sip.media.rtcp is not a setting'],
  [{ sip: { listen: ['udp:127.0.0.1:0'], media: { host: '' } } }, {}, 'sip.media.host must be an address'],
  [{ sip: { listen: ['udp:127.0.0.1:0'], media: 3 } }, {}, 'sip.media must be an object'],
  [{ sip: { listen: ['udp:127.0.0.1:0'], ringbackTone: 7 } }, {}, 'sip.ringbackTone must be the name of a tone'],
  [{ sip: { listen: ['udp:127.0.0.1:0'], limits: 3 } }, {}, 'sip.limits must be an object'],
  [{ sip: { listen: ['udp:127.0.0.1:0'], limits: { perSecond: 1 } } }, {}, 'sip.limits.perSecond is not a setting'],
  [
    { sip: { listen: ['udp:127.0.0.1:0'], limits: { invitesPerSecond: -1 } } },
    {},
    'sip.limits.invitesPerSecond must be a number >= 0, got -1',
  ],
  [{}, { SWITCHBOARD_SIP_LISTEN: 'udp:localhost:70000' }, 'SWITCHBOARD_SIP_LISTEN must be udp:HOST:PORT'],
  [{}, { SWITCHBOARD_SIP_LISTEN: '' }, 'SWITCHBOARD_SIP_LISTEN must be udp:HOST:PORT'],
])('%j %j: a ConfigError naming the option', (content, extraEnv, message) => {
  const file = write(content);
  const load = () => loadConfig({ file, env: { ...env, ...extraEnv } });
  expect(load).toThrow(ConfigError);
  expect(load).toThrow(message);
});
