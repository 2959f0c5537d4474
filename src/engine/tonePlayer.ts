/**
 * A channel's tone player (Aculab `createTonePlayer`). A transfer needs one on its parent channel: the
 * ringback tone plays through it while the target rings, and `playing` says which tone is playing now.
 */
export const DEFAULT_RINGBACK_TONE = 'RINGBACK';

export class TonePlayer {
  /** The tone playing now, or null. */
  playing: string | null = null;
}
