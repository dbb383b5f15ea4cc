/**
 * Thread entry of a media worker (started by `MediaEngine` with the tsx loader). Wires the
 * engine's messages to a `MediaWorkerRuntime`; never lets an exception escape.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { CataloguedError } from '../util/catalogued-error.js';
import { SystemClock } from '../util/clock.js';
import { chooseIo, MediaWorkerRuntime, type WorkerLog } from './media-worker-runtime.js';
import type { RequestMessage, WorkerInit, WorkerMessage } from './worker-protocol.js';

const port = parentPort;
if (!port) throw new Error('media-worker.ts must run in a worker thread');

const post = (m: WorkerMessage) => port.postMessage(m);
const init = workerData as WorkerInit;
const log: WorkerLog = (level, msg, obj) => post({ type: 'log', level, msg, obj: obj ?? {} });
// Decided once per worker at start: the native batched path when it loads, else dgram.
const runtime = new MediaWorkerRuntime(
  init,
  new SystemClock(),
  log,
  (fn) => setImmediate(fn),
  chooseIo(init.io, log),
);

port.on('message', (m: RequestMessage) => {
  if (m?.type !== 'request') return;
  runtime.handle(m.req).then(
    (result) => {
      post({ type: 'reply', seq: m.seq, ok: true, result });
      if (m.req.op === 'close') port.close();
    },
    (err: unknown) => {
      const code = err instanceof CataloguedError ? err.code : 'MEDIA_WORKER_FAILED';
      post({
        type: 'reply',
        seq: m.seq,
        ok: false,
        error: { code, message: String((err as Error)?.message ?? err) },
      });
    },
  );
});

process.on('uncaughtException', (err) => {
  post({ type: 'log', level: 'error', msg: 'uncaught exception in media worker', obj: { err: String(err) } });
});

post({ type: 'ready' });
