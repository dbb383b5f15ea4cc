/**
 * WebRTC gateway relay cost: two gateway endpoints back to back on 127.0.0.1 (werift ↔ werift).
 * Engine socket A → endpoint A (relay in, SRTP encrypt) → endpoint B (SRTP decrypt, relay out) →
 * engine socket B. One packet through the pair is one browser-bound send plus one engine-bound
 * receive: what a real endpoint does for one packet in each direction. Prints packets/s, CPU µs per
 * packet (the whole process: werift, our relay, dgram), loss, and heap bytes per packet.
 */
import { createSocket } from 'node:dgram';
import { WebRtcEndpointState } from '../src/media/webrtc/webrtc-endpoint-state.js';
import { WebRtcGateway } from '../src/media/webrtc/webrtc-gateway.js';
import { toneUlaw } from '../test/support/audio.js';

const HOST = '127.0.0.1';
const SECONDS = Number(process.env.SECONDS ?? 3);
const WINDOW = Number(process.env.WINDOW ?? 64); // packets in flight

const engineA = createSocket('udp4');
const engineB = createSocket('udp4');
await new Promise<void>((r) => engineA.bind(0, HOST, r));
await new Promise<void>((r) => engineB.bind(0, HOST, r));
const gw = new WebRtcGateway({ host: HOST });
const a = await gw.createEndpoint({ id: 'a', engineRtp: { address: HOST, port: engineA.address().port } });
const b = await gw.createEndpoint({ id: 'b', engineRtp: { address: HOST, port: engineB.address().port } });
await a.acceptAnswer(await b.acceptOffer(await a.createOffer()));
const t0 = Date.now();
while (a.state !== WebRtcEndpointState.Connected || b.state !== WebRtcEndpointState.Connected) {
  if (Date.now() - t0 > 10_000) throw new Error('endpoints did not connect');
  await new Promise((r) => setTimeout(r, 10));
}

const payload = toneUlaw(440, 20);
const pkt = Buffer.alloc(12 + payload.length);
pkt[0] = 0x80;
pkt.writeUInt32BE(0x1234, 8);
pkt.set(payload, 12);

let sent = 0;
let received = 0;
let running = true;
let seq = 0;
const pump = () => {
  if (!running) return;
  while (sent - received < WINDOW) {
    pkt.writeUInt16BE(seq & 0xffff, 2);
    pkt.writeUInt32BE((seq * 160) >>> 0, 4);
    seq++;
    sent++;
    engineA.send(pkt, a.rtp.port, HOST);
  }
};
engineB.on('message', () => {
  received++;
  if (sent - received < WINDOW / 2) pump();
});
// A lost packet would stall the window: every 100 ms without arrivals, write the window off as lost.
let lastReceived = 0;
let writtenOff = 0;
const topUp = setInterval(() => {
  if (received === lastReceived && sent > received) {
    writtenOff += sent - received;
    received = sent;
    pump();
  }
  lastReceived = received;
}, 100);

// Warm up 1 s, then measure.
pump();
await new Promise((r) => setTimeout(r, 1000));
const r0 = received;
const wo0 = writtenOff;
const s0 = sent;
const cpu0 = process.cpuUsage();
const heap0 = process.memoryUsage().heapUsed;
const w0 = process.hrtime.bigint();
await new Promise((r) => setTimeout(r, SECONDS * 1000));
const wall = Number(process.hrtime.bigint() - w0) / 1e9;
const cpu = process.cpuUsage(cpu0);
const heap1 = process.memoryUsage().heapUsed;
const packets = received - r0 - (writtenOff - wo0);
running = false;
clearInterval(topUp);

const pps = packets / wall;
const cpuUs = (cpu.user + cpu.system) / packets;
const lossPct = (100 * (writtenOff - wo0)) / Math.max(1, sent - s0);
const statsA = a.stats();
const statsB = b.stats();
await gw.close();
engineA.close();
engineB.close();

// A browser call carries 50 packets/s each way; one pair-packet is one of each for an endpoint.
const endpointsPerCore = Math.floor(1e6 / (cpuUs * 50));
console.log(`packets through the pair : ${packets} in ${wall.toFixed(2)} s = ${Math.round(pps)} packets/s`);
console.log(`CPU per packet (both hops): ${cpuUs.toFixed(1)} µs   (user+system, whole process)`);
console.log(`loss                      : ${lossPct.toFixed(2)} %  (window ${WINDOW})`);
console.log(
  `heap growth               : ${Math.round((heap1 - heap0) / packets)} bytes/packet (GC-dependent)`,
);
console.log(`≈ endpoints per core      : ${endpointsPerCore} (50 packets/s each way each)`);
console.log(`stats a: ${JSON.stringify(statsA)}`);
console.log(`stats b: ${JSON.stringify(statsB)}`);
console.log(
  JSON.stringify({
    bench: 'media-webrtc',
    packetsPerSecond: Math.round(pps),
    cpuMicrosPerPacket: Number(cpuUs.toFixed(1)),
    lossPercent: Number(lossPct.toFixed(2)),
    endpointsPerCore,
  }),
);
process.exit(0);
