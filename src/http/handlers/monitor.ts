// The monitor page and its two assets, read once from web/ at start-up.
import { readFileSync } from 'node:fs';
import type { Handler } from '../server.ts';

const WEB = new URL('../../../web/', import.meta.url);
const asset = (name: string, contentType: string): Handler => {
  const body = readFileSync(new URL(name, WEB), 'utf8');
  return () => ({ contentType, body });
};

export const getMonitor = (): Handler => asset('monitor.html', 'text/html; charset=utf-8');
export const getMonitorScript = (): Handler => asset('app.js', 'text/javascript; charset=utf-8');
export const getMonitorStyle = (): Handler => asset('style.css', 'text/css; charset=utf-8');
