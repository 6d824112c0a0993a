// Loads openapi/openapi.yaml once and compiles every request-body schema with
// ajv (JSON Schema 2020-12, which OpenAPI 3.1 uses). Routes and validation
// come from this document only.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import Ajv2020Module from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';
import { compilePlan, type ProjectionPlan } from './body-projector.ts';

export const OPENAPI_PATH = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'openapi', 'openapi.yaml');

export interface Operation {
  operationId: string;
  method: string;       // upper case
  path: string;
  /** Compiled validator of the JSON request body, when the operation has one. */
  validateBody?: ValidateFunction;
  /** The same schema compiled to remove the properties it does not declare (mutates its argument). */
  projectBody?: ValidateFunction;
  /** When the body is an array (or null or an array): its items' schema, checking and projecting. */
  validateItem?: ValidateFunction;
  projectItem?: ValidateFunction;
  /** maxItems of the body when the schema makes it an array (or null): checked before the body is parsed. */
  maxTopItems?: number;
  /** What of the body the handler sees, for the one-pass reader (body-projector.ts); absent when the schema uses what it does not mirror. */
  projectionPlan?: ProjectionPlan;
  bodyRequired: boolean;
  /** Header parameters the operation declares, with their schemas compiled (checked when present). */
  headerParams: { name: string; required: boolean; pattern?: string; validate: ValidateFunction }[];
}

interface Parameter { name: string; in: string; required?: boolean; schema?: { pattern?: string } & Record<string, unknown> }

interface Content { schema?: unknown }
interface Doc {
  paths: Record<string, Record<string, {
    operationId?: string;
    parameters?: Parameter[];
    requestBody?: { required?: boolean; content?: Record<string, Content> };
    responses?: Record<string, { $ref?: string; content?: Record<string, Content> }>;
  }>>;
  components?: { schemas?: Record<string, unknown>; responses?: Record<string, { content?: Record<string, Content> }> };
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

function newAjv(doc: Doc, extra: object = {}): import('ajv').default {
  const Ajv2020 = (Ajv2020Module as unknown as { default: typeof Ajv2020Module }).default ?? Ajv2020Module;
  const ajv = new (Ajv2020 as unknown as new (o: object) => import('ajv').default)({ allErrors: false, strict: false, ...extra });
  ajv.addSchema({ $id: 'openapi', components: doc.components ?? {} });
  return ajv;
}

export function loadOpenApi(path = OPENAPI_PATH): { text: string; operations: Operation[] } {
  const text = readFileSync(path, 'utf8');
  const doc = parse(text) as Doc;
  const ajv = newAjv(doc);
  // Handlers see only what the schemas declare (Consul's payloads carry much
  // more: Definition, Output, Meta, ...); checks run first on the full value.
  const projecting = newAjv(doc, { removeAdditional: 'all' });
  const operations: Operation[] = [];
  for (const [p, item] of Object.entries(doc.paths)) {
    for (const [m, op] of Object.entries(item)) {
      if (!METHODS.includes(m)) continue;
      if (!op.operationId) throw new Error(`openapi: ${m.toUpperCase()} ${p} has no operationId`);
      const schema = op.requestBody?.content?.['application/json']?.schema;
      operations.push({
        operationId: op.operationId, method: m.toUpperCase(), path: p,
        bodyRequired: op.requestBody?.required === true,
        validateBody: schema === undefined ? undefined : ajv.compile(rewriteRefs(schema) as object),
        projectBody: schema === undefined ? undefined : projecting.compile(rewriteRefs(schema) as object),
        maxTopItems: topMaxItems(schema),
        projectionPlan: schema === undefined ? undefined : compilePlan(schema, doc.components as Record<string, unknown> | undefined),
        ...itemValidators(schema, ajv, projecting),
        headerParams: (op.parameters ?? []).filter((q) => q.in === 'header').map((q) => ({
          name: q.name.toLowerCase(), required: q.required === true, pattern: q.schema?.pattern,
          validate: ajv.compile(q.schema ?? {}),
        })),
      });
    }
  }
  return { text, operations };
}

/** The maxItems of a body schema that is an array, or a oneOf of null and an array. */
function topMaxItems(schema: unknown): number | undefined {
  const s = schema as { type?: unknown; maxItems?: unknown; oneOf?: unknown[] } | undefined;
  if (!s || typeof s !== 'object') return undefined;
  if (s.type === 'array' && typeof s.maxItems === 'number') return s.maxItems;
  if (Array.isArray(s.oneOf) && s.oneOf.every((b) => (b as { type?: unknown }).type === 'null' || (b as { type?: unknown }).type === 'array')) {
    const arrays = s.oneOf.map(topMaxItems).filter((n): n is number => n !== undefined);
    return arrays.length === 1 ? arrays[0] : undefined;
  }
  return undefined;
}

/** The items' schema of an array body (or of the array branch of oneOf null/array), compiled twice like the body's. */
function itemValidators(schema: unknown, ajv: import('ajv').default, projecting: import('ajv').default): Pick<Operation, 'validateItem' | 'projectItem'> {
  const s = schema as { type?: unknown; items?: unknown; oneOf?: unknown[] } | undefined;
  if (!s || typeof s !== 'object') return {};
  const arrays = s.type === 'array' ? [s] : Array.isArray(s.oneOf) && s.oneOf.every((b) => ['null', 'array'].includes((b as { type?: string }).type ?? ''))
    ? s.oneOf.filter((b) => (b as { type?: unknown }).type === 'array') as { items?: unknown }[] : [];
  const items = arrays.length === 1 ? arrays[0].items : undefined;
  if (!items || typeof items !== 'object') return {};
  return { validateItem: ajv.compile(rewriteRefs(items) as object), projectItem: projecting.compile(rewriteRefs(items) as object) };
}

/** '#/components/...' refs point into the document we registered as 'openapi'. */
function rewriteRefs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rewriteRefs);
  if (node && typeof node === 'object') {
    return Object.fromEntries(Object.entries(node).map(([k, v]) =>
      [k, k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `openapi${v}` : rewriteRefs(v)]));
  }
  return node;
}

/** operationId → status → content type → validator of the response body (contract tests). */
export type ResponseValidators = Map<string, Map<string, Map<string, ValidateFunction>>>;

export function loadResponseValidators(path = OPENAPI_PATH): ResponseValidators {
  const doc = parse(readFileSync(path, 'utf8')) as Doc;
  const ajv = newAjv(doc);
  const out: ResponseValidators = new Map();
  for (const item of Object.values(doc.paths)) {
    for (const [m, op] of Object.entries(item)) {
      if (!METHODS.includes(m) || !op.operationId) continue;
      const byStatus = new Map<string, Map<string, ValidateFunction>>();
      for (const [status, resp] of Object.entries(op.responses ?? {})) {
        const resolved = resp.$ref ? doc.components?.responses?.[resp.$ref.split('/').pop()!] : resp;
        const byType = new Map<string, ValidateFunction>();
        for (const [type, c] of Object.entries(resolved?.content ?? {})) if (c.schema !== undefined) byType.set(type, ajv.compile(rewriteRefs(c.schema) as object));
        byStatus.set(status, byType);
      }
      out.set(op.operationId, byStatus);
    }
  }
  return out;
}
