// `hax codec decode|encode`: Motr HA wire bytes ⇄ JSON, through the WASM core
// (the same codec the daemon uses). Bad data: one line on stderr with the error
// code and byte offset, exit 1. Bad flags: ConfigError, exit 2 (main.ts).
import { Codec, CodecError, CODEC_KINDS, type CodecKindName } from '../core/codec.ts';
import { compileCore, instantiateCore } from '../core/wasm.ts';
import { ConfigError } from '../errors.ts';
import { oneLine, parseFlags, quote } from './args.ts';

export const CODEC_HELP = `Usage: hax codec decode --kind KIND [HEX | -]
       hax codec encode --kind KIND [JSON | -]

Reads and writes Motr's HA wire format (xcode) exactly as libmotr does, with
hax's own checks (docs/wire.md). decode prints JSON: enum names, fids as
0x%x:0x%x, u64 as a number when ≤ 2^53−1 else a "0x.." string. encode takes
that JSON (numbers, "0x.." or decimal strings) and prints hex.

  --kind KIND   msg | entrypoint-req | entrypoint-rep | link-msg | link-rep
  HEX           the bytes in hex (spaces and newlines ignored); '-' or nothing:
                raw binary on stdin (decode), JSON text on stdin (encode)
  -h, --help    this text

The input (the bytes to decode, the UTF-8 JSON text to encode) is at most
1 MiB, the core's input region; more is refused (HAX_ERR_CODEC_TOO_LARGE)
without being read further. No Motr HA structure comes near it: a frame's
body is at most 128 KiB.

Exit status: 0 done, 1 bad data (the message gives the code and byte offset),
2 bad flags. Example, a capture's message body:
  xxd -r -p msg.hex | hax codec decode --kind msg -
`;

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Fixture convention: a number when exact in JSON, else "0x.." (or "-0x.."). */
function jsonValue(_key: string, v: unknown): unknown {
  if (typeof v !== 'bigint') return v;
  if (v <= MAX_SAFE && v >= -MAX_SAFE) return Number(v);
  return v < 0n ? `-0x${(-v).toString(16)}` : `0x${v.toString(16)}`;
}

/** Hex text → bytes; throws a bad-data CodecError at the first non-hex character. */
export function hexToBytes(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, '');
  const bad = /[^0-9a-fA-F]/.exec(clean);
  if (bad) throw new CodecError('HAX_ERR_CODEC_HEX', bad.index >> 1, `not hex: ${quote(bad[0])} at hex digit ${bad.index}`);
  if (clean.length % 2) throw new CodecError('HAX_ERR_CODEC_HEX', clean.length >> 1, `odd number of hex digits (${clean.length})`);
  return new Uint8Array(Buffer.from(clean, 'hex'));
}

/** Splits off the one positional (HEX, JSON or '-') that parseFlags does not take. */
function splitPositional(argv: string[]): { flags: string[]; input: string | undefined } {
  const flags: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--kind') { flags.push(a); if (i + 1 < argv.length) flags.push(argv[++i]!); }
    else if (a === '-' || !a.startsWith('-') || /^-\d/.test(a)) rest.push(a);
    else flags.push(a);
  }
  if (rest.length > 1) throw new ConfigError('HAX_ERR_USAGE', `one input expected, got ${rest.length}; see 'hax codec --help'`);
  return { flags, input: rest[0] };
}

export async function codecCommand(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb === '--help' || verb === '-h' || verb === 'help') {
    process.stdout.write(CODEC_HELP);
    return 0;
  }
  if (verb === undefined) throw new ConfigError('HAX_ERR_USAGE', "no action given, expected decode or encode; see 'hax codec --help'");
  if (verb !== 'decode' && verb !== 'encode') {
    throw new ConfigError('HAX_ERR_USAGE', `unknown action ${quote(verb)}, expected decode or encode; see 'hax codec --help'`);
  }
  const { flags, input } = splitPositional(rest);
  const { values } = parseFlags('codec', flags, { kind: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) { process.stdout.write(CODEC_HELP); return 0; }
  if (values.kind === undefined) throw new ConfigError('HAX_ERR_USAGE', `hax codec ${verb}: --kind is required (${Object.keys(CODEC_KINDS).join(' | ')})`);
  if (!Object.hasOwn(CODEC_KINDS, values.kind)) {
    throw new ConfigError('HAX_ERR_BAD_VALUE', `--kind ${quote(values.kind)} is not one of ${Object.keys(CODEC_KINDS).join(', ')}`);
  }
  const kind = values.kind as CodecKindName;
  const fromStdin = input === undefined || input === '-';
  const codec = await Codec.load();
  const limit = await inputLimit();
  try {
    if (verb === 'decode') {
      const bytes = fromStdin ? await readStdin(limit) : hexToBytes(input);
      refuseLarger(bytes.length, limit, 'bytes');
      const value = decoders[kind](codec, bytes);
      process.stdout.write(JSON.stringify(value, jsonValue, 2) + '\n');
    } else {
      const text = fromStdin ? Buffer.from(await readStdin(limit)).toString('utf8') : input;
      // the core takes the text as UTF-8 (bytes that are not UTF-8 become 3-byte U+FFFD)
      refuseLarger(Buffer.byteLength(text, 'utf8'), limit, 'bytes of JSON text (as UTF-8)');
      process.stdout.write(Buffer.from(encoders[kind](codec, text)).toString('hex') + '\n');
    }
    return 0;
  } catch (error) {
    if (!(error instanceof CodecError)) throw error;
    const where = verb === 'decode' || error.code === 'HAX_ERR_CODEC_TOO_LARGE' ? 'input byte' : error.code === 'HAX_ERR_XCODE_JSON_SYNTAX' ? 'JSON text offset' : 'output byte';
    process.stderr.write(`hax codec ${verb}: ${error.code} at ${where} ${error.offset}: ${oneLine(error.detail, 1000)}\n`);
    return 1;
  }
}

/** The most the core takes in one call: its input region (1 MiB, assembly/abi.ts INPUT_CAPACITY). */
async function inputLimit(): Promise<number> {
  return instantiateCore(await compileCore()).inputCapacity();
}

function refuseLarger(length: number, limit: number, what: string): void {
  if (length > limit) {
    throw new CodecError('HAX_ERR_CODEC_TOO_LARGE', limit, `the input is more than ${limit} ${what}, the most the codec takes (its input region, ${limit / 1048576} MiB); a Motr HA structure is far smaller (a frame's body is at most 131072 bytes)`);
  }
}

/** Reads stdin to its end, or to limit + 1 bytes: then stops reading (an endless stdin, /dev/zero, is refused, not read). */
async function readStdin(limit: number): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    total += chunk.length;
    if (total > limit) break;   // leaving the loop destroys the stream
  }
  return new Uint8Array(Buffer.concat(chunks, total));
}

const decoders: Record<CodecKindName, (c: Codec, b: Uint8Array) => unknown> = {
  msg: (c, b) => c.decodeMsg(b),
  'entrypoint-req': (c, b) => c.decodeEntrypointReq(b),
  'entrypoint-rep': (c, b) => c.decodeEntrypointRep(b),
  'link-msg': (c, b) => c.decodeLinkMsg(b),
  'link-rep': (c, b) => c.decodeLinkMsgRep(b),
};
// The JSON text goes to the core as is: its parser keeps u64 exact.
const encoders: Record<CodecKindName, (c: Codec, text: string) => Uint8Array> = {
  msg: (c, t) => c.encodeMsg(t as never),
  'entrypoint-req': (c, t) => c.encodeEntrypointReq(t as never),
  'entrypoint-rep': (c, t) => c.encodeEntrypointRep(t as never),
  'link-msg': (c, t) => c.encodeLinkMsg(t as never),
  'link-rep': (c, t) => c.encodeLinkMsgRep(t as never),
};
