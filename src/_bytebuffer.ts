// A growable byte queue: append at the end, take from the front, search.
// The read buffer of every StreamReader and the write buffer of every
// Transport.
//
// Bytes once stored are never moved or overwritten in place, so take() and
// peek() hand out views, not copies: a read returns part of what the socket
// read into, and a write in flight reads the buffer while more is appended.
// When the array is full a new one takes the unread bytes; the old one is
// freed once no view of it is left. Only rewind() reuses an array, for an
// owner that knows no view of it is alive.

export class ByteBuffer {
  #minSize: number;
  readonly #maxSize: number;
  #bytes = new Uint8Array(0);
  #start = 0;
  #end = 0;
  // The free space handed to a read in flight (tail()), until commit().
  #reserved: Uint8Array | null = null;

  /**
   * Arrays start at `minSize` bytes; each read that fills the space it was
   * given doubles that, up to `maxSize` (a fast sender: fewer, larger
   * arrays).
   */
  constructor(minSize = 64 * 1024, maxSize = minSize) {
    this.#minSize = minSize;
    this.#maxSize = maxSize;
  }

  get length(): number {
    return this.#end - this.#start;
  }

  append(chunk: Uint8Array): void {
    const n = chunk.length;
    if (this.#reserved !== null || this.#end + n > this.#bytes.length) {
      this.#moveTo(n);
    }
    this.#bytes.set(chunk, this.#end);
    this.#end += n;
  }

  /**
   * Free space at the end to read into, at least `min` and at most `max`
   * bytes; `commit(n)` then adds the first `n` bytes of it.
   */
  tail(min: number, max: number): Uint8Array {
    if (this.#bytes.length - this.#end < min) this.#moveTo(min);
    const end = Math.min(this.#bytes.length, this.#end + max);
    return this.#reserved = this.#bytes.subarray(this.#end, end);
  }

  /** Adds the `n` bytes read into the last `tail()`. */
  commit(n: number): void {
    const space = this.#reserved!;
    this.#reserved = null;
    const inPlace = space.buffer === this.#bytes.buffer &&
      space.byteOffset === this.#bytes.byteOffset + this.#end;
    // An append() came in meanwhile and moved on to a new array.
    if (!inPlace) this.append(space.subarray(0, n));
    else this.#end += n;
    if (n === space.length && this.#minSize < this.#maxSize) {
      this.#minSize *= 2;
    }
  }

  /**
   * Once empty, starts again at the front of the array. Only for an owner
   * that holds no view of it any more (a write that finished).
   */
  rewind(): void {
    if (this.#start === this.#end && this.#reserved === null) {
      this.#start = this.#end = 0;
    }
  }

  /** All the bytes held (a view). */
  peek(): Uint8Array {
    return this.#bytes.subarray(this.#start, this.#end);
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

  /** Removes and returns the first `n` bytes (a view). */
  take(n: number): Uint8Array {
    const count = Math.min(n, this.length);
    const out = this.#bytes.subarray(this.#start, this.#start + count);
    this.#start += count;
    return out;
  }

  /** Removes the first `n` bytes. */
  drop(n: number): void {
    this.#start += Math.min(n, this.length);
  }

  clear(): void {
    this.#start = this.#end;
  }

  // A new array with room for `n` more bytes after the unread ones.
  #moveTo(n: number): void {
    const length = this.length;
    let size = this.#minSize;
    while (size < length + n) size *= 2;
    const bytes = new Uint8Array(size);
    bytes.set(this.#bytes.subarray(this.#start, this.#end), 0);
    this.#bytes = bytes;
    this.#start = 0;
    this.#end = length;
  }
}
