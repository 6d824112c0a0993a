// Loads build/as/<release|debug>.wasm: compiled once per flavour, instantiated
// as often as needed (a trap rebuilds the instance). The only import is
// env.abort, turned into a thrown CoreAbort.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { HaxError } from '../errors.ts';

export interface CoreExports {
  memory: WebAssembly.Memory;
  inputPtr(): number;
  inputCapacity(): number;
  outputPtr(): number;
  outputCapacity(): number;
  handle(len: number): number;
  codecDecode(kind: number, len: number): number;
  codecEncode(kind: number, len: number): number;
  codecDecodeFlat(kind: number, len: number): number;
  /** The flat decode's fast path alone: slot count, or -1 (then codecDecodeFlat gives the error). */
  codecDecodeFlatFast(kind: number, len: number): number;
  codecEncodeNvecReply(len: number): number;
  /** The NVEC SET broadcast of given notes (input: u32 count, 20 bytes a note), as the core's broadcasts. */
  codecEncodeNvecSet(len: number): number;
  /** handle()'s decode of one event record, no rule run: count of hot values at outputPtr(), or -1 (bench/codec). */
  probeDecode(len: number): number;
}

/** The core called abort() or trapped: host misuse or a broken invariant (h11's ERROR rule). */
export class CoreAbort extends HaxError {
  constructor(message: string, options?: { cause?: unknown }) { super('HAX_ERR_CORE_ABORT', message, options); }
}

const modules = new Map<string, Promise<WebAssembly.Module>>();

export function wasmPath(debug: boolean): string {
  return fileURLToPath(new URL(`../../build/as/${debug ? 'debug' : 'release'}.wasm`, import.meta.url));
}

export function compileCore(debug = false): Promise<WebAssembly.Module> {
  const path = wasmPath(debug);
  let m = modules.get(path);
  if (!m) {
    m = readFile(path).then((bytes) => WebAssembly.compile(bytes));
    modules.set(path, m);
    m.catch(() => modules.delete(path));
  }
  return m;
}

/** AssemblyScript string at ptr (UTF-16, byte length at ptr - 4). */
function readAsString(memory: WebAssembly.Memory, ptr: number): string {
  if (!ptr) return '';
  const bytes = new Uint32Array(memory.buffer, ptr - 4, 1)[0] ?? 0;
  return String.fromCharCode(...new Uint16Array(memory.buffer, ptr, bytes >>> 1));
}

export function instantiateCore(module: WebAssembly.Module): CoreExports {
  let memory: WebAssembly.Memory | undefined;
  const instance = new WebAssembly.Instance(module, {
    env: {
      abort(msg: number, file: number, line: number, column: number): never {
        const m = memory ? readAsString(memory, msg) : '?';
        const f = memory ? readAsString(memory, file) : '?';
        throw new CoreAbort(`${m} (${f}:${line}:${column})`);
      },
    },
  });
  const ex = instance.exports as unknown as CoreExports;
  memory = ex.memory;
  return ex;
}

/** Copies bytes into the input region (views are rebuilt: memory may grow). */
export function writeInput(ex: CoreExports, bytes: Uint8Array): void {
  if (bytes.length > ex.inputCapacity()) {
    throw new RangeError(`input of ${bytes.length} bytes exceeds the core's input region (${ex.inputCapacity()})`);
  }
  new Uint8Array(ex.memory.buffer, ex.inputPtr(), bytes.length).set(bytes);
}

/** Copies n output bytes out of wasm memory. */
export function readOutput(ex: CoreExports, n: number): Uint8Array {
  return new Uint8Array(ex.memory.buffer, ex.outputPtr(), n).slice();
}
