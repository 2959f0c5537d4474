/**
 * SIP legs after a crash: `switchboard serve --sip … --redis … --node-id …` from dist/ in a child process, a SIPp
 * caller for the agent's DN (answered over HTTP) and a SIPp far end behind the gateway (the SingleStepTransfer's
 * target), the node killed with SIGKILL while the target rings and while the two are connected. The restarted
 * node (same node id and SIP address), or another node taking the dead one's calls over, ends every dialog from
 * the data stored with the legs: BYE with `Reason: Q.850;cause=41` for the answered ones, CANCEL for its own
 * unanswered INVITE. SIPp's verdicts say each got it; the webhooks, after de-duplication by delivery id, give
 * each leg its terminal callback once; nothing is left in Redis.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/sip/sipJsStack';
import { assertBuilt } from '../support/builtCli';
import { useRedis } from '../support/redis';
import { deduplicated, startNode, until, webhookReceiver, type Arrival, type ServeNode } from '../support/serveNode';
import { startSipp, type SippRun } from '../support/sipp';

const redis = useRedis();
const nodes: ServeNode[] = [];
let receiver: Awaited<ReturnType<typeof webhookReceiver>>;

beforeAll(() => assertBuilt());
beforeEach(async () => {
  receiver = await webhookReceiver();
});
afterEach(async () => {
  for (const node of nodes.splice(0)) await node.kill();
  await receiver.close();
  await redis().client().flushall();
});

/** A config file: agent5005, the webhooks to the receiver, a short lease, SIP on `sipPort`, numbers to `gateway`. */
function sipConfig(
  sipPort: number,
  gatewayPort: number,
  agents?: Record<string, string>,
  transport: 'udp' | 'tcp' = 'udp',
): string {
  const file = join(mkdtempSync(join(tmpdir(), 'sb-sip-restart-')), 'config.json');
  const kinds = ['initiate', 'answer', 'disconnect', 'transferAnswer', 'transferComplete', 'transferDisconnect'];
  const webhooks = Object.fromEntries(kinds.map((k) => [`${k}Url`, `${receiver.base}/${k}`]));
  writeFileSync(
    file,
    JSON.stringify({
      users: [{ username: 'agent5005', password: 'pw-5005', deviceDn: '5005' }],
      webhooks: { ...webhooks, callbackTimeout: 30, retryDelaysMs: [100, 200, 400] },
      redis: { leaseMs: 300 },
      sip: {
        listen: [`${transport}:127.0.0.1:${sipPort}`],
        gateway: `sip:127.0.0.2:${gatewayPort}${transport === 'tcp' ? ';transport=tcp' : ''}`,
        agents,
      },
    }),
  );
  return file;
}

async function node(config: string, nodeId: string): Promise<ServeNode> {
  const started = await startNode(config, redis().url, nodeId);
  nodes.push(started);
  return started;
}

async function crash(n: ServeNode): Promise<void> {
  await n.kill();
  nodes.splice(nodes.indexOf(n), 1);
}

interface Stored {
  lastState: string;
  network?: {
    role: string;
    answered: boolean;
    localSeq: number;
    invite?: { provisional: boolean };
    phone?: { answered: boolean };
  };
}

/** The node's stored leg records. */
async function legs(nodeId: string): Promise<Stored[]> {
  const state = await redis().client().hgetall(`switchboard:node:${nodeId}:state`);
  return Object.entries(state)
    .filter(([key]) => key.startsWith('leg:'))
    .map(([, json]) => JSON.parse(json) as Stored);
}

/** A SIPp caller for 5005, answered by the agent, single-step transferred to +1999 (the SIPp far end). */
async function transferredCall(
  n: ServeNode,
  sipPort: number,
  scenario = 'uac-restart-bye.xml',
  transport: 'udp' | 'tcp' = 'udp',
): Promise<SippRun> {
  const caller = await startSipp(scenario, {
    target: `127.0.0.1:${sipPort}`,
    transport,
    extra: ['-s', '5005'],
    timeoutSeconds: 40,
  });
  let id = '';
  await until(async () => {
    const calls = (await n.api('GET', '/me/calls')).body.calls as Array<{ id: string; state: string }>;
    id = calls.find((c) => c.state === 'Ringing')?.id ?? '';
    return id !== '';
  }, 'the desk ringing');
  expect((await n.api('POST', `/me/calls/${id}`, { operationName: 'Answer' })).body).toEqual({ statusCode: 0 });
  await until(async () => {
    const calls = (await n.api('GET', '/me/calls')).body.calls as Array<{ state: string }>;
    return calls[0]?.state === 'Established'; // the caller's ACK came
  }, 'the call established');
  const transfer = { operationName: 'SingleStepTransfer', destination: { phoneNumber: '+1999' } };
  expect((await n.api('POST', `/me/calls/${id}`, transfer)).body).toEqual({ statusCode: 0 });
  return caller;
}

/** The callbacks after de-duplication by delivery id, as [type, cause]. */
const callbacks = (arrivals: Arrival[]): Array<[string, string | null]> =>
  deduplicated(arrivals).map((a) => [a.body.eventType, 'cause' in a.body ? String(a.body.cause) : null]);

const terminal = (calls: Array<[string, string | null]>) =>
  calls.filter(([type]) => ['disconnect', 'transferDisconnect', 'transferComplete'].includes(type));

test.each(['udp', 'tcp'] as const)(
  'SIGKILL while the target rings (%s): the restarted node CANCELs the target and BYEs the caller (Q.850 41), callbacks once',
  async (transport) => {
    const [sipPort, gatewayPort] = [await freePort('127.0.0.1'), await freePort('127.0.0.2')];
    const config = sipConfig(sipPort, gatewayPort, undefined, transport);
    const target = await startSipp('uas-restart-ring.xml', { port: gatewayPort, timeoutSeconds: 40, transport });
    const first = await node(config, `sip-crash-1-${transport}`);
    const caller = await transferredCall(first, sipPort, undefined, transport);
    // The target's INVITE has its 180 and is stored with what a CANCEL needs.
    await until(
      async () =>
        (await legs(`sip-crash-1-${transport}`)).some(
          (l) => l.network?.role === 'uac' && l.network.invite?.provisional,
        ),
      'the ringing target stored',
    );
    await crash(first);

    const second = await node(config, `sip-crash-1-${transport}`);
    // Over TCP both far ends' connections closed with the killed process, and SIPp fails a call whose connection
    // closes there and then (over UDP nothing tells them: they get our CANCEL and BYE).
    const verdict = transport === 'udp' ? { code: 0, successful: 1, failed: 0 } : { code: 1, successful: 0, failed: 1 };
    expect(await caller.done).toMatchObject(verdict);
    expect(await target.done).toMatchObject(verdict);
    await until(() => terminal(callbacks(receiver.arrivals)).length === 2, 'the terminal callbacks');
    await until(async () => (await legs(`sip-crash-1-${transport}`)).length === 0, 'the legs removed from Redis');
    // The caller's end ends the transfer: the target (CANCELled) gets its transferDisconnect, the caller its
    // disconnect with the restart's cause (temporaryFailure: Bandwidth's 'error').
    expect(callbacks(receiver.arrivals)).toEqual([
      ['initiate', null],
      ['transferDisconnect', 'cancel'],
      ['disconnect', 'error'],
    ]);
    expect((await second.api('GET', '/me/calls')).body.calls).toEqual([]);
  },
  90_000,
);

test('SIGKILL while the desk rings: nothing is sent to the caller (no transaction left), its leg ends once', async () => {
  const [sipPort, gatewayPort] = [await freePort('127.0.0.1'), await freePort('127.0.0.2')];
  const config = sipConfig(sipPort, gatewayPort);
  const first = await node(config, 'sip-crash-3');
  const caller = await startSipp('uac-restart-ringing.xml', {
    target: `127.0.0.1:${sipPort}`,
    extra: ['-s', '5005'],
    timeoutSeconds: 40,
  });
  await until(async () => (await legs('sip-crash-3')).some((l) => l.network?.role === 'uas'), 'the caller stored');
  expect(((await first.api('GET', '/me/calls')).body.calls as Array<{ state: string }>)[0].state).toBe('Ringing');
  await crash(first);

  const second = await node(config, 'sip-crash-3');
  await until(() => terminal(callbacks(receiver.arrivals)).length === 1, 'the terminal callback');
  expect(callbacks(receiver.arrivals)).toEqual([
    ['initiate', null],
    ['disconnect', 'error'],
  ]);
  expect((await second.api('GET', '/me/calls')).body.calls).toEqual([]);
  // SIPp got nothing more for its INVITE (a final response or a BYE would fail its call); its CANCEL gets 481.
  expect(await caller.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
  await until(async () => (await legs('sip-crash-3')).length === 0, 'the leg removed from Redis');
}, 90_000);

test('SIGKILL with the caller and the target connected: the restarted node keeps the call; the target hangs up later', async () => {
  const [sipPort, gatewayPort] = [await freePort('127.0.0.1'), await freePort('127.0.0.2')];
  const config = sipConfig(sipPort, gatewayPort);
  const target = await startSipp('uas-restart-continue.xml', { port: gatewayPort, timeoutSeconds: 40 });
  const first = await node(config, 'sip-crash-2');
  const caller = await transferredCall(first, sipPort, 'uac-restart-continue.xml');
  // Connected (RFC 3725): the caller re-INVITEd with the target's SDP, then the target with the caller's (its
  // dialog's CSeq 2, stored once that re-INVITE is answered).
  await until(
    async () => (await legs('sip-crash-2')).some((l) => l.network?.role === 'uac' && l.network.localSeq === 2),
    'the target re-INVITEd and stored',
  );
  await crash(first);

  // The restarted node matches both dialogs again and asks each far end (OPTIONS) if it is still there; the
  // target then hangs up (BYE, Q.850 16): the transfer ends as it would have, the caller gets BYE with 16.
  const second = await node(config, 'sip-crash-2');
  expect(await target.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
  expect(await caller.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
  await until(() => terminal(callbacks(receiver.arrivals)).length === 3, 'the terminal callbacks');
  await until(async () => (await legs('sip-crash-2')).length === 0, 'the legs removed from Redis');
  expect(callbacks(receiver.arrivals)).toEqual([
    ['initiate', null],
    ['transferAnswer', null],
    ['transferDisconnect', 'hangup'],
    ['transferComplete', 'hangup'],
    ['disconnect', 'hangup'],
  ]);
  expect((await second.api('GET', '/me/calls')).body.calls).toEqual([]);
}, 90_000);

test("takeover: another node ends the dead node's SIP dialogs from its own address (BYE, Q.850 41), callbacks once", async () => {
  const [sipPort, otherPort, gatewayPort] = [
    await freePort('127.0.0.1'),
    await freePort('127.0.0.1'),
    await freePort('127.0.0.2'),
  ];
  const target = await startSipp('uas-restart-bridged.xml', { port: gatewayPort, timeoutSeconds: 40 });
  const first = await node(sipConfig(sipPort, gatewayPort), 'sip-dead');
  const other = await node(sipConfig(otherPort, gatewayPort), 'sip-alive');
  const caller = await transferredCall(first, sipPort);
  await until(
    async () => (await legs('sip-dead')).some((l) => l.network?.role === 'uac' && l.network.localSeq === 2),
    'the target re-INVITEd and stored',
  );
  await crash(first);

  // The lease (300 ms) runs out; the other node takes the calls over and BYEs both far ends.
  expect(await caller.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
  expect(await target.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
  await until(() => terminal(callbacks(receiver.arrivals)).length === 2, 'the terminal callbacks');
  await until(async () => (await legs('sip-alive')).length === 0, "the adopted legs removed from the node's state");
  expect(callbacks(receiver.arrivals)).toEqual([
    ['initiate', null],
    ['transferAnswer', null],
    ['transferDisconnect', 'hangup'],
    ['disconnect', 'error'],
  ]);
  expect(await redis().client().exists('switchboard:node:sip-dead:state')).toBe(0);
  expect((await other.api('GET', '/me/calls')).body.calls).toEqual([]);
}, 90_000);

test("SIGKILL with the call answered on the agent's phone: the restarted node BYEs the caller and the phone", async () => {
  const [sipPort, gatewayPort, phonePort] = [
    await freePort('127.0.0.1'),
    await freePort('127.0.0.2'),
    await freePort('127.0.0.2'),
  ];
  const config = sipConfig(sipPort, gatewayPort, { '5005': `sip:ann@127.0.0.2:${phonePort}` });
  const phone = await startSipp('uas-restart-phone.xml', { port: phonePort, timeoutSeconds: 40 });
  const first = await node(config, 'sip-crash-5');
  const caller = await startSipp('uac-restart-bye.xml', {
    target: `127.0.0.1:${sipPort}`,
    extra: ['-s', '5005'],
    timeoutSeconds: 40,
  });
  await until(
    async () => (await legs('sip-crash-5')).some((l) => l.network?.answered && l.network.phone?.answered),
    'the call answered on the phone, both dialogs stored',
  );
  await crash(first);

  const second = await node(config, 'sip-crash-5');
  expect(await caller.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
  expect(await phone.done).toMatchObject({ code: 0, successful: 1, failed: 0 });
  await until(() => terminal(callbacks(receiver.arrivals)).length === 1, 'the terminal callback');
  expect(callbacks(receiver.arrivals)).toEqual([
    ['initiate', null],
    ['disconnect', 'error'],
  ]);
  expect((await second.api('GET', '/me/calls')).body.calls).toEqual([]);
}, 90_000);
