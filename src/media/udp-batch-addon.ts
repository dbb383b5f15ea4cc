/**
 * Loads the optional native addon `native/udp-batch` (built by `scripts/build-native.mjs` into
 * `native/udp-batch/build/Release/udp_batch.node`). Linux only. All functions return negative
 * errno values instead of throwing; see `native/udp-batch/udp_batch.c` for the exact contract.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** Words per received datagram in the drain meta array: token, offset, length, address, port, flags. */
export const RX_WORDS = 6;
/** Words per outgoing datagram in the send meta array: fd, offset, length, address, port. */
export const TX_WORDS = 5;
/** Drain meta flag: the datagram was longer than a slot (its length is then the slot size). */
export const FLAG_TRUNCATED = 1;
/**
 * Receive-ring meta flag: not a datagram but the end of that token's multishot receive (buffers ran
 * out under overload, an error such as a queued ICMP error, or cancelled at close); the length word
 * is then the errno.
 */
export const FLAG_ENDED = 2;
/** Bytes before the payload in a receive-ring slot (the kernel's recvmsg header and the source address). */
export const RX_RING_HEADER = 32;

export interface UdpBatchAddon {
  /** A new epoll instance (one per worker): fd, or -errno. */
  pollerOpen(): number;
  /** Closes a socket or poller fd: 0 or -errno. */
  closeFd(fd: number): number;
  /** Binds a non-blocking IPv4 UDP socket and adds it to the poller under `token`: fd or -errno. */
  bindUdp(epfd: number, host: string, port: number, token: number): number;
  localPort(fd: number): number;
  /** Reads every readable socket into `rx` slots (up to `maxPackets`): count, or -errno. */
  drain(epfd: number, rx: Uint8Array, slotSize: number, meta: Uint32Array, maxPackets: number): number;
  /** Sends `count` packets described in `meta` (runs on one socket share a sendmmsg): number sent. */
  send(tx: Uint8Array, meta: Uint32Array, count: number): number;
  /** Datagrams per recvmmsg/sendmmsg call. */
  readonly BATCH: number;
  /**
   * io_uring (absent when the addon was built without `<linux/io_uring.h>` support): a ring of
   * `entries` submissions, or -errno (io_uring disabled, kernel too old…).
   */
  uringOpen?(entries: number): UringHandle | number;
  /** As `drain`, one io_uring_enter per round: count, or -errno (-ECANCELED: ring broken). */
  uringDrain?(
    ring: UringHandle,
    epfd: number,
    rx: Uint8Array,
    slotSize: number,
    meta: Uint32Array,
    maxPackets: number,
  ): number;
  /** As `send`, one io_uring_enter per ring's worth: number sent, or -ECANCELED (ring broken). */
  uringSend?(ring: UringHandle, tx: Uint8Array, meta: Uint32Array, count: number): number;
  /** Bit 0 (`URING_SEND_WITH_ADDRESS`): sends go out as IORING_OP_SEND with a destination, else SENDMSG. */
  uringFeatures?(ring: UringHandle): number;
  /** Puts a socket bound with epfd -1 into a poller (the receive ring's fallback): 0 or -errno. */
  pollAdd?(epfd: number, fd: number, token: number): number;
  /**
   * The receive ring (multishot RECVMSG over provided buffers, Linux ≥ 6.0): `slots` slots
   * (a power of two) of `slotSize` bytes of `rx` become the kernel's buffers. A ring, or -errno.
   */
  rxOpen?(rx: Uint8Array, slotSize: number, slots: number): RxRingHandle | number;
  /**
   * Arms one multishot receive on each of `count` sockets, `pairs[2i]` = fd and `pairs[2i + 1]` =
   * the token its entries carry, in as few system calls as the ring allows: 0 or -errno.
   */
  rxArm?(ring: RxRingHandle, pairs: Int32Array, count: number): number;
  /** Cancels the socket's receive; call before closing the fd (the port is then free at close). */
  rxCancel?(ring: RxRingHandle, fd: number): number;
  /**
   * Gives back the last call's slots, then reports up to `max` entries in `meta` (as `drain`, or
   * `FLAG_ENDED` entries): count, or -errno.
   */
  rxDrain?(ring: RxRingHandle, meta: Uint32Array, max: number): number;
  /** Closes the ring (idempotent). */
  rxClose?(ring: RxRingHandle): number;
}

/** A receive ring owned by the addon (freed when garbage-collected). */
export type RxRingHandle = object & { readonly __rxRing: unique symbol };

/** An io_uring instance owned by the addon (freed when garbage-collected). */
export type UringHandle = object & { readonly __uring: unique symbol };

export const URING_SEND_WITH_ADDRESS = 1;

/** -ECANCELED: the io_uring gave up (completions missing); the caller falls back to syscalls. */
export const E_CANCELED = -125;

export const ADDON_PATH = fileURLToPath(
  new URL('../../native/udp-batch/build/Release/udp_batch.node', import.meta.url),
);

let cached: UdpBatchAddon | Error | undefined;

/** The addon, or the reason it cannot be used (not Linux, not built, failed to load). Cached. */
export function loadUdpBatch(): UdpBatchAddon | Error {
  if (cached) return cached;
  if (process.platform !== 'linux') cached = new Error(`udp-batch is Linux only (${process.platform})`);
  else if (!existsSync(ADDON_PATH))
    cached = new Error(`udp-batch not built (${ADDON_PATH}; run node scripts/build-native.mjs)`);
  else {
    try {
      cached = createRequire(import.meta.url)(ADDON_PATH) as UdpBatchAddon;
    } catch (err) {
      cached = new Error(`udp-batch failed to load: ${String((err as Error)?.message ?? err)}`);
    }
  }
  return cached;
}
