/**
 * The live inspector over HTTP: the page at /inspect (its assets served from this package, no CDN), a JSON
 * API for the call list, one call's detail and each machine's SVG diagram, and /inspect/events, a
 * server-sent-events stream of every new timeline entry. Read-only; HTTP Basic authentication (with a
 * browser login prompt, since a person opens it); strict content security policy.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MACHINES, findMachine, toSvg } from '../diagram';
import type { InspectorHub } from './hub';

export interface InspectorRoutesOptions {
  hub: InspectorHub;
  /** Whether an `Authorization` header belongs to someone allowed to inspect. */
  authorized(header: string | undefined): boolean;
  /** Seconds between SSE keep-alive comments. Default 15. */
  keepAliveSeconds?: number;
}

const ASSETS: Record<string, string> = {
  'inspector.js': 'text/javascript; charset=utf-8',
  'inspector.css': 'text/css; charset=utf-8',
};

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/** The page's files: next to this module (src/ in development, dist/ once built). */
const assetsDir = join(__dirname, 'assets');
const asset = (name: string) => readFileSync(join(assetsDir, name), 'utf8');

export function inspectorRoutes(app: FastifyInstance, options: InspectorRoutesOptions): void {
  const { hub } = options;
  const svgCache = new Map<string, Promise<string>>();
  const streams = new Set<FastifyReply['raw']>();

  app.register(
    async (inspect) => {
      inspect.addHook('onRequest', async (request: FastifyRequest, res: FastifyReply) => {
        void res.headers(SECURITY_HEADERS);
        if (!options.authorized(request.headers.authorization)) {
          return res
            .code(401)
            .header('www-authenticate', 'Basic realm="switchboard inspector", charset="UTF-8"')
            .send({ statusCode: 20, statusMessage: 'Authentication failed: log in with a configured user' });
        }
      });

      const page = (_request: FastifyRequest, res: FastifyReply) =>
        res.type('text/html; charset=utf-8').send(asset('index.html'));
      inspect.get('/', page);
      inspect.get<{ Params: { file: string } }>('/assets/:file', async (request, res) => {
        const type = ASSETS[request.params.file];
        if (!type) return res.code(404).send({ statusCode: 1, statusMessage: `No such asset: ${request.params.file}` });
        return res.type(type).send(asset(request.params.file));
      });

      inspect.get('/api/calls', async () => ({ mode: hub.mode, recording: hub.recording, calls: hub.calls() }));
      inspect.get<{ Params: { id: string } }>('/api/calls/:id', async (request, res) => {
        const detail = hub.call(request.params.id);
        if (!detail)
          return res.code(404).send({ statusCode: 6, statusMessage: `Call '${request.params.id}' not found` });
        return detail;
      });
      inspect.get('/api/machines', async () => ({
        machines: MACHINES.map((m) => ({ name: m.name, id: m.machine.id, summary: m.summary })),
      }));
      inspect.get<{ Params: { name: string } }>('/api/machines/:name/svg', async (request, res) => {
        const entry = findMachine(request.params.name);
        if (!entry)
          return res.code(404).send({ statusCode: 1, statusMessage: `No such machine: ${request.params.name}` });
        let svg = svgCache.get(entry.name);
        if (!svg) svgCache.set(entry.name, (svg = toSvg(entry.machine)));
        return res.type('image/svg+xml; charset=utf-8').send(await svg);
      });

      inspect.get('/events', (request, res) => {
        res.hijack();
        const raw = res.raw;
        raw.writeHead(200, {
          ...SECURITY_HEADERS,
          'content-type': 'text/event-stream; charset=utf-8',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
        });
        raw.write('retry: 2000\n\n');
        streams.add(raw);
        const disconnect = hub.connect((message) =>
          raw.write(`event: ${message.type}\ndata: ${JSON.stringify(message)}\n\n`),
        );
        const keepAlive = setInterval(() => raw.write(': keep-alive\n\n'), (options.keepAliveSeconds ?? 15) * 1000);
        keepAlive.unref();
        request.raw.once('close', () => {
          clearInterval(keepAlive);
          streams.delete(raw);
          disconnect();
        });
      });
    },
    { prefix: '/inspect' },
  );

  // Open event streams would keep the server from closing: end them before it starts to close (in `onClose`
  // the server already waits for them, so a shutdown would wait for its bound and then cut them).
  app.addHook('preClose', async () => {
    for (const raw of streams) raw.end();
    streams.clear();
  });
  app.addHook('onClose', async () => hub.close());
}
