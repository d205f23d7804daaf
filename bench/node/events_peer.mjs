// The peer of bench/events_fanout.py: Node's ws (the most used WebSocket server) broadcasting a
// live mount's feed. It subscribes to our feed once and sends each message it gets to every client
// the way ws's documentation broadcasts: `client.send(data)` for each open client.
//
//   node events_peer.mjs PORT ws://127.0.0.1:8000/events/bench
import { WebSocket, WebSocketServer } from 'ws';

const [port, upstream] = process.argv.slice(2);
if (!port || !upstream) {
    console.error('usage: node events_peer.mjs PORT UPSTREAM_WS_URL');
    process.exit(2);
}
let delivered = 0;
const wss = new WebSocketServer({ host: '127.0.0.1', port: Number(port), clientTracking: true });
const feed = new WebSocket(upstream);
feed.on('message', (data, isBinary) => {
    for (const client of wss.clients) {
        if (client.readyState === WebSocket.OPEN) {
            client.send(data, { binary: isBinary });
            delivered++;
        }
    }
});
feed.on('open', () => console.log('feed open'));
feed.on('close', (code) => {
    console.error(`upstream closed: ${code}`);
    process.exit(1);
});
wss.on('listening', () => console.log(`listening ${port}`));
process.on('SIGTERM', () => {
    console.log(JSON.stringify({ delivered }));
    process.exit(0);
});
