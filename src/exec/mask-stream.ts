// The streaming filter of --mask: the bytes a program writes, with every secret value replaced by
// `***`. A value may arrive split over several writes, so the bytes that could still be the start of
// a value are held back until the next chunk (or the end) tells; everything else passes at once,
// byte for byte, so binary output is unharmed apart from the replaced bytes. Values shorter than
// MIN_MASKED_LENGTH characters are not masked: they would mangle ordinary output and hide little.

export const MIN_MASKED_LENGTH = 4;
const REPLACEMENT = Buffer.from('***');

export class MaskFilter {
  /** The values as UTF-8 bytes, longest first, so a value that contains another is replaced whole. */
  readonly #values: readonly Buffer[];
  /** The first byte of each value: a position whose byte is none of these passes at once. */
  readonly #firstBytes: ReadonlySet<number>;
  #pending: Buffer = Buffer.alloc(0);

  constructor(values: readonly string[]) {
    const unique = [...new Set(values.filter((value) => value.length >= MIN_MASKED_LENGTH))];
    this.#values = unique.map((value) => Buffer.from(value, 'utf8')).sort((a, b) => b.length - a.length);
    this.#firstBytes = new Set(this.#values.map((value) => value[0] ?? -1));
  }

  /** The bytes that can be written now; the rest waits for the next chunk. */
  push(chunk: Uint8Array): Buffer {
    const data = this.#pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.#pending, chunk]);
    const { out, rest } = this.#scan(data, false);
    this.#pending = rest;
    return out;
  }

  /** At the end of the stream: what was held back, masked as far as it matches whole values. */
  end(): Buffer {
    const { out } = this.#scan(this.#pending, true);
    this.#pending = Buffer.alloc(0);
    return out;
  }

  #scan(data: Buffer, final: boolean): { out: Buffer; rest: Buffer } {
    if (this.#values.length === 0) return { out: data, rest: Buffer.alloc(0) };
    const parts: Buffer[] = [];
    let copied = 0;
    let i = 0;
    scan: while (i < data.length) {
      if (!this.#firstBytes.has(data[i] ?? -1)) {
        i++;
        continue;
      }
      for (const value of this.#values) {
        const available = data.length - i;
        if (available >= value.length) {
          if (data.compare(value, 0, value.length, i, i + value.length) === 0) {
            parts.push(data.subarray(copied, i), REPLACEMENT);
            i += value.length;
            copied = i;
            continue scan;
          }
        } else if (!final && data.compare(value, 0, available, i, data.length) === 0) {
          // The rest of the data is the start of this value: wait for more before deciding.
          parts.push(data.subarray(copied, i));
          return { out: Buffer.concat(parts), rest: Buffer.from(data.subarray(i)) };
        }
      }
      i++;
    }
    parts.push(data.subarray(copied));
    return { out: Buffer.concat(parts), rest: Buffer.alloc(0) };
  }
}
