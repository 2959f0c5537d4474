// baresip (Debian baresip-core 1.0.0, a real softphone) for the SIP tests: finds it (installs the package once
// when missing and root, under the apt lock), runs one instance per account on a free port of 127.0.0.2 with its
// own temporary config directory and no sound card (ausine as microphone, no player; the sndfile filter dumps
// what it decodes, so the test can see the audio it hears), drives it over its ctrl_tcp module (netstring JSON
// commands, events) and, once stopped, reads its own RTP packet counts from its output.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/sip/sipJsStack';
import { withAptLock } from './aptLock';

export const BARESIP_PACKAGE = 'baresip-core';
const MODULE_DIR = '/usr/lib/baresip/modules';
const MODULES = ['g711', 'ausine', 'sndfile', 'account', 'menu', 'ctrl_tcp'];
/** RTP ports of every baresip instance: clear of the SIP network's default media range (20000-20999). */
const RTP_PORTS = '40000-49999';
/** One 20 ms G.711 frame as the sndfile filter dumps it: 160 samples of 16 bits. */
const FRAME_BYTES = 320;
const WAV_HEADER_BYTES = 44;

let baresipPath: string | undefined;

function which(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v baresip'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

const missingModules = () => MODULES.filter((m) => !existsSync(join(MODULE_DIR, `${m}.so`)));

/** The baresip executable with the modules the tests load, installed first when missing and root. */
export function findBaresip(): string {
  if (baresipPath) return baresipPath;
  let found = which();
  if ((!found || missingModules().length > 0) && process.getuid?.() === 0) {
    found = withAptLock(() => {
      const again = which(); // another worker may have installed it meanwhile
      if (again && missingModules().length === 0) return again;
      const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
      execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env });
      execFileSync('apt-get', ['install', '-y', '-qq', BARESIP_PACKAGE], { stdio: 'ignore', env });
      return which();
    });
  }
  if (!found) throw new Error(`baresip not found: install the Debian package ${BARESIP_PACKAGE}`);
  const missing = missingModules();
  if (missing.length > 0) {
    throw new Error(`baresip lacks the modules ${missing.join(', ')} in ${MODULE_DIR} (package ${BARESIP_PACKAGE})`);
  }
  baresipPath = found;
  return found;
}

/** An event of baresip's ctrl_tcp module (`CALL_INCOMING`, `CALL_ESTABLISHED`, `CALL_CLOSED`, …). */
export interface BaresipEvent {
  type: string;
  direction?: 'incoming' | 'outgoing';
  peeruri?: string;
  /** Baresip's call id (the SIP Call-ID). */
  id?: string;
  /** `CALL_CLOSED`: the reason; `CALL_REMOTE_SDP`/`CALL_LOCAL_SDP`: `offer` or `answer`. */
  param?: string;
}

/** Baresip's own RTP counts for one ended call (its "packets: Transmit Receive" summary line). */
export interface BaresipCallStats {
  txPackets: number;
  rxPackets: number;
}

export interface BaresipOptions {
  /** The account's user part: the instance is `sip:{user}@127.0.0.2:{port}`. */
  user: string;
  /** Frequency (Hz) of the sine wave baresip sends as its microphone. Default 600. */
  toneHz?: number;
}

interface Pending {
  resolve: (data: string) => void;
  reject: (error: Error) => void;
}

interface EventWaiter {
  type: string;
  nth: number;
  resolve: (event: BaresipEvent) => void;
}

const running = new Set<Baresip>();
process.once('exit', () => {
  for (const b of running) b.kill();
});

/** One running baresip instance with one account, driven over ctrl_tcp. */
export class Baresip {
  /** Everything ctrl_tcp reported, in order. */
  readonly events: BaresipEvent[] = [];
  private output = '';
  private readonly pending = new Map<string, Pending>();
  private readonly waiters = new Set<EventWaiter>();
  private nextToken = 0;
  private socket!: Socket;
  private readonly exited: Promise<void>;

  private constructor(
    readonly user: string,
    /** The SIP port on 127.0.0.2 (UDP and TCP). */
    readonly port: number,
    private readonly dir: string,
    private readonly child: ChildProcess,
  ) {
    child.stdout!.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (this.output += d.toString()));
    this.exited = new Promise((resolve) => child.once('close', () => resolve()));
    running.add(this);
  }

  /** The instance's SIP URI. */
  get uri(): string {
    return `sip:${this.user}@127.0.0.2:${this.port}`;
  }

  /** Starts baresip and connects to its ctrl_tcp port; rejects (with baresip's output) if it does not come up. */
  static async start(options: BaresipOptions): Promise<Baresip> {
    const executable = findBaresip();
    const dir = mkdtempSync(join(tmpdir(), `baresip-${options.user}-`));
    const port = await freePort('127.0.0.2');
    const ctrlPort = await freePort('127.0.0.1');
    mkdirSync(join(dir, 'audio'));
    writeFileSync(
      join(dir, 'config'),
      [
        'poll_method epoll',
        `sip_listen 127.0.0.2:${port}`,
        'net_interface 127.0.0.2',
        `rtp_ports ${RTP_PORTS}`,
        // Prints each ended call's RTP packet counts (and puts them in an X-RTP-Stat header of its BYE).
        'rtp_stats yes',
        `audio_source ausine,${options.toneHz ?? 600}`,
        // ausine makes 48 kHz stereo only; baresip resamples it to the codec's 8 kHz mono.
        'ausrc_srate 48000',
        'ausrc_channels 2',
        `module_path ${MODULE_DIR}`,
        'module g711.so',
        'module ausine.so',
        'module sndfile.so',
        `snd_path ${join(dir, 'audio')}`,
        'module_app account.so',
        'module_app menu.so',
        'module_app ctrl_tcp.so',
        `ctrl_tcp_listen 127.0.0.1:${ctrlPort}`,
        '',
      ].join('\n'),
    );
    // No registration; calls are answered by the `accept` command.
    writeFileSync(join(dir, 'accounts'), `<sip:${options.user}@127.0.0.2:${port}>;regint=0;answermode=manual\n`);
    // -t: a safety net, so an instance a crashed test left behind quits on its own.
    const child = spawn(executable, ['-f', dir, '-t', '300'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const b = new Baresip(options.user, port, dir, child);
    try {
      b.socket = await b.connectControl(ctrlPort);
    } catch (error) {
      await b.stop();
      throw error;
    }
    return b;
  }

  private async connectControl(ctrlPort: number): Promise<Socket> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (this.child.exitCode !== null) throw new Error(`baresip ${this.user} exited at start:\n${this.output}`);
      const socket = await new Promise<Socket | undefined>((resolve) => {
        const s = connect(ctrlPort, '127.0.0.1');
        s.once('connect', () => resolve(s));
        s.once('error', () => resolve(undefined));
      });
      if (socket) {
        this.listen(socket);
        return socket;
      }
      if (Date.now() > deadline) throw new Error(`baresip ${this.user}: no ctrl_tcp on ${ctrlPort}:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Reads ctrl_tcp's netstrings (`len:json,`): responses settle their command, events are recorded. */
  private listen(socket: Socket): void {
    let buffer = Buffer.alloc(0);
    socket.on('data', (data: Buffer) => {
      buffer = Buffer.concat([buffer, data]);
      for (;;) {
        const colon = buffer.indexOf(':');
        if (colon < 0) return;
        const length = Number(buffer.subarray(0, colon).toString());
        if (buffer.length < colon + 1 + length + 1) return;
        const message = JSON.parse(buffer.subarray(colon + 1, colon + 1 + length).toString()) as Record<
          string,
          unknown
        >;
        buffer = buffer.subarray(colon + 2 + length);
        if (message.response) this.settle(message);
        else if (message.event) this.record(message as unknown as BaresipEvent);
      }
    });
    socket.on('error', () => undefined); // the process ending closes it; pending commands fail on `close`
    socket.on('close', () => {
      for (const p of this.pending.values()) p.reject(new Error(`baresip ${this.user}: ctrl_tcp closed`));
      this.pending.clear();
    });
  }

  private settle(message: Record<string, unknown>): void {
    const p = this.pending.get(String(message.token));
    if (!p) return;
    this.pending.delete(String(message.token));
    if (message.ok) p.resolve(String(message.data ?? ''));
    else p.reject(new Error(`baresip ${this.user}: ${String(message.data)}`));
  }

  private record(event: BaresipEvent): void {
    this.events.push(event);
    for (const w of this.waiters) {
      if (this.events.filter((e) => e.type === w.type).length >= w.nth) {
        this.waiters.delete(w);
        w.resolve(this.nthEvent(w.type, w.nth)!);
      }
    }
  }

  private nthEvent(type: string, nth: number): BaresipEvent | undefined {
    return this.events.filter((e) => e.type === type)[nth - 1];
  }

  /** Runs a command of baresip's menu (`dial`, `accept`, `hangup`, `callstat`, …); resolves with its output. */
  command(name: string, params?: string): Promise<string> {
    const token = String(++this.nextToken);
    const json = JSON.stringify({ command: name, ...(params === undefined ? {} : { params }), token });
    return new Promise((resolve, reject) => {
      this.pending.set(token, { resolve, reject });
      this.socket.write(`${Buffer.byteLength(json)}:${json},`);
    });
  }

  dial(uri: string): Promise<string> {
    return this.command('dial', uri);
  }

  /** Answers the incoming call (200 OK). */
  accept(): Promise<string> {
    return this.command('accept');
  }

  /** Hangs up the current call (BYE, or CANCEL before the answer). */
  hangup(): Promise<string> {
    return this.command('hangup');
  }

  /** Resolves with the `nth` (1-based) event of `type`, at once if it already came; rejects after `timeoutMs`. */
  waitForEvent(type: string, nth = 1, timeoutMs = 10_000): Promise<BaresipEvent> {
    const seen = this.nthEvent(type, nth);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        const got = this.events.map((e) => `${e.type}${e.param ? `(${e.param})` : ''}`).join(', ');
        reject(new Error(`baresip ${this.user}: no ${type} #${nth} within ${timeoutMs} ms; events: ${got}`));
      }, timeoutMs);
      const waiter: EventWaiter = {
        type,
        nth,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
      };
      this.waiters.add(waiter);
    });
  }

  /** The dumps of what baresip decoded from the RTP it received (one file per audio stream start). */
  private decodedFiles(): string[] {
    const dir = join(this.dir, 'audio');
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((f) => f.endsWith('-dec.wav'))
      .sort()
      .map((f) => join(dir, f));
  }

  /** How many 20 ms frames baresip has decoded from the RTP it received so far (what it would play). */
  decodedFrames(): number {
    return this.decodedFiles().reduce(
      (n, f) => n + Math.floor(Math.max(0, statSync(f).size - WAV_HEADER_BYTES) / FRAME_BYTES),
      0,
    );
  }

  /** The 8 kHz samples baresip has decoded so far, whole frames only, in the order it decoded them. */
  decodedSamples(): Int16Array {
    const data = Buffer.concat(
      this.decodedFiles().map((f) => {
        const bytes = readFileSync(f).subarray(WAV_HEADER_BYTES);
        return bytes.subarray(0, bytes.length - (bytes.length % FRAME_BYTES));
      }),
    );
    const samples = new Int16Array(data.length / 2);
    for (let i = 0; i < samples.length; i++) samples[i] = data.readInt16LE(2 * i);
    return samples;
  }

  /** Quits baresip (SIGKILL if it has not exited within 5 s), removes its directory; returns its call stats. */
  async stop(): Promise<BaresipCallStats[]> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      if (this.socket && !this.socket.destroyed) this.command('quit').catch(() => undefined);
      else this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
      await this.exited;
      clearTimeout(timer);
    }
    this.socket?.destroy();
    running.delete(this);
    rmSync(this.dir, { recursive: true, force: true });
    return [...this.output.matchAll(/^packets:\s+(\d+)\s+(\d+)/gm)].map((m) => ({
      txPackets: Number(m[1]),
      rxPackets: Number(m[2]),
    }));
  }

  /** Everything baresip printed (for a failing test's message). */
  get log(): string {
    return this.output;
  }

  /** Ends the process at once and removes its directory (the test process is exiting). */
  kill(): void {
    this.child.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
