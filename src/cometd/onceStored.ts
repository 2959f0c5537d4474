/**
 * Agent notifications that leave the process only once the turn that produced them is stored (with a store,
 * as its webhooks do): an agent who acts on a notification, on this node or on another, finds the call in
 * Redis, so another node routes the operation to its owner instead of answering 404 (docs/durability.md).
 * Notifications keep the order they were emitted in; one whose write failed still goes out (as its webhooks
 * do). Without a store each one goes out at once, as before.
 */
export type Send = (send: () => void) => void;

export function onceStored(written: (() => Promise<void>) | undefined, onError?: (error: Error) => void): Send {
  if (!written) return (send) => send();
  let chain: Promise<void> = Promise.resolve();
  return (send) => {
    // A microtask later the emitting turn (synchronous) has ended and queued its write: written() covers it.
    const stored = Promise.resolve()
      .then(written)
      .catch(() => undefined);
    chain = chain
      .then(() => stored)
      .then(send)
      .catch((error: Error) => onError?.(error));
  };
}
