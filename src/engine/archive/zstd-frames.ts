/**
 * Splits a stream of concatenated zstd frames into whole frames, reading only the frame and
 * block headers (RFC 8878 §3.1.1): the `zstd` binary compressing several inputs writes one
 * frame per input to one output, and this finds where each one ends. A frame is handed over
 * as the pieces it arrived in (views, not copies: joining them cost as much as the rest of
 * the output's handling).
 */
export class ZstdFrameSplitter {
  readonly #pieces: Buffer[] = [];
  #length = 0;
  /** Offset (into the pending bytes) of the next header to read; the frame began at 0. */
  #cursor = 0;
  #phase: 'frame' | 'block' | 'checksum' = 'frame';
  #checksum = false;

  /** Adds output; returns the frames it completed, in order, each as one or more pieces. */
  push(piece: Buffer): Buffer[][] {
    this.#pieces.push(piece);
    this.#length += piece.length;
    const frames: Buffer[][] = [];
    for (;;) {
      const end = this.#advance();
      if (end === undefined) return frames;
      frames.push(this.#take(end));
    }
  }

  /** True when no partial frame is held (call at the end of the output). */
  get empty(): boolean {
    return this.#length === 0;
  }

  /** Parses as far as the bytes allow; the frame's length once it is complete. */
  #advance(): number | undefined {
    for (;;) {
      if (this.#phase === 'frame') {
        if (this.#length < 6) return undefined;
        const magic = this.#byte(0) | (this.#byte(1) << 8) | (this.#byte(2) << 16) | (this.#byte(3) << 24);
        if (magic >>> 0 !== 0xfd2fb528) throw new Error(`zstd output does not begin a frame (magic ${(magic >>> 0).toString(16)})`);
        const descriptor = this.#byte(4);
        const single = (descriptor >> 5) & 1;
        const contentSizeFlag = descriptor >> 6;
        this.#checksum = ((descriptor >> 2) & 1) === 1;
        const dictionaryBytes = [0, 1, 2, 4][descriptor & 3] as number;
        const contentSizeBytes = contentSizeFlag === 0 ? single : ([1, 2, 4, 8][contentSizeFlag] as number);
        this.#cursor = 5 + (single ? 0 : 1) + dictionaryBytes + contentSizeBytes;
        this.#phase = 'block';
      }
      if (this.#phase === 'block') {
        if (this.#length < this.#cursor + 3) return undefined;
        const header = this.#byte(this.#cursor) | (this.#byte(this.#cursor + 1) << 8) | (this.#byte(this.#cursor + 2) << 16);
        const type = (header >> 1) & 3;
        const size = header >>> 3;
        const next = this.#cursor + 3 + (type === 1 ? 1 : size); // an RLE block holds one byte
        if (this.#length < next) return undefined;
        this.#cursor = next;
        if ((header & 1) === 0) continue;
        this.#phase = 'checksum';
      }
      const end = this.#cursor + (this.#checksum ? 4 : 0);
      if (this.#length < end) return undefined;
      this.#phase = 'frame';
      return end;
    }
  }

  #byte(offset: number): number {
    for (const piece of this.#pieces) {
      if (offset < piece.length) return piece[offset] as number;
      offset -= piece.length;
    }
    throw new Error('zstd frame splitter read past its input');
  }

  /** Removes the first `end` bytes and returns them as pieces. */
  #take(end: number): Buffer[] {
    const frame: Buffer[] = [];
    let left = end;
    while (left > 0) {
      const first = this.#pieces[0] as Buffer;
      if (first.length <= left) {
        frame.push(first);
        this.#pieces.shift();
        left -= first.length;
      } else {
        frame.push(first.subarray(0, left));
        this.#pieces[0] = first.subarray(left);
        left = 0;
      }
    }
    this.#length -= end;
    this.#cursor = 0;
    return frame;
  }
}
