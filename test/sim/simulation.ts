/**
 * Randomized simulation: many concurrent calls over every path of docs/behaviour.md §3 and §4 (IVR retrievable
 * transfers, agent consults and single-step transfers, outbound calls), with far ends answering, rejecting,
 * timing out, failing and hanging up, and the application and agents acting at any moment, interleaved on
 * the SimulatedClock. Deterministic for a seed. Invariants are checked on every event as it arrives and at
 * the end; each violation is a line of text naming the call and the rule.
 */
import {
  CallChannelError,
  createSwitchboard,
  HangupError,
  SimulatedClock,
  TransferCause,
  type BandwidthCallback,
  type Channel,
  type Switchboard,
} from '../../src';
import { BANDWIDTH_CAUSES } from '../../src/causes';
import { engineOf } from '../support/engineOf';

export interface SimulationResult {
  seed: number;
  calls: number;
  violations: string[];
  events: number;
  /** Conference rooms created (channel transfers into rooms). */
  rooms: number;
}

/** mulberry32: small, fast, seedable. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ENDPOINTS: Array<[string, Parameters<Switchboard['network']['addEndpoint']>[1]]> = [
  ['+15550000001', { outcome: 'answer', ringFor: 2 }],
  ['+15550000002', { outcome: 'answer', ringFor: 0 }],
  ['+15550000003', { outcome: 'answer', ringFor: 3, hangUpAfter: 7 }],
  ['+15550000004', { outcome: 'answer', ringFor: 1, hangUpAfter: 0 }],
  ['+15550000005', { outcome: 'busy' }],
  ['+15550000006', { outcome: 'reject', ringFor: 4 }],
  ['+15550000007', { outcome: 'noAnswer' }],
  ['+15550000008', { outcome: 'unobtainable' }],
  ['+15550000009', { outcome: 'clearBeforeAnswer', ringFor: 2 }],
  ['5001', { outcome: 'answer', ringFor: 2 }],
  ['5002', { outcome: 'answer', ringFor: 5, hangUpAfter: 20 }],
  ['5003', { outcome: 'busy' }],
  ['5004', { outcome: 'noAnswer' }],
];
const SERVICES: Array<[string, Parameters<Switchboard['network']['addInboundService']>[1]]> = [
  ['voicemail', { outcome: 'answer', ringFor: 1, hangUpAfter: 10 }],
  ['queue', { outcome: 'noAnswer' }],
];
const TARGETS = [...ENDPOINTS.map(([a]) => a), '+15559999999' /* unregistered */];
const AGENTS = ['6001', '6002', '6003', '6004', '6005'];

const ERROR_CAUSES = new Set([
  'error',
  'unknown',
  'callback-error',
  'invalid-bxml',
  'application-error',
  'account-limit',
  'node-capacity-exceeded',
]);
const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const FIELDS: Record<BandwidthCallback['eventType'], { required: string[]; optional: string[] }> = {
  initiate: { required: ['startTime'], optional: ['tag'] },
  answer: { required: ['startTime', 'answerTime'], optional: ['tag'] },
  disconnect: {
    required: ['startTime', 'endTime', 'cause'],
    optional: ['answerTime', 'tag', 'errorMessage', 'errorId'],
  },
  transferAnswer: {
    required: ['parentCallId', 'startTime', 'answerTime', 'transferCallerId', 'transferTo'],
    optional: ['tag'],
  },
  transferComplete: {
    required: ['startTime', 'transferCallerId', 'transferTo', 'cause'],
    optional: ['answerTime', 'tag', 'errorMessage', 'errorId'],
  },
  transferDisconnect: {
    required: ['parentCallId', 'startTime', 'endTime', 'transferCallerId', 'transferTo', 'cause'],
    optional: ['answerTime', 'tag', 'errorMessage', 'errorId'],
  },
};
const COMMON = ['eventType', 'eventTime', 'accountId', 'applicationId', 'from', 'to', 'direction', 'callId', 'callUrl'];

interface Action {
  at: number;
  seq: number;
  run: () => void;
}

/** Run one simulation of `calls` calls started over a few minutes; returns the violations found. */
export async function simulate(options: { seed: number; calls: number }): Promise<SimulationResult> {
  const random = prng(options.seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
  const chance = (p: number) => random() < p;
  const seconds = (max: number) => Math.round(random() * max * 10) / 10;

  const clock = new SimulatedClock();
  const sb = createSwitchboard({ clock, publicUrl: 'https://sim.example' });
  for (const [address, behaviour] of ENDPOINTS) sb.network.addEndpoint(address, behaviour);
  for (const [name, behaviour] of SERVICES) sb.network.addInboundService(name, behaviour);
  sb.network.addConferenceRoom('full', { outcome: 'busy' });
  const agents = AGENTS.map((phoneNumber) => sb.agent({ phoneNumber, consultTimeout: pick([30, 10, null]) }));

  const violations: string[] = [];
  const violate = (text: string) => {
    if (violations.length < 50) violations.push(`seed ${options.seed}: ${text}`);
  };

  // ---- invariants on every event, as it arrives ----
  const terminal = new Map<string, string>();
  const answeredTransfer = new Set<string>();
  const legsSeen = new Set<string>();
  const released = new Set<string>();
  let events = 0;
  let transfersStarted = 0;
  let transfersEnded = 0;
  sb.on('legState', (change) => {
    legsSeen.add(change.callId);
    if (terminal.has(change.callId) && change.state !== 'IDLE')
      violate(`leg ${change.callId} changed state (${change.state}) after its terminal event`);
  });
  sb.on('callback', (p) => {
    events++;
    checkPayload(p, violate);
    const ended = terminal.get(p.callId);
    if (ended) violate(`${p.eventType} for ${p.callId} after its terminal ${ended}`);
    if (p.eventType === 'disconnect' && 'parentCallId' in (p as object))
      violate(`disconnect on transfer leg ${p.callId}`);
    switch (p.eventType) {
      case 'disconnect':
      case 'transferDisconnect':
        terminal.set(p.callId, p.eventType);
        break;
      case 'transferAnswer':
        answeredTransfer.add(p.callId);
        break;
      case 'transferComplete':
        if (terminal.has(p.callId)) violate(`transferComplete for ${p.callId} after the parent ended`);
        break;
    }
  });
  sb.on('transferEnded', (t) => {
    transfersEnded++;
    if (t.transferCause === TransferCause.NONE) violate(`transfer of ${t.parentCallId} ended with TransferCause NONE`);
  });
  // Conference rooms: a member joins before it leaves, once at a time; a room completes after its last exit.
  const members = new Map<string, Set<string>>();
  const completedRooms = new Set<string>();
  sb.on('conferenceCallback', (p) => {
    events++;
    if (completedRooms.has(p.conferenceId)) violate(`${p.eventType} for room ${p.conferenceId} after it completed`);
    const room = members.get(p.conferenceId) ?? new Set<string>();
    members.set(p.conferenceId, room);
    if (p.eventType === 'conferenceCreated' && room.size) violate(`room ${p.conferenceId} created twice`);
    if (p.eventType === 'conferenceMemberJoin') {
      if (room.has(p.callId)) violate(`${p.callId} joined room ${p.conferenceId} twice`);
      if (terminal.has(p.callId)) violate(`${p.callId} joined a room after its terminal event`);
      room.add(p.callId);
    }
    if (p.eventType === 'conferenceMemberExit' && !room.delete(p.callId))
      violate(`${p.callId} left room ${p.conferenceId} it was not in`);
    if (p.eventType === 'conferenceCompleted') {
      if (room.size) violate(`room ${p.conferenceId} completed with ${room.size} members`);
      completedRooms.add(p.conferenceId);
    }
  });
  for (const agent of agents) {
    agent.on('notification', (m) => {
      const call = m.data.call;
      if (released.has(call.id)) violate(`notification for agent call ${call.id} after it was Released`);
      if (call.state === 'Released') released.add(call.id);
    });
  }

  // ---- the scripts ----
  const actions: Action[] = [];
  let seq = 0;
  const at = (time: number, run: () => void) => actions.push({ at: Math.round(time * 1000), seq: seq++, run });
  const pending = new Set<Promise<unknown>>();
  /** Call a channel method; outcomes are returned, preconditions throw HangupError / CallChannelError only. */
  const act = (label: string, fn: () => Promise<unknown>) => {
    const promise = fn().then(
      () => undefined,
      (error: unknown) => {
        if (!(error instanceof HangupError || error instanceof CallChannelError))
          violate(`${label} threw ${String(error)}`);
      },
    );
    pending.add(promise);
    void promise.finally(() => pending.delete(promise));
  };
  const agentOp = (label: string, fn: () => Promise<{ statusCode: number; statusMessage?: string }>) => {
    act(label, async () => {
      const response = await fn();
      if (![0, 2, 6].includes(response.statusCode)) violate(`${label} answered ${JSON.stringify(response)}`);
    });
  };

  const window = Math.max(60, options.calls / 20);
  let lastTime = 0;
  for (let i = 0; i < options.calls; i++) {
    const t0 = seconds(window);
    const from = `+1444${String(i).padStart(7, '0')}`;
    const kind = pick(['ivr', 'ivr', 'agent', 'agent', 'blind', 'outbound'] as const);
    const end = t0 + 60 + seconds(120);
    lastTime = Math.max(lastTime, end);
    if (kind === 'ivr') {
      let a: Channel | null = null;
      const b = sb.createChannel();
      at(t0, () => {
        a = sb.network.placeCall({ from, to: '+15559990000' }).channel;
      });
      at(
        t0 + seconds(2),
        () =>
          a &&
          (chance(0.1) ? act('reject', () => (a as Channel).reject()) : act('answer', () => (a as Channel).answer())),
      );
      at(t0 + 2 + seconds(3), () => {
        if (!a) return;
        (a as Channel).createTonePlayer();
        const timeout = pick([null, 3, 10, 30, undefined]);
        const opts = timeout === undefined ? {} : { secondsTimeout: timeout };
        transfersStarted++;
        if (chance(0.2))
          act('transferToConferenceRoom', () =>
            (a as Channel).transferToConferenceRoom(b, pick(['room-1', 'room-2', 'full']), {
              ...opts,
              talkerAndListener: chance(0.8),
            }),
          );
        else if (chance(0.3))
          act('transferToInboundService', () =>
            (a as Channel).transferToInboundService(b, pick(['voicemail', 'queue', 'nowhere']), opts),
          );
        else act('retrievableTransfer', () => (a as Channel).retrievableTransfer(b, pick(TARGETS), opts));
      });
      for (let k = 0; k < 3; k++) {
        at(t0 + 2 + seconds(40), () => {
          if (!a) return;
          const A = a as Channel;
          switch (
            pick([
              'callerHangs',
              'appHangsA',
              'appHangsB',
              'retrieve',
              'wait',
              'farB',
              'failA',
              'failB',
              'hold',
            ] as const)
          ) {
            case 'callerHangs':
              return A.callId && sb.network.farEnd(A.callId).hangUp();
            case 'appHangsA':
              return act('hangUp A', () => A.hangUp());
            case 'appHangsB':
              return act('hangUp B', () => b.hangUp());
            case 'retrieve':
              return act('retrieve', () => A.retrieveTransferredCall());
            case 'wait':
              return act('wait', () => A.waitForTransferredCallRetrieval({ secondsTimeout: pick([null, 5]) }));
            case 'farB':
              return b.callId && sb.network.farEnd(b.callId).hangUp();
            case 'failA':
              return A.callId && sb.network.farEnd(A.callId).fail('simulated failure');
            case 'failB':
              return b.callId && sb.network.farEnd(b.callId).fail('simulated failure');
            case 'hold':
              return act('hold', () => A.hold());
          }
        });
      }
      at(end, () => {
        if (a) act('final hangUp A', () => (a as Channel).hangUp());
        act('final hangUp B', () => b.hangUp());
      });
    } else if (kind === 'outbound') {
      const c = sb.createChannel();
      at(t0, () => act('call', () => c.call(pick(TARGETS), { from, secondsTimeout: pick([null, 5, 30]) })));
      at(t0 + seconds(20), () =>
        chance(0.5) ? act('hangUp', () => c.hangUp()) : c.callId && sb.network.farEnd(c.callId).fail('x'),
      );
      at(end, () => act('final hangUp', () => c.hangUp()));
    } else {
      const agent = pick(agents);
      let c1: string | null = null;
      const c2 = () =>
        agent.calls().find((c) => c.callType === 'Consult' && c.parentCallUri?.endsWith(c1 ?? '-'))?.id ?? 'none';
      at(t0, () => {
        sb.network.placeCall({ from, to: agent.phoneNumber });
        c1 = agent.calls().find((c) => c.participants[0].phoneNumber === from)?.id ?? null;
      });
      at(
        t0 + seconds(3),
        () => c1 && agentOp('Answer', () => agent.operation(c1 as string, { operationName: 'Answer' })),
      );
      at(t0 + 3 + seconds(3), () => {
        if (!c1) return;
        transfersStarted++;
        const operationName =
          kind === 'blind'
            ? pick(['SingleStepTransfer', 'SingleStepConference'])
            : pick(['InitiateTransfer', 'InitiateConference']);
        agentOp(operationName, () =>
          agent.operation(c1 as string, { operationName, destination: { phoneNumber: pick(TARGETS) } }),
        );
      });
      for (let k = 0; k < 4; k++) {
        at(t0 + 6 + seconds(40), () => {
          if (!c1) return;
          const C1 = c1;
          const choice = pick([
            'complete1',
            'complete2',
            'swap1',
            'swap2',
            'hangup1',
            'hangup2',
            'retrieve1',
            'farCaller',
            'farConsult',
            'data',
            'dtmf',
            'hold1',
            'transfer1',
            'blind1',
            'conference1',
            'conference2',
            'remove1',
          ] as const);
          const opOn = (id: string, body: object) => agentOp(choice, () => agent.operation(id, body));
          switch (choice) {
            case 'complete1':
              return opOn(C1, { operationName: 'CompleteTransfer' });
            case 'complete2':
              return opOn(c2(), { operationName: 'CompleteTransfer' });
            case 'swap1':
              return opOn(C1, { operationName: 'SwapCalls' });
            case 'swap2':
              return opOn(c2(), { operationName: 'SwapCalls' });
            case 'hangup1':
              return opOn(C1, { operationName: 'Hangup' });
            case 'hangup2':
              return opOn(c2(), { operationName: 'Hangup' });
            case 'retrieve1':
              return opOn(C1, { operationName: 'Retrieve' });
            case 'hold1':
              return opOn(C1, { operationName: 'Hold' });
            case 'conference1':
              return opOn(C1, { operationName: 'CompleteConference' });
            case 'conference2':
              return opOn(c2(), { operationName: 'CompleteConference' });
            case 'remove1':
              return opOn(C1, { operationName: 'DeleteFromConference', participant: pick(TARGETS) });
            case 'data':
              return opOn(C1, { operationName: 'AttachUserData', userData: { order: String(k) } });
            case 'dtmf':
              return opOn(C1, { operationName: 'SendDtmf', digits: '12#' });
            case 'transfer1':
            case 'blind1': {
              // Another transfer of the caller: on a held C1 while a consult runs, it replaces the consult.
              const operationName = choice === 'blind1' ? 'SingleStepTransfer' : 'InitiateTransfer';
              const destination = { phoneNumber: pick(TARGETS) };
              return agentOp(choice, async () => {
                const response = await agent.operation(C1, { operationName, destination });
                if (response.statusCode === 0) transfersStarted++;
                return response;
              });
            }
            case 'farCaller':
            case 'farConsult': {
              // A far end of one of this call's legs hangs up (found through the callbacks so far).
              const legs = [...legsSeen];
              const leg = choice === 'farCaller' ? legs.find((id) => id === callerLeg.get(from)) : pick(legs);
              return leg && sb.network.farEnd(leg).hangUp();
            }
          }
        });
      }
    }
  }
  // The caller's leg of each agent call, by its caller id (from initiate callbacks).
  const callerLeg = new Map<string, string>();
  sb.on('initiate', (p) => callerLeg.set(p.from, p.callId));

  // ---- run: every action at its own time; engine timers due before it fire first ----
  actions.sort((x, y) => x.at - y.at || x.seq - y.seq);
  for (const action of actions) {
    if (action.at > clock.now()) clock.set(action.at);
    action.run();
    for (let i = 0; i < 3; i++) await Promise.resolve();
  }
  // The end: every far end still up hangs up; then time runs on until everything has settled.
  clock.set(Math.round((lastTime + 1) * 1000));
  for (const leg of legsSeen) sb.network.farEnd(leg).hangUp();
  for (let i = 0; i < 10; i++) {
    clock.increment(60_000);
    await Promise.resolve();
  }
  await Promise.all([...pending]);

  // ---- invariants at the end ----
  for (const leg of legsSeen) if (!terminal.has(leg)) violate(`leg ${leg} never emitted a terminal event`);
  for (const id of answeredTransfer)
    if (terminal.get(id) !== 'transferDisconnect')
      violate(`transfer leg ${id} answered but ended with ${terminal.get(id)}`);
  const stats = sb.stats();
  if (stats.legs || stats.agentCalls || stats.transfers || stats.timers)
    violate(`left running at the end: ${JSON.stringify(stats)}`);
  const relations = engineOf(sb).relations.size;
  if (relations) violate(`${relations} relations between legs, transfers and agent calls left at the end`);
  if (transfersEnded > transfersStarted)
    violate(`more transfers ended (${transfersEnded}) than were started (${transfersStarted})`);
  for (const agent of agents) if (agent.calls().length) violate(`agent ${agent.phoneNumber} still has calls`);
  for (const [room, left] of members)
    if (!completedRooms.has(room) || left.size) violate(`room ${room} did not complete (${left.size} members left)`);
  for (const name of ['room-1', 'room-2']) if (sb.conference(name)) violate(`room ${name} still live at the end`);
  return { seed: options.seed, calls: options.calls, violations, events, rooms: members.size };
}

/** docs/behaviour.md §5 field set and formats of one payload. */
function checkPayload(p: BandwidthCallback, violate: (text: string) => void): void {
  const spec = FIELDS[p.eventType];
  const keys = Object.keys(p);
  for (const key of [...COMMON, ...spec.required])
    if (!keys.includes(key)) violate(`${p.eventType} ${p.callId} lacks ${key}`);
  for (const key of keys) {
    if (!COMMON.includes(key) && !spec.required.includes(key) && !spec.optional.includes(key))
      violate(`${p.eventType} ${p.callId} has unexpected field ${key}`);
    const value = (p as unknown as Record<string, unknown>)[key];
    if (value === undefined || value === null) violate(`${p.eventType} ${p.callId} has ${key} = ${String(value)}`);
    if (key.endsWith('Time') && typeof value === 'string' && !ISO_MS.test(value))
      violate(`${p.eventType} ${p.callId} ${key} not ISO with ms: ${value}`);
  }
  if (p.direction !== 'inbound' && p.direction !== 'outbound')
    violate(`${p.eventType} ${p.callId} direction ${String(p.direction)}`);
  if ('cause' in p) {
    if (!(BANDWIDTH_CAUSES as readonly string[]).includes(p.cause))
      violate(`${p.eventType} ${p.callId} unknown cause ${p.cause}`);
    if (ERROR_CAUSES.has(p.cause) && !('errorMessage' in p && 'errorId' in p))
      violate(`${p.eventType} ${p.callId} cause ${p.cause} without errorMessage/errorId`);
  }
  if (!p.callId.startsWith('c-')) violate(`${p.eventType} callId ${p.callId} not c-…`);
}
