// A growable ring buffer: O(1) push and shift at both ends, used for the
// loop's ready queue and every waiter queue.
export class Deque<T> {
  #items: (T | undefined)[] = new Array(16);
  #head = 0;
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(item: T): void {
    if (this.#length === this.#items.length) this.#grow();
    this.#items[(this.#head + this.#length) & (this.#items.length - 1)] = item;
    this.#length++;
  }

  unshift(item: T): void {
    if (this.#length === this.#items.length) this.#grow();
    this.#head = (this.#head - 1) & (this.#items.length - 1);
    this.#items[this.#head] = item;
    this.#length++;
  }

  shift(): T | undefined {
    if (this.#length === 0) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head] = undefined;
    this.#head = (this.#head + 1) & (this.#items.length - 1);
    this.#length--;
    return item;
  }

  pop(): T | undefined {
    if (this.#length === 0) return undefined;
    const i = (this.#head + this.#length - 1) & (this.#items.length - 1);
    const item = this.#items[i];
    this.#items[i] = undefined;
    this.#length--;
    return item;
  }

  peek(): T | undefined {
    return this.#length === 0 ? undefined : this.#items[this.#head];
  }

  /** The item at index `i` from the front (undefined past the end). */
  at(i: number): T | undefined {
    if (i < 0 || i >= this.#length) return undefined;
    return this.#items[(this.#head + i) & (this.#items.length - 1)];
  }

  /** Removes the first occurrence of `item`; returns whether it was found. */
  remove(item: T): boolean {
    const items = this.#items;
    const mask = items.length - 1;
    const n = this.#length;
    for (let i = 0; i < n; i++) {
      if (items[(this.#head + i) & mask] !== item) continue;
      if (i < n >> 1) {
        // Closer to the front: move the items before it one step back.
        for (let j = i; j > 0; j--) {
          items[(this.#head + j) & mask] = items[(this.#head + j - 1) & mask];
        }
        items[this.#head] = undefined;
        this.#head = (this.#head + 1) & mask;
      } else {
        for (let j = i; j < n - 1; j++) {
          items[(this.#head + j) & mask] = items[(this.#head + j + 1) & mask];
        }
        items[(this.#head + n - 1) & mask] = undefined;
      }
      this.#length--;
      return true;
    }
    return false;
  }

  clear(): void {
    this.#items = new Array(16);
    this.#head = 0;
    this.#length = 0;
  }

  *[Symbol.iterator](): Iterator<T> {
    const mask = this.#items.length - 1;
    for (let i = 0; i < this.#length; i++) {
      yield this.#items[(this.#head + i) & mask] as T;
    }
  }

  #grow(): void {
    const old = this.#items;
    const items = new Array<T | undefined>(old.length * 2);
    for (let i = 0; i < this.#length; i++) {
      items[i] = old[(this.#head + i) & (old.length - 1)];
    }
    this.#items = items;
    this.#head = 0;
  }
}
