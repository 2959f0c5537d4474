/**
 * Example: a contact-centre agent (DN 5005) answers a call from 5000, consults a colleague at 5001 with a
 * two-step transfer, and completes it once the colleague answers. It prints the agent's CometD notifications
 * (state, call type, capabilities) and the Bandwidth-format callbacks, in order.
 *
 *   npm run example:agent          # real clock: about eight seconds
 *   npm run example:agent -- --json   # also print each notification's full JSON
 */
import { createSwitchboard, type SwitchboardOptions, type SwitchboardStats, type TransferEndedInfo } from '../src';

export interface AgentExampleOptions {
  clock?: SwitchboardOptions['clock'];
  print?: (line: string) => void;
  json?: boolean;
}

export interface AgentExampleResult {
  /** `C1 Ringing`, `C2 Dialing`… in order. */
  notifications: string[];
  /** Callback event types in order. */
  events: string[];
  transfer: TransferEndedInfo | null;
  stats: SwitchboardStats;
}

export async function runAgentTwoStep(options: AgentExampleOptions = {}): Promise<AgentExampleResult> {
  const print = options.print ?? ((line: string) => console.log(line));
  const sb = createSwitchboard({ clock: options.clock, applicationId: 'agent-example' });
  const start = sb.clock.now();
  const stamp = () => `+${((sb.clock.now() - start) / 1000).toFixed(3)}s`.padStart(9);
  const wait = (seconds: number) =>
    new Promise<void>((resolve) => sb.clock.setTimeout(() => resolve(), seconds * 1000));

  // The colleague at 5001 answers after 2 s and hangs up 3 s after that (the conversation with the caller).
  sb.network.addEndpoint('5001', { outcome: 'answer', ringFor: 2, hangUpAfter: 3 });
  const agent = sb.agent({ phoneNumber: '5005' });

  const names = new Map<string, string>();
  const notifications: string[] = [];
  let ringing: (id: string) => void = () => undefined;
  const firstCall = new Promise<string>((resolve) => (ringing = resolve));
  agent.on('notification', (message) => {
    const call = message.data.call;
    if (!names.has(call.id)) names.set(call.id, `C${names.size + 1}`);
    const line = `${names.get(call.id)} ${call.state}`;
    notifications.push(line);
    print(`${stamp()}  desk      ${line.padEnd(14)} ${call.callType.padEnd(8)} [${call.capabilities.join(', ')}]`);
    if (options.json) print(`           ${JSON.stringify(message)}`);
    if (call.state === 'Ringing') ringing(call.id);
  });
  // Legs: L1 is the caller's, L2 the consult leg the platform dials.
  const legs = new Map<string, string>();
  const events: string[] = [];
  sb.on('callback', (payload) => {
    events.push(payload.eventType);
    if (!legs.has(payload.callId)) legs.set(payload.callId, `L${legs.size + 1}`);
    const cause = 'cause' in payload ? ` cause=${payload.cause}` : '';
    print(`${stamp()}  callback  ${payload.eventType.padEnd(18)} ${legs.get(payload.callId)}${cause}`);
  });
  let transfer: TransferEndedInfo | null = null;
  const done = new Promise<void>((resolve) =>
    sb.on('transferEnded', (info) => {
      transfer = info;
      print(`${stamp()}  transfer  ended: ${info.transferCause}`);
      resolve();
    }),
  );

  const agentSays = (text: string) => print(`${stamp()}  agent     ${text}`);
  print(`${stamp()}  network   5000 calls agent 5005`);
  sb.network.placeCall({ from: '5000', to: '5005' });
  const c1 = await firstCall;
  agentSays(`Answer → ${JSON.stringify(await agent.operation(c1, { operationName: 'Answer' }))}`);
  await wait(1);
  const initiated = await agent.operation(c1, {
    operationName: 'InitiateTransfer',
    destination: { phoneNumber: '5001' },
  });
  agentSays(`InitiateTransfer to 5001 → ${JSON.stringify(initiated)}`);
  await wait(2.5); // the colleague answers after 2 s; the agent explains the call
  const c2 = agent.calls().find((call) => call.callType === 'Consult')?.id ?? '';
  agentSays(`CompleteTransfer → ${JSON.stringify(await agent.operation(c2, { operationName: 'CompleteTransfer' }))}`);
  await done;
  const stats = sb.stats();
  print(
    `${stamp()}  done      legs=${stats.legs} agentCalls=${stats.agentCalls} transfers=${stats.transfers} timers=${stats.timers}`,
  );
  return { notifications, events, transfer, stats };
}

if (require.main === module) {
  runAgentTwoStep({ json: process.argv.includes('--json') }).catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
