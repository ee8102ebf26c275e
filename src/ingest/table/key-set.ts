/**
 * The journal keys a file has finished, kept exactly but compactly: every key's UTF-8 bytes in one
 * growing byte arena, found through an open-addressing table of arena offsets. A million keys of
 * twenty characters take about 30 MB, where a Set of strings takes several times that — the reader
 * must remember every key to refuse a journal whose rows are split, and nothing else grows with the
 * file.
 */
const EMPTY = 0xffffffff;

export class KeySet {
  private arena = new Uint8Array(1 << 16);
  private used = 0;
  /** Arena offsets of the keys' records (4-byte length, then the bytes); EMPTY where free. */
  private slots = new Uint32Array(1 << 12).fill(EMPTY);
  private count = 0;
  private readonly encoder = new TextEncoder();
  private scratch = new Uint8Array(256);

  get size(): number {
    return this.count;
  }

  /** The key's bytes in `scratch`, and their length. */
  private encode(key: string): number {
    // UTF-8 takes at most three bytes per UTF-16 unit.
    if (this.scratch.length < key.length * 3) this.scratch = new Uint8Array(key.length * 3);
    return this.encoder.encodeInto(key, this.scratch).written;
  }

  private static hash(bytes: Uint8Array, length: number): number {
    // FNV-1a, 32 bits.
    let hash = 0x811c9dc5;
    for (let i = 0; i < length; i++) {
      hash ^= bytes[i] as number;
      hash = Math.imul(hash, 0x01000193);
    }
    return hash >>> 0;
  }

  private equals(offset: number, length: number): boolean {
    const arena = this.arena;
    const stored =
      ((arena[offset] as number) |
        ((arena[offset + 1] as number) << 8) |
        ((arena[offset + 2] as number) << 16) |
        ((arena[offset + 3] as number) << 24)) >>>
      0;
    if (stored !== length) return false;
    const scratch = this.scratch;
    for (let i = 0; i < length; i++) if (arena[offset + 4 + i] !== scratch[i]) return false;
    return true;
  }

  /** The slot holding the encoded key, or the free slot where it belongs. */
  private find(length: number): number {
    const mask = this.slots.length - 1;
    let slot = KeySet.hash(this.scratch, length) & mask;
    for (;;) {
      const offset = this.slots[slot] as number;
      if (offset === EMPTY || this.equals(offset, length)) return slot;
      slot = (slot + 1) & mask;
    }
  }

  has(key: string): boolean {
    const length = this.encode(key);
    return this.slots[this.find(length)] !== EMPTY;
  }

  add(key: string): void {
    const length = this.encode(key);
    const slot = this.find(length);
    if (this.slots[slot] !== EMPTY) return;
    const need = this.used + 4 + length;
    if (need > this.arena.length) {
      let size = this.arena.length * 2;
      while (size < need) size *= 2;
      const grown = new Uint8Array(size);
      grown.set(this.arena.subarray(0, this.used));
      this.arena = grown;
    }
    const offset = this.used;
    this.arena[offset] = length & 0xff;
    this.arena[offset + 1] = (length >>> 8) & 0xff;
    this.arena[offset + 2] = (length >>> 16) & 0xff;
    this.arena[offset + 3] = (length >>> 24) & 0xff;
    this.arena.set(this.scratch.subarray(0, length), offset + 4);
    this.used = need;
    this.slots[slot] = offset;
    this.count++;
    // Kept at most half full, so probes stay short.
    if (this.count * 2 > this.slots.length) this.grow();
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Uint32Array(old.length * 2).fill(EMPTY);
    const mask = this.slots.length - 1;
    for (const offset of old) {
      if (offset === EMPTY) continue;
      const length =
        ((this.arena[offset] as number) |
          ((this.arena[offset + 1] as number) << 8) |
          ((this.arena[offset + 2] as number) << 16) |
          ((this.arena[offset + 3] as number) << 24)) >>>
        0;
      let slot = KeySet.hash(this.arena.subarray(offset + 4, offset + 4 + length), length) & mask;
      while (this.slots[slot] !== EMPTY) slot = (slot + 1) & mask;
      this.slots[slot] = offset;
    }
  }
}
