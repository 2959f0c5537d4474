/** Summary statistics shared by the bench scripts. */

/** The middle value (the upper one of the two middles for an even count). */
export const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
