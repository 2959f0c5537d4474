// Polling for the tests that cannot await an event: `until(check)` resolves once `check` holds.
/** Poll `check` every 10 ms until it holds (an event the test cannot await otherwise), at most `ms`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
