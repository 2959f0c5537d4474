// Which frequencies a stretch of 8 kHz audio carries (for tests that check what a real phone heard): the
// Goertzel algorithm gives the power at one frequency; `toneShare` is that power as a share of the signal's.

/** The power of `samples` at `hz` (Goertzel), normalised so a full-scale sine at `hz` gives about 0.25. */
export function goertzelPower(samples: ArrayLike<number>, hz: number, sampleRate = 8000): number {
  const coefficient = 2 * Math.cos((2 * Math.PI * hz) / sampleRate);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < samples.length; i++) {
    const s0 = samples[i] / 32768 + coefficient * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const n = samples.length || 1;
  return (s1 * s1 + s2 * s2 - coefficient * s1 * s2) / (n * n);
}

/** The share (0..1) of the signal's power that lies at `hz`; 0 for silence. */
export function toneShare(samples: ArrayLike<number>, hz: number, sampleRate = 8000): number {
  let energy = 0;
  for (let i = 0; i < samples.length; i++) energy += (samples[i] / 32768) ** 2;
  if (energy === 0) return 0;
  // A sine of amplitude A has power A²/2 per sample; Goertzel's normalised power for it is A²/4.
  return Math.min(1, (2 * goertzelPower(samples, hz, sampleRate) * samples.length) / energy);
}
