/*
 * udp_batch: batched UDP I/O for Earshot's media workers (Linux only, plain C N-API).
 *
 * One "poller" (an epoll instance) per media worker owns that worker's non-blocking UDP sockets.
 * Once per 20 ms tick the worker calls drain(): one epoll_wait(…, 0) finds the readable sockets
 * and each is read with recvmmsg() straight into a preallocated buffer shared with JavaScript
 * (fixed-size slots); per datagram JS gets six uint32 words in a shared meta array — token,
 * offset, length, source address (host order), source port, flags — so no JS object exists per
 * packet. The tick's output is written by JS into a second shared buffer with five words per
 * packet (fd, offset, length, address, port) and sent by send(): runs of packets on the same
 * socket go out in one sendmmsg(). Nothing here allocates after start, and there is no global
 * state (each worker thread has its own buffers and epoll fd), so the module is context-aware.
 *
 * Errors are returned as negative errno values, never thrown (except TypeError on bad arguments):
 * the worker must survive anything the network does.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <node_api.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH 64
#define EVENTS 256
#define RX_WORDS 6
#define TX_WORDS 5
#define FLAG_TRUNCATED 1u

#define ARGS(n)                                                                  \
  size_t argc = (n);                                                             \
  napi_value argv[(n) > 0 ? (n) : 1];                                            \
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL; \
  if (argc < (n)) {                                                              \
    napi_throw_type_error(env, NULL, "udp_batch: missing arguments");            \
    return NULL;                                                                 \
  }

static napi_value int_value(napi_env env, int64_t v) {
  napi_value out;
  napi_create_int64(env, v, &out);
  return out;
}

static int get_i32(napi_env env, napi_value v, int32_t *out) {
  if (napi_get_value_int32(env, v, out) != napi_ok) {
    napi_throw_type_error(env, NULL, "udp_batch: expected a number");
    return 0;
  }
  return 1;
}

/* A typed array's bytes and element count, checked against the expected element type. */
static int get_array(napi_env env, napi_value v, napi_typedarray_type want, void **data, size_t *count) {
  napi_typedarray_type type;
  napi_value ab;
  size_t off;
  if (napi_get_typedarray_info(env, v, &type, count, data, &ab, &off) != napi_ok || type != want) {
    napi_throw_type_error(env, NULL, want == napi_uint8_array ? "udp_batch: expected a Uint8Array"
                                                               : "udp_batch: expected a Uint32Array");
    return 0;
  }
  return 1;
}

/* pollerOpen(): epoll fd, or -errno. */
static napi_value poller_open(napi_env env, napi_callback_info info) {
  (void)info;
  int fd = epoll_create1(EPOLL_CLOEXEC);
  return int_value(env, fd < 0 ? -errno : fd);
}

/* closeFd(fd): 0 or -errno (closing a socket also removes it from its epoll set). */
static napi_value close_fd(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t fd;
  if (!get_i32(env, argv[0], &fd)) return NULL;
  return int_value(env, close(fd) < 0 ? -errno : 0);
}

/*
 * bindUdp(epfd, host, port, token): binds a non-blocking IPv4 UDP socket to host:port (port 0:
 * any), adds it to the poller with `token`, and returns its fd, or -errno (EADDRINUSE: the caller
 * tries the next port). No SO_REUSEADDR: like dgram's `exclusive: true`.
 */
static napi_value bind_udp(napi_env env, napi_callback_info info) {
  ARGS(4);
  int32_t epfd, port, token;
  char host[64];
  size_t hostLen = 0;
  if (!get_i32(env, argv[0], &epfd) || !get_i32(env, argv[2], &port) || !get_i32(env, argv[3], &token))
    return NULL;
  if (napi_get_value_string_utf8(env, argv[1], host, sizeof host, &hostLen) != napi_ok) {
    napi_throw_type_error(env, NULL, "udp_batch: host must be a string");
    return NULL;
  }
  struct sockaddr_in sin;
  memset(&sin, 0, sizeof sin);
  sin.sin_family = AF_INET;
  sin.sin_port = htons((uint16_t)port);
  if (inet_pton(AF_INET, host, &sin.sin_addr) != 1) return int_value(env, -EINVAL);
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return int_value(env, -errno);
  if (bind(fd, (struct sockaddr *)&sin, sizeof sin) < 0) {
    int e = errno;
    close(fd);
    return int_value(env, -e);
  }
  struct epoll_event ev;
  memset(&ev, 0, sizeof ev);
  ev.events = EPOLLIN;
  ev.data.u64 = ((uint64_t)(uint32_t)token << 32) | (uint32_t)fd;
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
    int e = errno;
    close(fd);
    return int_value(env, -e);
  }
  return int_value(env, fd);
}

/* localPort(fd): the bound port, or -errno. */
static napi_value local_port(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t fd;
  if (!get_i32(env, argv[0], &fd)) return NULL;
  struct sockaddr_in sin;
  socklen_t len = sizeof sin;
  if (getsockname(fd, (struct sockaddr *)&sin, &len) < 0) return int_value(env, -errno);
  return int_value(env, ntohs(sin.sin_port));
}

/*
 * drain(epfd, rx, slotSize, meta, maxPackets): reads every readable socket of the poller until it
 * would block (EAGAIN) or maxPackets datagrams are held. Datagram i is at rx[i × slotSize …) and
 * meta[6i …] = token, offset, length, address, port, flags (FLAG_TRUNCATED: longer than a slot;
 * length is then slotSize). Returns the count (≥ 0) or -errno from epoll_wait. Sockets left
 * unread when the buffer is full stay readable (level-triggered) and are read on the next call;
 * epoll moves them to the back of its ready list, so no socket starves.
 */
static napi_value drain(napi_env env, napi_callback_info info) {
  ARGS(5);
  int32_t epfd, slotSize, maxPackets;
  uint8_t *rx;
  uint32_t *meta;
  size_t rxLen, metaLen;
  if (!get_i32(env, argv[0], &epfd) || !get_array(env, argv[1], napi_uint8_array, (void **)&rx, &rxLen) ||
      !get_i32(env, argv[2], &slotSize) || !get_array(env, argv[3], napi_uint32_array, (void **)&meta, &metaLen) ||
      !get_i32(env, argv[4], &maxPackets))
    return NULL;
  if (slotSize <= 0 || maxPackets < 0 || (size_t)maxPackets * (size_t)slotSize > rxLen ||
      (size_t)maxPackets * RX_WORDS > metaLen) {
    napi_throw_range_error(env, NULL, "udp_batch.drain: buffers smaller than maxPackets slots");
    return NULL;
  }
  struct epoll_event events[EVENTS];
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  struct sockaddr_in from[BATCH];
  int n = 0;
  int rounds = 0;
  while (n < maxPackets && rounds++ < 64) {
    int k = epoll_wait(epfd, events, EVENTS, 0);
    if (k < 0) {
      if (errno == EINTR) continue;
      return int_value(env, n > 0 ? n : -errno);
    }
    for (int e = 0; e < k && n < maxPackets; e++) {
      int fd = (int)(uint32_t)events[e].data.u64;
      uint32_t token = (uint32_t)(events[e].data.u64 >> 32);
      int errors = 0;
      while (n < maxPackets) {
        int want = maxPackets - n < BATCH ? maxPackets - n : BATCH;
        for (int i = 0; i < want; i++) {
          iov[i].iov_base = rx + (size_t)(n + i) * (size_t)slotSize;
          iov[i].iov_len = (size_t)slotSize;
          memset(&msgs[i].msg_hdr, 0, sizeof msgs[i].msg_hdr);
          msgs[i].msg_hdr.msg_name = &from[i];
          msgs[i].msg_hdr.msg_namelen = sizeof from[i];
          msgs[i].msg_hdr.msg_iov = &iov[i];
          msgs[i].msg_hdr.msg_iovlen = 1;
        }
        int r = recvmmsg(fd, msgs, (unsigned)want, MSG_DONTWAIT, NULL);
        if (r < 0) {
          if (errno == EINTR) continue;
          /* EAGAIN: drained. Anything else (a queued ICMP error, a closed fd): try once more. */
          if (errno == EAGAIN || errno == EWOULDBLOCK || ++errors > 1) break;
          continue;
        }
        for (int i = 0; i < r; i++) {
          uint32_t *m = meta + (size_t)(n + i) * RX_WORDS;
          m[0] = token;
          m[1] = (uint32_t)((n + i) * slotSize);
          m[2] = msgs[i].msg_len > (unsigned)slotSize ? (uint32_t)slotSize : msgs[i].msg_len;
          m[3] = ntohl(from[i].sin_addr.s_addr);
          m[4] = ntohs(from[i].sin_port);
          m[5] = (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) ? FLAG_TRUNCATED : 0;
        }
        n += r;
        if (r < want) break; /* the socket had fewer than asked: drained */
      }
    }
    if (k < EVENTS) break; /* every ready socket was seen this round */
  }
  return int_value(env, n);
}

/*
 * send(tx, meta, count): packet i is tx[meta[5i+1] …+meta[5i+2]) sent from socket meta[5i] to
 * meta[5i+3]:meta[5i+4] (address in host order). Consecutive packets on one socket go out in one
 * sendmmsg(). A packet the kernel refuses (EAGAIN: send buffer full, or any error) is dropped and
 * the rest still go. Returns the number sent.
 */
static napi_value send_batch(napi_env env, napi_callback_info info) {
  ARGS(3);
  uint8_t *tx;
  uint32_t *meta;
  size_t txLen, metaLen;
  int32_t count;
  if (!get_array(env, argv[0], napi_uint8_array, (void **)&tx, &txLen) ||
      !get_array(env, argv[1], napi_uint32_array, (void **)&meta, &metaLen) || !get_i32(env, argv[2], &count))
    return NULL;
  if (count < 0 || (size_t)count * TX_WORDS > metaLen) {
    napi_throw_range_error(env, NULL, "udp_batch.send: meta smaller than count packets");
    return NULL;
  }
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  struct sockaddr_in to[BATCH];
  int sent = 0;
  int i = 0;
  while (i < count) {
    int fd = (int)meta[(size_t)i * TX_WORDS];
    int k = 0;
    while (i + k < count && k < BATCH && (int)meta[(size_t)(i + k) * TX_WORDS] == fd) {
      const uint32_t *m = meta + (size_t)(i + k) * TX_WORDS;
      size_t off = m[1], len = m[2];
      if (off > txLen || len > txLen - off) len = 0, off = 0; /* out of range: send nothing */
      iov[k].iov_base = tx + off;
      iov[k].iov_len = len;
      memset(&to[k], 0, sizeof to[k]);
      to[k].sin_family = AF_INET;
      to[k].sin_addr.s_addr = htonl(m[3]);
      to[k].sin_port = htons((uint16_t)m[4]);
      memset(&msgs[k].msg_hdr, 0, sizeof msgs[k].msg_hdr);
      msgs[k].msg_hdr.msg_name = &to[k];
      msgs[k].msg_hdr.msg_namelen = sizeof to[k];
      msgs[k].msg_hdr.msg_iov = &iov[k];
      msgs[k].msg_hdr.msg_iovlen = 1;
      k++;
    }
    int off = 0;
    while (off < k) {
      int r = sendmmsg(fd, msgs + off, (unsigned)(k - off), MSG_DONTWAIT);
      if (r < 0) {
        if (errno == EINTR) continue;
        off++; /* this packet is refused (EAGAIN, EBADF, …): drop it, send the rest */
        continue;
      }
      sent += r;
      off += r;
    }
    i += k;
  }
  return int_value(env, sent);
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"pollerOpen", NULL, poller_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"closeFd", NULL, close_fd, NULL, NULL, NULL, napi_enumerable, NULL},
      {"bindUdp", NULL, bind_udp, NULL, NULL, NULL, napi_enumerable, NULL},
      {"localPort", NULL, local_port, NULL, NULL, NULL, napi_enumerable, NULL},
      {"drain", NULL, drain, NULL, NULL, NULL, napi_enumerable, NULL},
      {"send", NULL, send_batch, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  napi_value v;
  napi_create_uint32(env, BATCH, &v);
  napi_set_named_property(env, exports, "BATCH", v);
  return exports;
}
