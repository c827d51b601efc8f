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

  /** Removes the first occurrence of `item`; returns whether it was found. */
  remove(item: T): boolean {
    const mask = this.#items.length - 1;
    for (let i = 0; i < this.#length; i++) {
      if (this.#items[(this.#head + i) & mask] === item) {
        for (let j = i; j < this.#length - 1; j++) {
          this.#items[(this.#head + j) & mask] =
            this.#items[(this.#head + j + 1) & mask];
        }
        this.#items[(this.#head + this.#length - 1) & mask] = undefined;
        this.#length--;
        return true;
      }
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
