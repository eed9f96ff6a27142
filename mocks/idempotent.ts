/**
 * Real external systems answer a repeated message (same id) with the first answer and do
 * not act twice; the stand-ins do the same, and count repeats so tests can see retries.
 */
export class IdempotencyLog<T> {
  private readonly answers = new Map<string, T>();
  repeats = 0;

  once(id: string, act: () => T): T {
    const known = this.answers.get(id);
    if (known !== undefined) {
      this.repeats++;
      return known;
    }
    const answer = act();
    this.answers.set(id, answer);
    return answer;
  }

  get size(): number {
    return this.answers.size;
  }
}
