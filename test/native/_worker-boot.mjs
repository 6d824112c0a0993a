// Worker entry: Node 20 does not carry `--import tsx` into worker threads,
// so register tsx here, then load the TypeScript worker body.
import { register } from 'tsx/esm/api';

register();
await import('./_worker-shim.ts');
