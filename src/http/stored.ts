// A successful agent operation's reply once its turn is stored in Redis (with a store; docs/durability.md).
import type { Network, OperationResponse, Switchboard } from '../index';

/**
 * A successful operation's reply once its turn is stored (with a store; docs/durability.md): a write that failed
 * is a 500, since the operation took effect but would not survive a crash of this node.
 */
export async function stored<T extends { statusCode: number }>(
  sb: Switchboard<Network>,
  body: T,
): Promise<T | OperationResponse> {
  if (!sb.durable || body.statusCode !== 0) return body;
  try {
    await sb.written();
    return body;
  } catch (error) {
    return {
      statusCode: 4,
      statusMessage: `Internal error: the operation took effect but its state could not be stored: ${(error as Error).message}`,
    };
  }
}
