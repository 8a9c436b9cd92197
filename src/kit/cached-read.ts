/**
 * A value read once and kept until dropped. Callers at the same time share one read; a failed read is not kept, so the
 * next caller reads again.
 */
export class CachedRead<T> {
  private value: Promise<T> | undefined;

  constructor(private readonly read: () => Promise<T>) {}

  /** The kept value, or a read of it when there is none. */
  get(): Promise<T> {
    if (!this.value) {
      const loading = this.read();
      this.value = loading;
      loading.catch(() => {
        if (this.value === loading) this.value = undefined;
      });
    }
    return this.value;
  }

  /** Keeps `value` (known without a read, such as the outcome of a change just made). */
  set(value: T): void {
    this.value = Promise.resolve(value);
  }

  /** Forgets the kept value: the next {@link get} reads again. */
  drop(): void {
    this.value = undefined;
  }
}
