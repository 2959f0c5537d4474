/**
 * The channel API's errors, as Aculab raises them: `HangupError` when the channel is IDLE (the call has gone),
 * `CallChannelError` for any other precondition that does not hold. Both are thrown before anything changes.
 */
export class CallChannelError extends Error {
  override readonly name = 'CallChannelError';
}

export class HangupError extends Error {
  override readonly name = 'HangupError';
}
