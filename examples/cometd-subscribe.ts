/**
 * Example: subscribe to an agent's notifications over CometD, as an agent desktop does, and print each one.
 *
 *   npm start                                  # in one terminal: the server with the demo config
 *   npm run subscribe -- agent5005 demo-5005   # in another: then place a call to 5005 (see the README)
 *
 * Options: --url http://127.0.0.1:8080 (default), --websocket (default: long-polling).
 */
import { CometD, type Message } from 'cometd';
import { adapt } from 'cometd-nodejs-client';

export interface SubscribeOptions {
  url: string;
  user: string;
  password: string;
  websocket?: boolean;
  onNotification: (message: Message) => void;
}

/** Handshake with the agent's credentials and subscribe to /v2/me/calls; resolves to the connected client. */
export async function subscribe(options: SubscribeOptions): Promise<CometD> {
  adapt();
  const cometd = new CometD();
  if (!options.websocket) cometd.unregisterTransport('websocket');
  cometd.configure({ url: `${options.url}/api/v2/notifications`, logLevel: 'warn' });
  await new Promise<void>((resolve, reject) =>
    cometd.handshake({ ext: { authentication: { user: options.user, password: options.password } } }, (reply: Message) => {
      if (reply.successful) return resolve();
      cometd.disconnect();
      reject(new Error(`handshake refused: ${String(reply.error)}`));
    }),
  );
  await new Promise<void>((resolve, reject) =>
    cometd.subscribe('/v2/me/calls', options.onNotification, (reply: Message) =>
      reply.successful ? resolve() : reject(new Error(`subscription refused: ${String(reply.error)}`)),
    ),
  );
  return cometd;
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const flag = (name: string) => args.includes(`--${name}`);
  const value = (name: string, fallback: string) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : fallback);
  const [user, password] = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--url');
  if (!user || !password) {
    console.error('usage: npm run subscribe -- <username> <password> [--url http://127.0.0.1:8080] [--websocket]');
    process.exit(2);
  }
  const url = value('url', 'http://127.0.0.1:8080');
  subscribe({
    url,
    user,
    password,
    websocket: flag('websocket'),
    onNotification: (message) => {
      const call = (message.data as { call: { id: string; state: string; callType: string; capabilities: string[] } }).call;
      console.log(`${message.channel}  ${call.id}  ${call.state.padEnd(11)} ${call.callType.padEnd(8)} [${call.capabilities.join(', ')}]`);
    },
  }).then(
    () => console.log(`subscribed to /v2/me/calls at ${url} as ${user}; waiting for notifications (Ctrl-C to stop)`),
    (error: unknown) => {
      console.error(String(error));
      process.exit(1);
    },
  );
}
