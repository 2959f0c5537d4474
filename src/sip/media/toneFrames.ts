/**
 * A tone's G.711 frames (160 samples, 20 ms), encoded once and shared by every sender of that tone and codec.
 * A tone of whole-hertz frequencies repeats exactly after its period in samples (the cadence's period and
 * each sine's, 8000 / gcd(f, 8000)); its frames repeat after that period rounded up to whole frames. Frame i
 * is frame i mod period, its samples those of `toneSamples` from the matching sample number of the first
 * period (the same values the tone has there, up to the last bit of a sine's floating-point rounding). A tone
 * whose period is not a whole number of samples, or is longer than `MAX_FRAMES`, is encoded frame by frame.
 */
import { alaw, mulaw } from 'alawmulaw';
import { SAMPLE_RATE, toneSamples, type ToneSpec } from './tones';

export const SAMPLES_PER_FRAME = 160;
/** The most frames cached per tone and codec (60 s of audio: 480 KB). */
const MAX_FRAMES = 3000;

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
const lcm = (a: number, b: number): number => (a / gcd(a, b)) * b;

/** The tone's period in frames, or undefined when it has none short enough to cache. */
export function periodFrames(spec: ToneSpec): number | undefined {
  const cadenceMs = spec.cadence.length < 2 ? 0 : spec.cadence.reduce((a, b) => a + b, 0);
  let samples = (cadenceMs * SAMPLE_RATE) / 1000 || 1;
  if (!Number.isInteger(samples)) return undefined;
  for (const f of spec.frequencies) {
    if (!Number.isInteger(f) || f <= 0) return undefined;
    samples = lcm(samples, SAMPLE_RATE / gcd(f, SAMPLE_RATE));
  }
  const frames = lcm(samples, SAMPLES_PER_FRAME) / SAMPLES_PER_FRAME;
  return frames <= MAX_FRAMES ? frames : undefined;
}

function encode(spec: ToneSpec, pcma: boolean, frame: number): Uint8Array {
  const samples = toneSamples(spec, frame * SAMPLES_PER_FRAME, SAMPLES_PER_FRAME);
  return pcma ? alaw.encode(samples) : mulaw.encode(samples);
}

const cache = new WeakMap<ToneSpec, { period: number | undefined; frames: [Uint8Array[], Uint8Array[]] }>();

/** The G.711 payload (PCMA when `pcma`, else PCMU) of frame `index` of the tone; do not modify it. */
export function toneFrame(spec: ToneSpec, pcma: boolean, index: number): Uint8Array {
  let entry = cache.get(spec);
  if (!entry) {
    entry = { period: periodFrames(spec), frames: [[], []] };
    cache.set(spec, entry);
  }
  if (entry.period === undefined) return encode(spec, pcma, index);
  const frame = index % entry.period;
  const frames = entry.frames[pcma ? 1 : 0];
  return (frames[frame] ??= encode(spec, pcma, frame));
}
