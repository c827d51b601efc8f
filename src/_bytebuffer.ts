// A growable byte queue: append at the end, take from the front, search.
// The buffer of every StreamReader.
export class ByteBuffer {
  #bytes = new Uint8Array(1024);
  #start = 0;
  #end = 0;

  get length(): number {
    return this.#end - this.#start;
  }

  append(chunk: Uint8Array): void {
    const n = chunk.length;
    if (this.#end + n > this.#bytes.length) this.#makeRoom(n);
    this.#bytes.set(chunk, this.#end);
    this.#end += n;
  }

  /** Index (from the front) of `separator` at or after `from`, or -1. */
  indexOf(separator: Uint8Array, from = 0): number {
    const bytes = this.#bytes;
    const first = separator[0];
    const last = this.#end - separator.length;
    for (let i = this.#start + from; i <= last; i++) {
      i = bytes.indexOf(first, i);
      if (i === -1 || i > last) return -1;
      let j = 1;
      while (j < separator.length && bytes[i + j] === separator[j]) j++;
      if (j === separator.length) return i - this.#start;
    }
    return -1;
  }

  /** True if `separator` stands at index `at` (from the front). */
  startsWith(separator: Uint8Array, at: number): boolean {
    if (at + separator.length > this.length) return false;
    for (let j = 0; j < separator.length; j++) {
      if (this.#bytes[this.#start + at + j] !== separator[j]) return false;
    }
    return true;
  }

  /** Removes and returns the first `n` bytes (a copy). */
  take(n: number): Uint8Array {
    const count = Math.min(n, this.length);
    const out = this.#bytes.slice(this.#start, this.#start + count);
    this.drop(count);
    return out;
  }

  /** Removes the first `n` bytes. */
  drop(n: number): void {
    this.#start += Math.min(n, this.length);
    if (this.#start === this.#end) this.#start = this.#end = 0;
  }

  clear(): void {
    this.#start = this.#end = 0;
  }

  #makeRoom(n: number): void {
    const length = this.length;
    if (length + n > this.#bytes.length / 2) {
      let size = this.#bytes.length * 2;
      while (size < length + n) size *= 2;
      const bytes = new Uint8Array(size);
      bytes.set(this.#bytes.subarray(this.#start, this.#end), 0);
      this.#bytes = bytes;
    } else {
      this.#bytes.copyWithin(0, this.#start, this.#end);
    }
    this.#start = 0;
    this.#end = length;
  }
}
