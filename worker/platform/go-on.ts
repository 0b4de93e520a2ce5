/**
 * Work that goes on when one step fails: each step's error is kept (not thrown at once) so the steps
 * after it still run, then the first is thrown (the ad platforms' diagnostics, then their uploads).
 */
export class GoOn {
  private readonly failures: unknown[] = [];

  /** Runs `step`, keeping what it throws. */
  async step(step: () => Promise<void>): Promise<void> {
    try {
      await step();
    } catch (err) {
      this.failures.push(err);
    }
  }

  /** The first error a step threw (undefined: none did). */
  get failure(): unknown {
    return this.failures[0];
  }

  /** Whether a step threw. */
  get failed(): boolean {
    return this.failures.length > 0;
  }

  /** Throws the first error a step threw, if one did. */
  rethrow(): void {
    if (this.failures.length) throw this.failures[0];
  }
}
