/**
 * Runs tasks one after another per key and concurrently across keys, in this process: a task starts once the
 * previous task of its key has settled (whether it resolved or threw).
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  /** Queues `task` behind the tasks of `key`; resolves or rejects with its result. */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      // The last task of a key forgets it, so the map holds only keys with work queued.
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** How many keys have work queued or running. */
  get size(): number {
    return this.tails.size;
  }
}
