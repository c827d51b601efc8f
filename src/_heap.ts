// A binary min-heap ordered by `less`, used for the loop's timers and the
// priority queue.
export class Heap<T> {
  #items: T[] = [];
  readonly #less: (a: T, b: T) => boolean;

  constructor(less: (a: T, b: T) => boolean) {
    this.#less = less;
  }

  get length(): number {
    return this.#items.length;
  }

  peek(): T | undefined {
    return this.#items[0];
  }

  push(item: T): void {
    const items = this.#items;
    let i = items.length;
    items.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(item, items[parent])) break;
      items[i] = items[parent];
      i = parent;
    }
    items[i] = item;
  }

  pop(): T | undefined {
    const items = this.#items;
    if (items.length <= 1) return items.pop();
    const top = items[0];
    this.#siftDown(items.pop()!, 0);
    return top;
  }

  /** Keeps only the items for which `keep` is true, in O(n). */
  filter(keep: (item: T) => boolean): void {
    const items = this.#items.filter(keep);
    this.#items = items;
    for (let i = (items.length >> 1) - 1; i >= 0; i--) {
      this.#siftDown(items[i], i);
    }
  }

  clear(): void {
    this.#items = [];
  }

  toArray(): T[] {
    return this.#items.slice();
  }

  #siftDown(item: T, i: number): void {
    const items = this.#items;
    const n = items.length;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && this.#less(items[child + 1], items[child])) child++;
      if (!this.#less(items[child], item)) break;
      items[i] = items[child];
      i = child;
    }
    items[i] = item;
  }
}
