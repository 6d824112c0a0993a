// Handlers by operationId; server.ts refuses to start when this set and
// openapi.yaml's operations differ.
import type { Handler } from '../server.ts';
import type { HandlerContext } from './context.ts';
import { getAlive } from './getAlive.ts';
import { getClusterStatus } from './getClusterStatus.ts';
import { getLinks } from './getLinks.ts';
import { getMetrics } from './getMetrics.ts';
import { getMonitor, getMonitorScript, getMonitorStyle } from './monitor.ts';
import { getOpenApi } from './getOpenApi.ts';
import { getStates } from './getStates.ts';
import { postBroadcastQueue } from './postBroadcastQueue.ts';
import { postProcessKey } from './postProcessKey.ts';
import { postServiceHealth } from './postServiceHealth.ts';

export function createHandlers(ctx: HandlerContext): Record<string, Handler> {
  return {
    getAlive: getAlive(),
    getOpenApi: getOpenApi(ctx),
    getLinks: getLinks(ctx),
    getClusterStatus: getClusterStatus(ctx),
    getStates: getStates(ctx),
    getMetrics: getMetrics(ctx),
    getMonitor: getMonitor(),
    getMonitorScript: getMonitorScript(),
    getMonitorStyle: getMonitorStyle(),
    postServiceHealth: postServiceHealth(ctx),
    postBroadcastQueue: postBroadcastQueue(ctx),
    postProcessKey: postProcessKey(ctx),
  };
}
