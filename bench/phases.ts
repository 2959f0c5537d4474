/**
 * Phases of a benchmark run that fail on their own: a phase that throws is logged and recorded in `failed` (name →
 * message), and the run goes on, so the figures of the phases that passed are still reported (and printed by
 * `--json`). Used by bench/run.ts for its groups and by bench/sip/run.ts for its phases.
 */
export class Phases {
  /** Phase name → why it failed. */
  readonly failed: Record<string, string> = {};

  constructor(private readonly log: (line: string) => void) {}

  /** Runs `fn`; its result, or undefined (logged and recorded) if it throws. */
  async run<T>(name: string, fn: () => Promise<T> | T): Promise<T | undefined> {
    try {
      return await fn();
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      this.failed[name] = message;
      this.log(`  ${name}: FAILED (${message})`);
      return undefined;
    }
  }

  get ok(): boolean {
    return Object.keys(this.failed).length === 0;
  }
}
