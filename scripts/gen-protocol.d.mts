// Types of scripts/gen-protocol.mjs for the tests that run it.
/** Parses and checks protocol/constants.yaml (or `text`); throws an Error naming the bad entry. */
export function load(text?: string): Record<string, unknown>;
/** Generated path → its text. */
export function outputs(src?: Record<string, unknown>): Record<string, string>;
/** Generated paths that are missing or differ from what the source gives. */
export function stale(): string[];
