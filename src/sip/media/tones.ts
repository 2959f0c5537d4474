/**
 * Call-progress tones by name, and their samples: a tone is a sum of sine waves switched on and off by a
 * cadence. `RINGBACK` (the engine's default ringback name) is the US ringback, 440 + 480 Hz, 2 s on, 4 s off
 * (ITU-T E.180); a transfer's `ringbackTone` option picks another name from `TONES`.
 */

export interface ToneSpec {
  /** Frequencies in Hz, summed. */
  frequencies: readonly number[];
  /** Milliseconds on, off, on, off… repeated; one entry `[n]` alone means continuous. */
  cadence: readonly number[];
  /** Peak amplitude of each frequency, as a fraction of full scale (default 0.2: about -17 dBm0 each). */
  level?: number;
}

const US_RINGBACK: ToneSpec = { frequencies: [440, 480], cadence: [2000, 4000] };

/** The tones a SIP network can play, by the name the engine passes to `playTone`. */
export const TONES: Readonly<Record<string, ToneSpec>> = {
  RINGBACK: US_RINGBACK,
  RINGBACK_US: US_RINGBACK,
  /** UK: 400 + 450 Hz, 0.4 s on, 0.2 s off, 0.4 s on, 2 s off. */
  RINGBACK_UK: { frequencies: [400, 450], cadence: [400, 200, 400, 2000] },
  /** Most of Europe (CEPT): 425 Hz, 1 s on, 4 s off. */
  RINGBACK_EU: { frequencies: [425], cadence: [1000, 4000] },
  /** Dial tone (US): 350 + 440 Hz, continuous. */
  DIAL: { frequencies: [350, 440], cadence: [1000] },
};

/** The tone named `name`; a clear error naming the known ones otherwise. */
export function toneNamed(name: string): ToneSpec {
  const spec = Object.hasOwn(TONES, name) ? TONES[name] : undefined;
  if (!spec) throw new TypeError(`Unknown tone '${name}': the SIP network plays ${Object.keys(TONES).join(', ')}`);
  return spec;
}

export const SAMPLE_RATE = 8000;

/** Whether the tone sounds at `ms` milliseconds from its start. */
export function toneOn(spec: ToneSpec, ms: number): boolean {
  const cadence = spec.cadence;
  if (cadence.length < 2) return true;
  const period = cadence.reduce((a, b) => a + b, 0);
  let t = ms % period;
  for (let i = 0; i < cadence.length; i++) {
    if (t < cadence[i]) return i % 2 === 0;
    t -= cadence[i];
  }
  return false;
}

/**
 * `count` linear 16-bit samples of the tone from sample number `first` (8 kHz): the same sample number always
 * gives the same value, so frames join without clicks in phase and the cadence is exact in samples.
 */
export function toneSamples(spec: ToneSpec, first: number, count: number): Int16Array {
  const out = new Int16Array(count);
  const amplitude = (spec.level ?? 0.2) * 32767;
  for (let i = 0; i < count; i++) {
    const n = first + i;
    if (!toneOn(spec, (n * 1000) / SAMPLE_RATE)) continue;
    let v = 0;
    for (const f of spec.frequencies) v += Math.sin((2 * Math.PI * f * n) / SAMPLE_RATE);
    out[i] = Math.round(v * amplitude);
  }
  return out;
}
