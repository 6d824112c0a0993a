// What the HTTP handlers may use of the running daemon.
import type { CoreHost, Decision } from '../../core/core-host.ts';
import type { LinkTable } from '../../daemon/link-table.ts';

export interface HandlerContext {
  core: CoreHost;
  links: LinkTable;
  /** Performs a core decision's actions (broadcasts go to the active links). */
  apply(decision: Decision, context?: Record<string, unknown>): void;
  openapiText(): string;
}
