// Reads the scenario files of test/core/scenarios/ (format: its README.md)
// and the conf trees they load (test/core/scenarios/trees/). A malformed
// file throws an error naming the file, the scenario and the step, so a typo
// in a data file reads like a failed test, not like a crash.
import { readFileSync, readdirSync } from 'node:fs';
import { parse } from 'yaml';

export const SCENARIO_DIR = new URL('./scenarios/', import.meta.url);
const TREE_DIR = new URL('./scenarios/trees/', import.meta.url);

/** The events a step can feed (one per step), by their name in the files. */
export const EVENT_KEYS = [
  'view', 'identity', 'conf', 'processes', 'health-viewed', 'health', 'timer', 'bq', 'process-key',
  'states', 'dump', 'entrypoint', 'message', 'consul-replied', 'leader', 'election-tick', 'election-result',
] as const;
export type EventKey = typeof EVENT_KEYS[number];

/** The transition-table row (assembly/machine/core.ts) each event is handled by. */
export const EVENT_ROW: Record<EventKey, string> = {
  view: 'ViewUpdated', identity: 'IdentitySet', conf: 'ConfLoaded', processes: 'ProcessesLoaded',
  'health-viewed': 'HealthViewed', health: 'HealthReported', timer: 'TimerFired', bq: 'BqRead',
  'process-key': 'ProcessKeyPosted', states: 'StatesQueried', dump: 'DumpRequested',
  entrypoint: 'EntrypointRequested', message: 'MessageReceived', 'consul-replied': 'ConsulReplied',
  leader: 'LeaderObserved', 'election-tick': 'ElectionTick', 'election-result': 'ElectionResult',
};

export interface Step {
  event: EventKey;
  input: any;
  /** The reason code every run of this step must give. */
  reason: string;
  /** Substrings the reason text must contain. */
  text: string[];
  /** Expected actions, exactly these kinds in this order (fields matched as a subset); undefined = not checked. */
  actions: unknown[] | undefined;
  /** Feed the same event this many times; every run must meet the expectations. */
  repeat: number;
  /** 1-based, for messages. */
  index: number;
}

export interface Scenario {
  file: string; name: string; tree: string; steps: Step[]; aliases: Map<string, string>;
  /** Why this scenario cannot pass today (a known defect); it is then reported as skipped with this reason. */
  skip?: string;
}

export interface Tree {
  name: string;
  aliases: Map<string, string>;
  /** Setup steps in the order the daemon feeds them: identity, conf, processes, health views, view. */
  steps: Step[];
}

const STEP_KEYS = new Set<string>([...EVENT_KEYS, 'reason', 'text', 'actions', 'repeat', 'note']);

function fail(where: string, what: string): never { throw new Error(`${where}: ${what}`); }

/** Replaces $alias tokens (fids named in the tree) in every string of v, map keys included. */
export function substitute(v: unknown, aliases: Map<string, string>, where: string): any {
  if (typeof v === 'string') {
    return v.replace(/\$([A-Za-z][A-Za-z0-9_-]*)/g, (_, name: string) => aliases.get(name) ?? fail(where, `unknown fid alias $${name} (the tree names: ${[...aliases.keys()].join(', ')})`));
  }
  if (Array.isArray(v)) return v.map((x) => substitute(x, aliases, where));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [substitute(k, aliases, where), substitute(x, aliases, where)]));
  return v;
}

function readStep(raw: unknown, where: string, index: number, aliases: Map<string, string>): Step {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) fail(where, 'a step is a map with one event key and a reason');
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!STEP_KEYS.has(k)) fail(where, `unknown key "${k}" (events: ${EVENT_KEYS.join(', ')}; expectations: reason, text, actions, repeat)`);
  const events = EVENT_KEYS.filter((k) => k in o);
  if (events.length !== 1) fail(where, `a step feeds exactly one event, got ${events.length ? events.join(', ') : 'none'}`);
  if (typeof o.reason !== 'string' || !/^[A-Z][A-Z0-9_]+$/.test(o.reason)) fail(where, 'every step names the reason code it expects ("reason: CODE")');
  const text = o.text === undefined ? [] : Array.isArray(o.text) ? o.text.map(String) : [String(o.text)];
  if (o.actions !== undefined && !Array.isArray(o.actions)) fail(where, '"actions" is a list (use [] for "no action")');
  const repeat = o.repeat === undefined ? 1 : Number(o.repeat);
  if (!Number.isInteger(repeat) || repeat < 1) fail(where, '"repeat" is a positive integer');
  const event = events[0]!;
  return {
    event, input: substitute(o[event] ?? {}, aliases, where), reason: o.reason, text: substitute(text, aliases, where),
    actions: substitute(o.actions, aliases, where), repeat, index,
  };
}

const trees = new Map<string, Tree>();

/** A conf tree file: fid aliases, then the daemon's setup events with their reasons. */
export function loadTree(name: string): Tree {
  const known = trees.get(name);
  if (known) return known;
  const file = new URL(`${name}.yaml`, TREE_DIR);
  const where = `trees/${name}.yaml`;
  let doc: any;
  try { doc = parse(readFileSync(file, 'utf8')); } catch (e) { fail(where, (e as Error).message); }
  const aliases = new Map<string, string>(Object.entries(doc?.fids ?? {}).map(([k, v]) => [k, String(v)]));
  if (!Array.isArray(doc?.setup) || doc.setup.length === 0) fail(where, '"setup" lists the events that load the tree');
  const steps = doc.setup.map((s: unknown, i: number) => readStep(s, `${where} setup step ${i + 1}`, i + 1, aliases));
  const tree = { name, aliases, steps };
  trees.set(name, tree);
  return tree;
}

/** Every scenario of every file in test/core/scenarios/ (or of the files given). */
export function loadScenarios(files?: string[]): Scenario[] {
  const names = files ?? readdirSync(SCENARIO_DIR).filter((f) => f.endsWith('.yaml')).sort();
  const out: Scenario[] = [];
  for (const file of names) {
    let doc: any;
    try { doc = parse(readFileSync(new URL(file, SCENARIO_DIR), 'utf8')); } catch (e) { fail(file, (e as Error).message); }
    if (!Array.isArray(doc?.scenarios) || doc.scenarios.length === 0) fail(file, 'no "scenarios" list');
    const seen = new Set<string>();
    for (const [i, s] of doc.scenarios.entries()) {
      const name = typeof s?.name === 'string' ? s.name : fail(file, `scenario ${i + 1} has no name`);
      if (seen.has(name)) fail(file, `two scenarios are named "${name}"`);
      seen.add(name);
      const treeName = String(s.tree ?? doc.tree ?? fail(file, `"${name}": no tree (set "tree:" on the file or the scenario; "none" for an empty core)`));
      const aliases = treeName === 'none' ? new Map<string, string>() : loadTree(treeName).aliases;
      if (!Array.isArray(s.steps) || s.steps.length === 0) fail(file, `"${name}" has no steps`);
      const steps = s.steps.map((st: unknown, j: number) => readStep(st, `${file} › "${name}" step ${j + 1}`, j + 1, aliases));
      if (s.skip !== undefined && (typeof s.skip !== 'string' || s.skip.trim() === '')) fail(file, `"${name}": "skip" gives the reason as text`);
      out.push({ file, name, tree: treeName, steps, aliases, skip: s.skip });
    }
  }
  return out;
}
