/** A bounded FIFO: when full, a push drops the oldest item and counts it. */

export class BoundedQueue<T> {
  private items: (T | undefined)[] = [];
  private head = 0;
  /** Items dropped because the queue was full. */
  dropped = 0;

  constructor(private readonly capacity: number) {}

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    if (this.length >= this.capacity) {
      this.items[this.head] = undefined;
      this.head += 1;
      this.dropped += 1;
    }
    this.items.push(item);
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head); // compact now and then: O(1) amortized
      this.head = 0;
    }
  }

  peek(): T | undefined {
    return this.length === 0 ? undefined : this.items[this.head];
  }

  shift(): T | undefined {
    if (this.length === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head += 1;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    }
    return item;
  }

  /** Put items back at the front (a send that could not start), oldest first; respects capacity. */
  unshift(items: T[]): void {
    const room = this.capacity - this.length;
    const kept = items.length > room ? items.slice(items.length - room) : items;
    this.dropped += items.length - kept.length;
    this.items = [...kept, ...this.items.slice(this.head)];
    this.head = 0;
  }
}
