import type { Handler } from '../server.ts';
import type { components } from '../../generated/api.d.ts';
import { VERSION } from '../../version.ts';

export const getAlive = (): Handler => () => {
  const body: components['schemas']['Alive'] = { status: 'alive', version: VERSION };
  return { body };
};
