// The simulated Motr processes of `hax demo --nodes N`: on every node, one
// SimProcess per confd/ios of the node, talking only to that node's hax. Each
// prints what hax broadcasts to it (the process-level notes by node and kind,
// the rest counted) and keeps what it heard, with the time, so that the story
// can tell when every survivor has heard of a failure.
import type { Codec } from '../core/codec.ts';
import { SimProcess, type Note } from '../sim/sim-process.ts';
import { PROCESS_CONTAINER } from '../fid.ts';
import { PROCESS_FID, type MotrKind } from './cluster-layout.ts';
import type { HaxNode } from './hax-cluster.ts';

export interface Heard { fid: string; state: string; at: number }

export interface DemoProcess {
  readonly node: HaxNode;
  readonly kind: MotrKind;
  readonly fid: string;
  /** "demo-node-2/ios": how the output names it. */
  readonly label: string;
  readonly sim: SimProcess;
  readonly heard: Heard[];
}

const short = (state: string) => state.replace(/^M0_NC_/, '');

export class DemoProcesses {
  readonly #codec: Codec;
  readonly #say: (msg: string) => void;
  /** Process fid → label, for every process of the cluster (the notes name them). */
  readonly #labels = new Map<string, string>();
  #running: DemoProcess[] = [];

  constructor(nodes: readonly HaxNode[], codec: Codec, say: (msg: string) => void) {
    this.#codec = codec;
    this.#say = say;
    for (const n of nodes) {
      this.#labels.set(PROCESS_FID(n.haxFidk), `${n.name}/hax`);
      for (const p of n.processes) this.#labels.set(PROCESS_FID(p.fidk), `${n.name}/${p.kind}`);
    }
  }

  label(fid: string): string { return this.#labels.get(fid) ?? fid; }

  /** The running processes (of `node`, or all). */
  running(node?: HaxNode): DemoProcess[] { return this.#running.filter((p) => !node || p.node === node); }

  /** Starts the node's processes: each dials its hax and prints its entrypoint. */
  async connect(node: HaxNode): Promise<void> {
    for (const p of node.processes) {
      const fid = PROCESS_FID(p.fidk);
      const label = `${node.name}/${p.kind}`;
      const heard: Heard[] = [];
      const sim = new SimProcess({
        address: `tcp:127.0.0.1:${node.haPort}`, codec: this.#codec, processFid: { container: PROCESS_CONTAINER, key: BigInt(p.fidk) },
        type: 'M0_CONF_HA_PROCESS_M0D',
        onNotes: (notes) => this.#heard(label, heard, notes),
      });
      this.#running.push({ node, kind: p.kind, fid, label, sim, heard });
      const ep = await sim.connect();
      this.#say(`${label} ${fid} connected to its hax: entrypoint names ${ep.confds.length} confd(s), quorum ${ep.quorum}, RM ${ep.rm}`);
    }
  }

  /** What m0d reports up to "Started": STARTING, STARTED, DTM_RECOVERED (each acknowledged by hax once Consul holds it). */
  async start(node: HaxNode, check: () => void): Promise<void> {
    for (const p of this.running(node)) {
      for (const event of ['M0_CONF_HA_PROCESS_STARTING', 'M0_CONF_HA_PROCESS_STARTED', 'M0_CONF_HA_PROCESS_DTM_RECOVERED'] as const) {
        check();
        await p.sim.processEvent(event);
      }
      this.#say(`${p.label} ${p.fid} STARTED (reported STARTING, STARTED, DTM_RECOVERED; hax acknowledged each once Consul held it)`);
    }
  }

  /** The node's processes die with it: their sockets close without a word. */
  kill(node: HaxNode): void {
    for (const p of this.running(node)) void p.sim.close();
    this.#running = this.#running.filter((p) => p.node !== node);
  }

  closeAll(): void {
    for (const p of this.#running) void p.sim.close();
    this.#running = [];
  }

  /** "label: fid" for each running process (of `listeners`) that has not heard one of `states` for each of `fids` since `since`. */
  missing(fids: string[], states: string[], since = 0, listeners = this.#running): string[] {
    return listeners.flatMap((p) => fids.filter((f) => f !== p.fid && !p.heard.some((h) => h.at >= since && h.fid === f && states.includes(h.state)))
      .map((f) => `${p.label}: ${this.label(f)}`));
  }

  #heard(label: string, heard: Heard[], notes: Note[]): void {
    const at = Date.now();
    for (const n of notes) heard.push({ fid: n.fid, state: n.state, at });
    const processes = notes.filter((n) => this.#labels.has(n.fid));
    const others = notes.length - processes.length;
    const named = processes.map((n) => `${this.label(n.fid)} ${short(n.state)}`).join(', ');
    this.#say(`  ${label} heard from hax: ${named || '-'}${others ? ` (+${others} service/drive note${others > 1 ? 's' : ''})` : ''}`);
  }
}
