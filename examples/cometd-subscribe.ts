/**
 * Example: subscribe to an agent's notifications over CometD, as an agent desktop does, and print each one.
 *
 *   npm start                                  # in one terminal: the server with the demo config
 *   npm run subscribe -- agent5005 demo-5005   # in another: then place a call to 5005 (see the README)
 *
 * Options: --url URL (default http://SWITCHBOARD_HOST:SWITCHBOARD_PORT, else http://127.0.0.1:8080),
 * --websocket (default: long-polling). A server that cannot be reached or refuses the credentials is said
 * plainly, with exit code 1.
 */
import { parseArgs } from 'node:util';
import { CometD, type Message } from 'cometd';
import { adapt } from 'cometd-nodejs-client';

export interface SubscribeOptions {
  url: string;
  user: string;
  password: string;
  websocket?: boolean;
  onNotification: (message: Message) => void;
}

/** What went wrong with a handshake, in words: the server is not there, or it refused the credentials. */
export function handshakeFailure(url: string, reply: Message): string {
  const failure = (reply as Message & { failure?: { reason?: string; httpCode?: number } }).failure;
  if (failure && !failure.httpCode)
    return `cannot reach the server at ${url}: ${failure.reason ?? 'no answer'} (is it running? npm start)`;
  if (failure) return `the server at ${url} answered HTTP ${failure.httpCode} ${failure.reason ?? ''}`.trimEnd();
  const error = String(reply.error);
  if (error.startsWith('401:')) return `handshake refused at ${url}: wrong username or password (${error})`;
  return `handshake refused at ${url}: ${error}`;
}

/** The default server URL: SWITCHBOARD_HOST and SWITCHBOARD_PORT as `switchboard serve` reads them. */
export function defaultUrl(env: NodeJS.ProcessEnv): string {
  const host =
    env.SWITCHBOARD_HOST && !['0.0.0.0', '::'].includes(env.SWITCHBOARD_HOST) ? env.SWITCHBOARD_HOST : '127.0.0.1';
  return `http://${host.includes(':') ? `[${host}]` : host}:${env.SWITCHBOARD_PORT ?? 8080}`;
}

/** Handshake with the agent's credentials and subscribe to /v2/me/calls; resolves to the connected client. */
export async function subscribe(options: SubscribeOptions): Promise<CometD> {
  adapt();
  const cometd = new CometD();
  if (!options.websocket) cometd.unregisterTransport('websocket');
  cometd.configure({ url: `${options.url}/api/v2/notifications`, logLevel: 'warn' });
  await new Promise<void>((resolve, reject) =>
    cometd.handshake(
      { ext: { authentication: { user: options.user, password: options.password } } },
      (reply: Message) => {
        if (reply.successful) return resolve();
        cometd.disconnect();
        reject(new Error(handshakeFailure(options.url, reply)));
      },
    ),
  );
  await new Promise<void>((resolve, reject) =>
    cometd.subscribe('/v2/me/calls', options.onNotification, (reply: Message) =>
      reply.successful ? resolve() : reject(new Error(`subscription refused: ${String(reply.error)}`)),
    ),
  );
  return cometd;
}

const USAGE = 'usage: npm run subscribe -- <username> <password> [--url http://127.0.0.1:8080] [--websocket]';

if (require.main === module) {
  let parsed;
  try {
    parsed = parseArgs({
      options: { url: { type: 'string' }, websocket: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
    });
  } catch (error) {
    console.error(`${(error as Error).message.split('. ')[0]}\n${USAGE}`);
    process.exit(2);
  }
  if (parsed.values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const [user, password, extra] = parsed.positionals;
  if (!user || !password || extra !== undefined) {
    console.error(USAGE);
    process.exit(2);
  }
  const url = parsed.values.url ?? defaultUrl(process.env);
  subscribe({
    url,
    user,
    password,
    websocket: parsed.values.websocket === true,
    onNotification: (message) => {
      const call = (message.data as { call: { id: string; state: string; callType: string; capabilities: string[] } })
        .call;
      console.log(
        `${message.channel}  ${call.id}  ${call.state.padEnd(11)} ${call.callType.padEnd(8)} [${call.capabilities.join(', ')}]`,
      );
    },
  }).then(
    () => console.log(`subscribed to /v2/me/calls at ${url} as ${user}; waiting for notifications (Ctrl-C to stop)`),
    (error: unknown) => {
      console.error((error as Error).message);
      process.exit(1);
    },
  );
}
