import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';

import type { Compression } from './compression.js';

/** Direct I/O writes go to file offsets on page boundaries: ext4 serializes and zero-fills writes that are only sector-aligned. */
export const directPageBytes = 4096;
/** …and from memory and in lengths of whole sectors. */
export const directSectorBytes = 512;

/*
 * Threads that decode and write the independent chunks of a chunked archive when restoring
 * (in slots of shared memory, reused), and compress zstd frames when no `zstd` binary can
 * (blocks move by transfer and back), so one archive uses every core. zstd runs in process:
 * compression with Node's own where it has it (≥ 22.15); otherwise, and for decoding, the
 * reference C library — natively through the optional zstd-napi addon where it installed,
 * else compiled to WebAssembly with -O3 (@foxglove/wasm-zstd), which decodes straight into the
 * wasm heap where Node's streaming decoder hands each piece through the thread pool (measured
 * on Node 22: 1.7–2.0 s against 2.0–2.3 s for a 790 MB restore, and half the kernel time).
 * Inline CommonJS source, as `eval` workers run, so it works the same from the sources and
 * from the bundled CLI; the modules' paths come from the parent.
 */
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const zlib = require('node:zlib');
const fs = require('node:fs');
// zstd in WebAssembly: its heap holds one input and one output area, grown when a chunk needs more.
// With workerData.zstd the module arrives compiled from the parent (once for every thread);
// otherwise a thread that needs it after all compiles its own.
let compiled;
const wasmModule = new Promise((resolve) => (compiled = resolve));
let wasm;
async function zstd() {
  if (!wasm) {
    const module = workerData.zstd ? await wasmModule : await WebAssembly.compile(fs.readFileSync(workerData.zstdWasmFile));
    let instantiateFailed;
    const failed = new Promise((_, reject) => (instantiateFailed = reject));
    const instantiateWasm = (imports, receive) => {
      WebAssembly.instantiate(module, imports).then((instance) => receive(instance, module), instantiateFailed);
      return {};
    };
    const M = await Promise.race([require(workerData.zstdWasm)({ instantiateWasm }), failed]);
    await M.ready;
    wasm = { M, areas: {} };
  }
  return wasm;
}
function area(name, size) {
  const a = wasm.areas[name];
  if (a && a.size >= size) return a.at;
  if (a) wasm.M._free(a.at);
  const at = wasm.M._malloc(size);
  if (!at) throw new Error('out of WebAssembly memory for ' + size + ' bytes');
  wasm.areas[name] = { at, size };
  return at;
}
// The module's C functions return -1 for any zstd error.
function zstdCall(result, what) {
  if (result < 0) throw new Error('zstd could not ' + what);
  return result;
}
// Native zstd (zstd-napi, when it was built or downloaded at install); null: WebAssembly.
let addon;
function zstdAddon() {
  if (addon === undefined) {
    addon = null;
    if (workerData.zstdNative) {
      try {
        const binding = require(workerData.zstdNative);
        addon = { binding, dctx: new binding.DCtx(), cctx: new binding.CCtx() };
      } catch {
        // not loadable here: WebAssembly it is
      }
    }
  }
  return addon;
}
async function compress(m) {
  const input = new Uint8Array(m.data, 0, m.length);
  if (zlib.zstdCompressSync) return zlib.zstdCompressSync(input, { params: { [zlib.constants.ZSTD_c_compressionLevel]: m.level } });
  const native = zstdAddon();
  if (native) {
    // Into one buffer kept for the thread, then copied out at its size: a bound-sized buffer
    // per frame (~4 MiB, freed only when the main thread collects it) took a backup to ~210 MB.
    const bound = native.binding.compressBound(input.length);
    if (!native.out || native.out.length < bound) native.out = Buffer.allocUnsafeSlow(bound);
    return Uint8Array.prototype.slice.call(native.out, 0, native.cctx.compress(native.out, input, m.level));
  }
  const { M } = await zstd();
  const bound = M._compressBound(input.length);
  const dst = area('dst', bound);
  const src = area('src', input.length);
  M.HEAPU8.set(input, src);
  const n = zstdCall(M._compress(dst, bound, src, input.length, m.level), 'compress a block');
  return M.HEAPU8.slice(dst, dst + n);
}
// Restore: chunks are decoded and written in shared memory slots (see ChunkSlots): no buffer
// is allocated or moved per chunk, so neither thread's heap grows with the archive.
let slots = [];
// zlib's output pieces are garbage once copied, but V8 collects them only when the thread's
// external memory passes ~64 MiB: with a minor collection after each chunk (cheap: this
// thread's heap holds almost nothing) a restore's peak memory drops by ~50 MB. --expose-gc
// set at run time reaches contexts made afterwards; without it nothing is collected early.
let minorGc;
try {
  require('node:v8').setFlagsFromString('--expose-gc');
  const gc = require('node:vm').runInNewContext('gc');
  minorGc = () => gc({ type: 'minor' });
} catch {
  minorGc = () => undefined;
}
// gzip is decoded in pieces of 256 KiB copied into the slot: a buffer of the whole chunk per
// call (gunzipSync) would be fresh memory each time, its pages faulted in again and again.
function gunzipInto(input, out) {
  return new Promise((resolve, reject) => {
    const gunzip = zlib.createGunzip({ chunkSize: 256 * 1024 });
    let n = 0;
    gunzip.on('data', (piece) => {
      if (n + piece.length > out.length) return gunzip.destroy(new Error('a chunk decodes to more than ' + out.length + ' bytes'));
      out.set(piece, n);
      n += piece.length;
    });
    gunzip.on('end', () => resolve(n));
    gunzip.on('error', reject);
    gunzip.end(input);
  });
}
async function decode(m) {
  const slot = slots[m.slot];
  const input = new Uint8Array(slot.stored, 0, m.length);
  const out = slot.raw;
  if (m.compression === 'gzip') {
    const n = await gunzipInto(input, out);
    minorGc();
    return n;
  }
  // Natively, straight from the slot into the slot.
  const native = zstdAddon();
  if (native) {
    try {
      return native.dctx.decompress(out, input);
    } catch (error) {
      throw new Error('zstd could not decode the chunk (' + error.message + ')');
    }
  }
  const { M } = await zstd();
  const src = area('src', input.length);
  M.HEAPU8.set(input, src);
  const dst = area('dst', m.raw + 1);
  const n = zstdCall(M._decompress(dst, m.raw + 1, src, input.length), 'decode the chunk (damaged, or larger than the index says)');
  if (n > out.length) throw new Error('a chunk decodes to ' + n + ' bytes, more than its ' + m.raw);
  out.set(M.HEAPU8.subarray(dst, dst + n));
  return n;
}
// O_DIRECT: the disk reads the bytes straight from the slot, with no copy into the page cache
// and nothing left for the final flush. Off for the thread once the file system refuses it.
let direct = fs.constants.O_DIRECT !== undefined;
// What file systems answer when they do not take it, or not with this alignment.
const directRefused = new Set(['EINVAL', 'EOPNOTSUPP', 'ENOTSUP']);
// One page of aligned memory (WebAssembly's is) for a carried prefix and the bytes after it.
let bounce;
function writeAll(fd, data, from, length, at) {
  for (let done = 0; done < length; ) done += fs.writeSync(fd, data, from + done, length - done, at + done);
}
const sectors = (n) => Math.ceil(n / ${directSectorBytes}) * ${directSectorBytes};
// See FileSegment and direct-segment.ts: page-aligned writes, the last one padded to a sector.
function writeDirect(fd, s, data) {
  let at = s.offset;
  let from = s.start;
  let left = s.length;
  let end = at + left;
  if (s.prefix) {
    bounce ??= new Uint8Array(new WebAssembly.Memory({ initial: 1, maximum: 1 }).buffer, 0, ${directPageBytes});
    const carried = s.prefix.length;
    const head = Math.min(${directPageBytes} - carried, left);
    bounce.set(s.prefix, 0);
    bounce.set(data.subarray(from, from + head), carried);
    writeAll(fd, bounce, 0, sectors(carried + head), at - carried);
    end = Math.max(end, at - carried + sectors(carried + head));
    at += head;
    from += head;
    left -= head;
  }
  if (left > 0) {
    writeAll(fd, data, from, sectors(left), at);
    end = Math.max(end, at + sectors(left));
  }
  return end;
}
function writeSegment(s, data) {
  if (s.direct && direct) {
    let fd;
    try {
      fd = fs.openSync(s.path, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_DIRECT, 0o600);
      const end = writeDirect(fd, s, data);
      if (s.size !== undefined && end > s.size) fs.ftruncateSync(fd, s.size);
      return;
    } catch (error) {
      if (!directRefused.has(error.code)) throw error;
      direct = false; // the whole segment again, through the page cache
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
  }
  const fd = fs.openSync(s.path, fs.constants.O_WRONLY | fs.constants.O_CREAT, 0o600);
  try {
    if (s.prefix) writeAll(fd, s.prefix, 0, s.prefix.length, s.offset - s.prefix.length);
    writeAll(fd, data, s.start, s.length, s.offset);
    // A padded direct write may have gone past the end before the file system refused the next one.
    if (s.size !== undefined && s.direct) fs.ftruncateSync(fd, s.size);
  } finally {
    fs.closeSync(fd);
  }
}
function write(m) {
  const data = slots[m.slot].raw;
  for (const s of m.segments) writeSegment(s, data);
}
async function handle(m) {
  try {
    if (m.type === 'slots') {
      slots = m.slots.map((slot) => ({ stored: slot.stored, raw: new Uint8Array(slot.raw.buffer, slot.raw.offset, slot.raw.length) }));
      parentPort.postMessage({ id: m.id });
    } else if (m.type === 'decode') parentPort.postMessage({ id: m.id, length: await decode(m) });
    else if (m.type === 'write') {
      write(m);
      parentPort.postMessage({ id: m.id });
    } else {
      // Backup: the block moves here and back (to be filled again), its compressed form moves out.
      const out = await compress(m);
      minorGc();
      const own = out.byteOffset === 0 ? out : Uint8Array.prototype.slice.call(out);
      parentPort.postMessage({ id: m.id, data: own.buffer, length: own.byteLength, back: m.data }, [own.buffer, m.data]);
    }
  } catch (error) {
    parentPort.postMessage({ id: m.id, error: { message: error.message, code: error.code } });
  }
}
// zstd's WebAssembly is instantiated as soon as its compiled module arrives, while the caller still prepares.
let queue = workerData.zstd ? zstd().then(() => undefined, () => undefined) : Promise.resolve();
parentPort.on('message', (m) => {
  if (m.type === 'wasm') compiled(m.module);
  else queue = queue.then(() => handle(m));
});
`;

// The package's Emscripten module factory (pinned version), not its index, which makes a module
// of its own on load: the C functions are called directly on buffers kept in the wasm heap.
const zstdDist = path.dirname(createRequire(import.meta.url).resolve('@foxglove/wasm-zstd'));
const zstdWasm = path.join(zstdDist, 'wasm-zstd.js');
const zstdWasmFile = path.join(zstdDist, 'wasm-zstd.wasm');

// Compiled once per process, in the background, and handed to every thread: compiled (and
// optimized as it ran hot) by each thread, the same code took the cores twice while a restore
// started (790 MB zstd restore, four pairs: 4.0-4.3 CPU s instead of 4.3-4.7).
let zstdModule: Promise<WebAssembly.Module> | undefined;
const compileZstd = () => (zstdModule ??= readFile(zstdWasmFile).then((bytes) => wasmApi.compile(bytes)));
// zstd-napi (Apache-2.0): the reference C library as a Node addon, an optional dependency
// compiled at install (or downloaded prebuilt where GitHub is reachable). Where it is missing
// or could not be built, WebAssembly decodes. Measured on the 790 MB benchmark archive:
// 0.75-0.77 s of one core against 1.16 s, and no copies into and out of the wasm heap.
const zstdNative = (() => {
  try {
    return createRequire(import.meta.url).resolve('zstd-napi/binding');
  } catch {
    return undefined;
  }
})();

/** Whether the threads run zstd natively here (zstd-napi installed). */
export const zstdAddonAvailable = zstdNative !== undefined;
// @types/node types WebAssembly's objects but does not declare the global itself.
const wasmApi = (
  globalThis as unknown as {
    WebAssembly: {
      compile(bytes: Uint8Array): Promise<WebAssembly.Module>;
      Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => { buffer: ArrayBufferLike };
    };
  }
).WebAssembly;

type Reply = { id: number; data?: ArrayBuffer; length?: number; back?: ArrayBuffer; error?: { message: string; code?: string } };

/** Threads decoding and writing a chunked archive: every core, at least two (decoding and writing overlap), at most four. */
export const restoreThreadCount = () => Math.min(4, Math.max(2, availableParallelism()));

/** One chunk's memory while restoring: its stored (compressed) bytes and its decoded bytes. */
export interface ChunkSlot {
  stored: Uint8Array;
  raw: Uint8Array;
  /** `raw` starts on a page boundary: segments of it can be written with O_DIRECT. */
  aligned: boolean;
}

/** A segment of a decoded chunk that belongs to one file: `length` bytes from `start`, written at `offset`. */
export interface FileSegment {
  path: string;
  offset: number;
  start: number;
  length: number;
  /** Bytes of the file just before `offset` (carried from the previous chunk): written first, at `offset - prefix.length`. */
  prefix?: Uint8Array | undefined;
  /**
   * Written with O_DIRECT where the file system takes it, else through the page cache (see
   * direct-segment.ts): `offset - prefix.length` is on a page boundary, and the slot holds the
   * bytes up to the next multiple of 512 after the segment (the tar padding), written with it.
   */
  direct?: boolean;
  /** The file's size, when this segment ends it: a padded last sector is cut back to it. */
  size?: number;
}

const wasmPageBytes = 64 * 1024;
/** Shared memory (a SharedArrayBuffer) must be allocated whole up front as WebAssembly pages; at most 4 GiB. */
const maxWasmPages = 65536;

/**
 * The decoded-bytes areas of `count` slots. Direct I/O needs memory aligned to the disk's
 * sectors; a SharedArrayBuffer's memory is not (malloc's header puts it 16 bytes past a page),
 * WebAssembly memory is: one shared WebAssembly.Memory, each area starting on a 64 KiB page.
 * Where that cannot be had, plain SharedArrayBuffers (written through the page cache).
 */
function rawAreas(count: number, bytes: number): { aligned: boolean; areas: { buffer: SharedArrayBuffer; offset: number; length: number }[] } {
  const pagesEach = Math.ceil(bytes / wasmPageBytes);
  if (pagesEach * count <= maxWasmPages) {
    try {
      const memory = new wasmApi.Memory({ initial: pagesEach * count, maximum: pagesEach * count, shared: true });
      const buffer = memory.buffer as SharedArrayBuffer;
      return { aligned: true, areas: Array.from({ length: count }, (_, index) => ({ buffer, offset: index * pagesEach * wasmPageBytes, length: bytes })) };
    } catch {
      // address space refused (ulimit -v): unaligned memory below
    }
  }
  return { aligned: false, areas: Array.from({ length: count }, () => ({ buffer: new SharedArrayBuffer(bytes), offset: 0, length: bytes })) };
}

/**
 * A fixed set of threads; each call goes to the thread its `lane` names, where calls run in
 * the order they were made (a chunk's write after its decode).
 */
export class ChunkWorkers {
  readonly #workers: Worker[];
  readonly #waiting = new Map<number, { resolve: (reply: Reply) => void; reject: (error: Error) => void }>();
  #nextId = 0;
  #failure: Error | undefined;

  /**
   * `zstd`: the threads will decode zstd, or compress it without Node's own (its WebAssembly
   * is loaded as they start, unless zstd-napi runs it). `native: false`: WebAssembly even
   * where zstd-napi is installed.
   */
  constructor(count: number, options: { zstd?: boolean; native?: boolean } = {}) {
    const decoder = options.native === false ? undefined : zstdNative;
    // Without the addon the WebAssembly is compiled here once and sent to every thread.
    const preload = options.zstd === true && decoder === undefined;
    this.#workers = Array.from({ length: Math.max(1, count) }, () => {
      const worker = new Worker(workerSource, { eval: true, workerData: { zstdWasm, zstdWasmFile, zstdNative: decoder, zstd: preload } });
      worker.on('message', (reply: Reply) => this.#reply(reply));
      worker.on('error', (error) => this.#fail(error));
      worker.on('exit', () => this.#fail(new Error('a compression thread stopped')));
      return worker;
    });
    if (preload) {
      compileZstd().then(
        (module) => {
          for (const worker of this.#workers) worker.postMessage({ type: 'wasm', module });
        },
        (error: Error) => this.#fail(new Error(`cannot load zstd's WebAssembly (${zstdWasmFile}): ${error.message}`)),
      );
    }
  }

  get size(): number {
    return this.#workers.length;
  }

  /**
   * Compresses a block as one zstd frame. The block's memory moves to the
   * thread and comes back with the result, to be filled again.
   */
  async compress(lane: number, level: number, block: Uint8Array): Promise<{ frame: Uint8Array; block: Uint8Array }> {
    const reply = await this.#call(lane, { type: 'compress', level, data: block.buffer, length: block.byteLength }, [block.buffer as ArrayBuffer]);
    return { frame: new Uint8Array(reply.data as ArrayBuffer, 0, reply.length), block: new Uint8Array(reply.back as ArrayBuffer) };
  }

  /**
   * Shared memory for restoring: `count` slots, each for one chunk's stored bytes and its
   * decoded bytes, seen by every thread. Resolves once every thread has them.
   */
  async slots(count: number, storedBytes: number, rawBytes: number): Promise<ChunkSlot[]> {
    const raw = rawAreas(count, Math.max(1, rawBytes));
    const slots = raw.areas.map((area) => ({ stored: new SharedArrayBuffer(Math.max(1, storedBytes)), raw: area }));
    await Promise.all(this.#workers.map((_, lane) => this.#call(lane, { type: 'slots', slots }, [])));
    return slots.map((slot) => ({ stored: new Uint8Array(slot.stored), raw: new Uint8Array(slot.raw.buffer, slot.raw.offset, slot.raw.length), aligned: raw.aligned }));
  }

  /** Decodes the first `length` stored bytes of slot `slot` into its raw area; resolves with the decoded length. */
  async decode(lane: number, slot: number, compression: Exclude<Compression, 'none'>, length: number, raw: number): Promise<number> {
    return (await this.#call(lane, { type: 'decode', slot, compression, length, raw }, [])).length as number;
  }

  /** Writes segments of slot `slot`'s raw area into their files (created when missing). */
  async write(lane: number, slot: number, segments: FileSegment[]): Promise<void> {
    await this.#call(lane, { type: 'write', slot, segments }, []);
  }

  async close(): Promise<void> {
    for (const worker of this.#workers) worker.removeAllListeners('exit');
    await Promise.all(this.#workers.map((worker) => worker.terminate()));
  }

  #call(lane: number, message: object, transfer: ArrayBuffer[]): Promise<Reply> {
    if (this.#failure) return Promise.reject(this.#failure);
    const id = this.#nextId;
    this.#nextId += 1;
    const reply = new Promise<Reply>((resolve, reject) => this.#waiting.set(id, { resolve, reject }));
    (this.#workers[lane % this.#workers.length] as Worker).postMessage({ ...message, id }, transfer);
    return reply;
  }

  #reply(reply: Reply): void {
    const waiting = this.#waiting.get(reply.id);
    this.#waiting.delete(reply.id);
    if (reply.error) waiting?.reject(Object.assign(new Error(reply.error.message), { code: reply.error.code }));
    else waiting?.resolve(reply);
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const waiting of this.#waiting.values()) waiting.reject(error);
    this.#waiting.clear();
  }
}
