// The configuration file of `hax run` (/etc/hax/hax.yaml in the Debian
// package): a YAML mapping whose keys are `hax run`'s long flags without the
// dashes (`consul: http://127.0.0.1:8500`, `listen: [tcp:…, unix:…]`,
// `token-on-reads: true`). It takes its place in one precedence chain:
//
//   flags > environment > file > Consul's description of this node
//
// The file is turned into `--key=value` arguments placed before the command
// line's, leaving out every key the command line or its environment
// variable already sets; the same parser then checks every value, so a file
// can say nothing a flag could not. A key that is not a flag is refused
// with HAX_ERR_CONFIG_UNKNOWN_KEY naming it: a misspelt key silently
// ignored would leave the default in force without anyone knowing.
import { readFileSync, statSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { ConfigError } from '../errors.ts';
import { oneLine, quote } from '../cli/args.ts';

/** A configuration file is a page of settings; a bigger one is a mistake (or /dev/zero). */
export const CONFIG_FILE_MAX_BYTES = 1 << 20;

/** The flags a file may set: parseArgs' option table of the command. */
export type FlagTable = Readonly<Record<string, { readonly type: 'string' | 'boolean'; readonly multiple?: boolean; readonly short?: string }>>;

/** Flags that never come from a file: what the file is, and asking for help. */
const NOT_FROM_FILE = new Set(['config', 'help']);

/**
 * The environment variable `hax run` reads for a key, where it reads one:
 * when it is set (non-empty) it wins over the file (test/config checks each).
 */
export const ENV_OF_KEY: Readonly<Record<string, string>> = {
  consul: 'CONSUL_HTTP_ADDR',
  listen: 'HAX_LISTEN',
  http: 'HAX_HTTP',
  'token-file': 'HAX_HTTP_TOKEN',
  'log-level': 'HAX_LOG_LEVEL',
  backend: 'HAX_BACKEND',
  node: 'HARE_HAX_NODE_NAME',
};

/** The environment variable naming the file when --config does not. */
export const CONFIG_ENV = 'HAX_CONFIG';

export type FileValue = string | boolean | string[];

/** The keys a file may set, in the flag table's order. */
export function fileKeys(flags: FlagTable): string[] {
  return Object.keys(flags).filter((k) => !NOT_FROM_FILE.has(k));
}

/** Reads and checks the shape of a configuration file: a mapping of known keys to values of the flag's type. */
export function readConfigFile(path: string, flags: FlagTable): Map<string, FileValue> {
  const where = `config file ${quote(path)}`;
  const fileError = (why: string, cause?: unknown) => new ConfigError('HAX_ERR_CONFIG_FILE', `${where} ${why}`, { cause });
  let text: string;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw fileError('is not a regular file');
    if (st.size > CONFIG_FILE_MAX_BYTES) throw fileError(`is ${st.size} bytes; a configuration file is at most ${CONFIG_FILE_MAX_BYTES}`);
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw fileError(`cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, error);
  }
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) throw fileError(`is not valid YAML: ${oneLine(doc.errors[0]!.message, 300)}`);
  // a Map, not an object: a key "__proto__" stays a key (and is refused as unknown)
  const top: unknown = doc.toJS({ mapAsMap: true, maxAliasCount: 0 });
  if (top === null || top === undefined) return new Map();   // empty, or comments only
  if (!(top instanceof Map)) throw fileError('must be a mapping of settings (key: value), one per line');

  const known = fileKeys(flags);
  const out = new Map<string, FileValue>();
  for (const [rawKey, value] of top) {
    const key = String(rawKey);
    if (typeof rawKey !== 'string' || !known.includes(key)) {
      throw new ConfigError('HAX_ERR_CONFIG_UNKNOWN_KEY', `${where}: unknown key ${quote(key)}; the keys are hax run's long flags: ${known.join(', ')}`);
    }
    out.set(key, checkValue(where, key, flags[key]!, value));
  }
  return out;
}

function checkValue(where: string, key: string, flag: FlagTable[string], value: unknown): FileValue {
  const bad = (expected: string) => new ConfigError('HAX_ERR_BAD_VALUE', `${where}, key ${key}: ${describe(value)} is not ${expected}`);
  const scalar = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : undefined);
  if (flag.type === 'boolean') {
    if (typeof value !== 'boolean') throw bad('true or false');
    return value;
  }
  if (flag.multiple) {
    const list = Array.isArray(value) ? value : [value];
    const items = list.map(scalar);
    if (list.length === 0 || items.some((s) => s === undefined)) throw bad('a value or a list of values');
    return items as string[];
  }
  const s = scalar(value);
  if (s === undefined) throw bad('a single value (text or a number)');
  return s;
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'an empty value';
  if (value instanceof Map) return 'a mapping';
  if (Array.isArray(value)) return 'a list';
  return quote(String(value));
}

/** Whether the command line sets a flag itself (--key, --key=…, or its one-letter form). */
function onCommandLine(argv: readonly string[], key: string, flags: FlagTable): boolean {
  const short = flags[key]?.short;
  return argv.some((a) => a === `--${key}` || a.startsWith(`--${key}=`) || (short !== undefined && a === `-${short}`));
}

export interface WithConfigFile {
  /** The command line with the file's settings in front, as `--key=value`. */
  argv: string[];
  /** The file, when one was read. */
  path?: string;
  /** The keys the file set that were used (not overridden by a flag or the environment). */
  used: string[];
  /** An error about a flag the file set, told as the file's: "config file …, key K: …". */
  explain(error: unknown): unknown;
}

/**
 * Takes `--config FILE` (or $HAX_CONFIG) out of `argv` and puts the file's
 * settings in front, each unless a flag or its environment variable sets it.
 * `--help` reads no file.
 */
export function applyConfigFile(argv: readonly string[], env: NodeJS.ProcessEnv, flags: FlagTable, command = 'run'): WithConfigFile {
  const rest: string[] = [];
  let path: string | undefined;
  let seen = 0;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--config' || a.startsWith('--config=')) {
      seen++;
      path = a === '--config' ? argv[++i] : a.slice('--config='.length);
      if (path === undefined || path === '') throw new ConfigError('HAX_ERR_USAGE', `--config needs a value (the configuration file's path); see 'hax ${command} --help'`);
    } else {
      rest.push(a);
    }
  }
  if (seen > 1) throw new ConfigError('HAX_ERR_USAGE', `--config is given ${seen} times; give one file`);
  const asIs: WithConfigFile = { argv: rest, used: [], explain: (e) => e };
  if (rest.includes('--help') || rest.includes('-h')) return asIs;
  path ??= env[CONFIG_ENV] || undefined;
  if (path === undefined) return asIs;

  const values = readConfigFile(path, flags);
  const front: string[] = [];
  const used: string[] = [];
  for (const [key, value] of values) {
    if (onCommandLine(rest, key, flags)) continue;                    // flags win
    const envName = ENV_OF_KEY[key];
    if (envName !== undefined && (env[envName] ?? '').trim() !== '') continue;   // then the environment
    used.push(key);
    if (value === true) front.push(`--${key}`);
    else if (value === false) continue;                               // the flag's absence is its false
    else for (const v of Array.isArray(value) ? value : [value]) front.push(`--${key}=${v}`);
  }
  const file = path;
  return {
    argv: [...front, ...rest],
    path: file,
    used,
    explain(error) {
      if (!(error instanceof ConfigError)) return error;
      const key = used.find((k) => error.message.startsWith(`--${k} `));
      if (key === undefined) return error;
      return new ConfigError(error.code, `config file ${quote(file)}, key ${key}: ${error.message}`, { cause: error });
    },
  };
}
