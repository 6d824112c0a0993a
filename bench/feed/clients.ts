// A child process of bench/feed: opens N websocket clients on hax's feed and
// reports, on stdout as one JSON line per request from the parent, how many
// records they received and how many hax said they lost.
import { WebSocket } from 'ws';
import { createInterface } from 'node:readline';

const [url, nText] = process.argv.slice(2);
const n = Number(nText);
let received = 0, lost = 0, open = 0;
for (let i = 0; i < n; i++) {
  const ws = new WebSocket(url);
  ws.on('open', () => { open += 1; if (open === n) console.log(JSON.stringify({ open })); });
  ws.on('message', (d) => {
    const text = d.toString();
    if (text.startsWith('{"type":"lost"')) lost += (JSON.parse(text) as { count: number }).count;
    else if (!text.startsWith('{"type":"hello"')) received += 1;
  });
}
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'count') { console.log(JSON.stringify({ received, lost })); received = 0; lost = 0; }
  if (line === 'exit') process.exit(0);
});
