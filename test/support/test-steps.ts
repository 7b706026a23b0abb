/**
 * Named steps for long end-to-end journeys: a failure says which step it happened in and how long
 * the steps before it took, and a passing run logs the timings.
 */
export class StepLog {
  private readonly done: string[] = [];
  private readonly startedAt = performance.now();

  constructor(private readonly title: string) {}

  async run<T>(name: string, action: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      const result = await action();
      this.done.push(`${name} (${Math.round(performance.now() - started)} ms)`);
      return result;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const wrapped = new Error(`${this.title}, step "${name}" failed: ${message}\nSteps that passed: ${this.done.join(' → ') || '(none)'}`);
      if (error instanceof Error && error.stack !== undefined) wrapped.stack = `${wrapped.message}\n${error.stack}`;
      throw wrapped;
    }
  }

  summary(): string {
    return `${this.title}: ${this.done.join(' → ')}; total ${Math.round(performance.now() - this.startedAt)} ms`;
  }
}
