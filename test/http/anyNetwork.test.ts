/** The server on a network other than the simulated one: the agent API works, the simulator routes do not exist. */
import { createSwitchboard, SimulatedClock } from '../../src';
import { loadConfig } from '../../src/http/config';
import { createServer } from '../../src/http/server';
import { ManualNetwork } from '../support/manualNetwork';
import { USERS } from './support';

test('a switchboard on another network: /me/calls shows its call, /simulator/* is 404 even with the simulator on', async () => {
  const network = new ManualNetwork();
  const sb = createSwitchboard({ clock: new SimulatedClock(), network, publicUrl: 'http://127.0.0.1:8080' });
  network.useChannels((callId) => sb.channel(callId));
  const config = loadConfig({ env: { SWITCHBOARD_USERS: USERS }, port: 0 });
  expect(config.simulator).toBe(true);
  const server = createServer({ switchboard: sb, config, logger: false });
  await server.app.listen({ host: '127.0.0.1', port: 0 });
  try {
    const address = server.app.server.address();
    const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const headers = {
      authorization: `Basic ${Buffer.from('agent5005:pw-5005').toString('base64')}`,
      'content-type': 'application/json',
    };
    network.offer('5000', '5005');
    const calls = await fetch(`${base}/api/v2/me/calls`, { headers });
    expect(calls.status).toBe(200);
    expect(((await calls.json()) as { calls: Array<{ state: string }> }).calls.map((c) => c.state)).toEqual([
      'Ringing',
    ]);
    const sim = await fetch(`${base}/api/v2/simulator/calls`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ from: '1', to: '2' }),
    });
    expect(sim.status).toBe(404);
  } finally {
    await server.app.close();
    sb.close();
  }
});
