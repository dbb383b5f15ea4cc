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
#include <linux/io_uring.h>
#include <netinet/in.h>
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
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

static int poll_add(int epfd, int fd, int32_t token) {
  struct epoll_event ev;
  memset(&ev, 0, sizeof ev);
  ev.events = EPOLLIN;
  ev.data.u64 = ((uint64_t)(uint32_t)token << 32) | (uint32_t)fd;
  return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

/*
 * bindUdp(epfd, host, port, token): binds a non-blocking IPv4 UDP socket to host:port (port 0:
 * any), adds it to the poller with `token` (epfd < 0: to none — the receive ring reads it), and
 * returns its fd, or -errno (EADDRINUSE: the caller tries the next port). No SO_REUSEADDR: like
 * dgram's `exclusive: true`.
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
  /* DF set and the path MTU not enforced (our datagrams are ≤ 512 bytes): the kernel then gives an
   * unfragmentable datagram IP ID 0 (RFC 6864) instead of hashing a shared ID table per packet
   * (__ip_select_ident: ~3 % of the worker at 1,000 monitored calls). Best effort. */
  int pmtu = IP_PMTUDISC_PROBE;
  setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof pmtu);
  if (bind(fd, (struct sockaddr *)&sin, sizeof sin) < 0) {
    int e = errno;
    close(fd);
    return int_value(env, -e);
  }
  if (epfd >= 0 && poll_add(epfd, fd, token) < 0) {
    int e = errno;
    close(fd);
    return int_value(env, -e);
  }
  return int_value(env, fd);
}

/* pollAdd(epfd, fd, token): puts a socket bound without a poller into one (0 or -errno). */
static napi_value poll_add_js(napi_env env, napi_callback_info info) {
  ARGS(3);
  int32_t epfd, fd, token;
  if (!get_i32(env, argv[0], &epfd) || !get_i32(env, argv[1], &fd) || !get_i32(env, argv[2], &token)) return NULL;
  return int_value(env, poll_add(epfd, fd, token) < 0 ? -errno : 0);
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
 * The syscall drain: epoll_wait(…, 0) rounds, recvmmsg per ready socket until EAGAIN. Datagrams
 * go to slots from *slot on and to meta entries from n on; returns the new n (or -errno if
 * epoll_wait failed before anything was read).
 */
static int drain_syscalls(int epfd, uint8_t *rx, int slotSize, uint32_t *meta, int n, int *slot, int maxPackets) {
  struct epoll_event events[EVENTS];
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  struct sockaddr_in from[BATCH];
  int s = *slot;
  int rounds = 0;
  while (s < maxPackets && rounds++ < 64) {
    int k = epoll_wait(epfd, events, EVENTS, 0);
    if (k < 0) {
      if (errno == EINTR) continue;
      if (n == 0) n = -errno;
      break;
    }
    for (int e = 0; e < k && s < maxPackets; e++) {
      int fd = (int)(uint32_t)events[e].data.u64;
      uint32_t token = (uint32_t)(events[e].data.u64 >> 32);
      int errors = 0;
      while (s < maxPackets) {
        int want = maxPackets - s < BATCH ? maxPackets - s : BATCH;
        for (int i = 0; i < want; i++) {
          iov[i].iov_base = rx + (size_t)(s + i) * (size_t)slotSize;
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
          m[1] = (uint32_t)((s + i) * slotSize);
          m[2] = msgs[i].msg_len > (unsigned)slotSize ? (uint32_t)slotSize : msgs[i].msg_len;
          m[3] = ntohl(from[i].sin_addr.s_addr);
          m[4] = ntohs(from[i].sin_port);
          m[5] = (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) ? FLAG_TRUNCATED : 0;
        }
        n += r;
        s += r;
        if (r < want) break; /* the socket had fewer than asked: drained */
      }
    }
    if (k < EVENTS) break; /* every ready socket was seen this round */
  }
  *slot = s;
  return n;
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
  int slot = 0;
  return int_value(env, drain_syscalls(epfd, rx, slotSize, meta, 0, &slot, maxPackets));
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

/*
 * io_uring path (kernel ≥ 5.19; raw syscalls and <linux/io_uring.h>, no liburing). Per system call
 * the kernel here pays a page-table switch (PTI) and retpolines, so one io_uring_enter for a whole
 * tick's receives (one RECVMSG per ready socket) and one for its sends (one SENDMSG per packet,
 * whatever socket it leaves from) replaces thousands of recvmmsg/sendmmsg calls. Every operation
 * carries MSG_DONTWAIT: it completes inline during the submit (data ready, or -EAGAIN) and never
 * arms a poll, so each call waits for exactly what it submitted. If completions ever fail to
 * arrive within a bound, the ring cancels everything, marks itself broken, and the caller falls
 * back to the recvmmsg/sendmmsg functions above.
 */
#ifdef IORING_ASYNC_CANCEL_ANY
#define HAVE_URING 1
#endif

#ifdef HAVE_URING
/* io_uring rounds per drain (one RECVMSG per readable socket each) before recvmmsg takes over. */
#define URING_ROUNDS 3

/* An io_uring instance's fd and its mapped submission and completion rings (both rings below). */
typedef struct {
  int fd;
  unsigned sq_entries, cq_entries;
  unsigned *sq_tail, *sq_mask, *cq_head, *cq_tail, *cq_mask;
  struct io_uring_sqe *sqes;
  struct io_uring_cqe *cqes;
  void *ring_ptr;
  size_t ring_len;
  void *sqe_ptr;
  size_t sqe_len;
} ring_map_t;

/* Maps the rings of io_uring `fd` (set up with `p`) into m, which takes the fd. 0 or an errno. */
static int ring_map(ring_map_t *m, int fd, const struct io_uring_params *p) {
  m->fd = fd;
  if (!(p->features & IORING_FEAT_SINGLE_MMAP) || !(p->features & IORING_FEAT_NODROP)) return ENOSYS;
  m->sq_entries = p->sq_entries;
  m->cq_entries = p->cq_entries;
  size_t sqLen = p->sq_off.array + p->sq_entries * sizeof(unsigned);
  size_t cqLen = p->cq_off.cqes + p->cq_entries * sizeof(struct io_uring_cqe);
  m->ring_len = sqLen > cqLen ? sqLen : cqLen;
  m->ring_ptr = mmap(NULL, m->ring_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQ_RING);
  if (m->ring_ptr == MAP_FAILED) {
    m->ring_ptr = NULL;
    return errno;
  }
  m->sqe_len = p->sq_entries * sizeof(struct io_uring_sqe);
  m->sqe_ptr = mmap(NULL, m->sqe_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQES);
  if (m->sqe_ptr == MAP_FAILED) {
    m->sqe_ptr = NULL;
    return errno;
  }
  uint8_t *base = m->ring_ptr;
  m->sq_tail = (unsigned *)(base + p->sq_off.tail);
  m->sq_mask = (unsigned *)(base + p->sq_off.ring_mask);
  unsigned *array = (unsigned *)(base + p->sq_off.array);
  for (unsigned i = 0; i < p->sq_entries; i++) array[i] = i;
  m->cq_head = (unsigned *)(base + p->cq_off.head);
  m->cq_tail = (unsigned *)(base + p->cq_off.tail);
  m->cq_mask = (unsigned *)(base + p->cq_off.ring_mask);
  m->cqes = (struct io_uring_cqe *)(base + p->cq_off.cqes);
  m->sqes = m->sqe_ptr;
  return 0;
}

/* Unmaps the rings and closes the fd (idempotent; the kernel cancels whatever is in flight). */
static void ring_unmap(ring_map_t *m) {
  if (m->sqe_ptr) munmap(m->sqe_ptr, m->sqe_len);
  if (m->ring_ptr) munmap(m->ring_ptr, m->ring_len);
  if (m->fd >= 0) close(m->fd);
  m->sqe_ptr = m->ring_ptr = NULL;
  m->fd = -1;
}

/* The next submission entry, zeroed and already counted in the tail (submitted by the next enter). */
static struct io_uring_sqe *ring_sqe(ring_map_t *m) {
  unsigned tail = *m->sq_tail;
  struct io_uring_sqe *sqe = &m->sqes[tail & *m->sq_mask];
  memset(sqe, 0, sizeof *sqe);
  __atomic_store_n(m->sq_tail, tail + 1, __ATOMIC_RELEASE);
  return sqe;
}

typedef struct {
  ring_map_t m;
  int broken;
  /* IORING_OP_SEND takes the destination in addr2/addr_len (Linux ≥ 6.10 … probed at open):
   * no msghdr/iovec to copy in per packet, ~15 % less kernel time per send here. */
  int sendto;
  /* Per-operation scratch, `m.sq_entries` each. */
  struct msghdr *hdr;
  struct iovec *iov;
  struct sockaddr_in *addr;
  struct epoll_event *events;
  int32_t *res;
} uring_t;

static void uring_free(uring_t *r) {
  ring_unmap(&r->m);
  free(r->hdr);
  free(r->iov);
  free(r->addr);
  free(r->events);
  free(r->res);
  free(r);
}

static void uring_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  uring_free((uring_t *)data);
}

/* Opens a ring of `entries` submissions; NULL with errno set on failure. */
static uring_t *uring_create(unsigned entries) {
  uring_t *r = calloc(1, sizeof *r);
  if (!r) return NULL;
  r->m.fd = -1;
  struct io_uring_params p;
  /* Newest flags first; older kernels refuse some (EINVAL): retry with fewer. */
  const unsigned flagSets[] = {
      IORING_SETUP_SUBMIT_ALL | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
      IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN,
      IORING_SETUP_SUBMIT_ALL,
  };
  int fd = -1, err = 0;
  for (size_t i = 0; i < sizeof flagSets / sizeof flagSets[0] && fd < 0; i++) {
    memset(&p, 0, sizeof p);
    p.flags = flagSets[i] | IORING_SETUP_CQSIZE;
    p.cq_entries = entries * 2;
    fd = (int)syscall(__NR_io_uring_setup, entries, &p);
    if (fd < 0) err = errno;
  }
  if (fd < 0) {
    free(r);
    errno = err;
    return NULL;
  }
  err = ring_map(&r->m, fd, &p);
  if (!err && !(p.features & IORING_FEAT_EXT_ARG)) err = ENOSYS;
  if (err) {
    uring_free(r);
    errno = err;
    return NULL;
  }
  r->hdr = calloc(r->m.sq_entries, sizeof *r->hdr);
  r->iov = calloc(r->m.sq_entries, sizeof *r->iov);
  r->addr = calloc(r->m.sq_entries, sizeof *r->addr);
  r->events = calloc(r->m.sq_entries, sizeof *r->events);
  r->res = calloc(r->m.sq_entries, sizeof *r->res);
  if (!r->hdr || !r->iov || !r->addr || !r->events || !r->res) {
    uring_free(r);
    errno = ENOMEM;
    return NULL;
  }
  return r;
}

static struct io_uring_sqe *uring_sqe(uring_t *r) {
  return ring_sqe(&r->m);
}

static int uring_enter(uring_t *r, unsigned submit, unsigned wait, long timeoutNs) {
  struct __kernel_timespec ts = {.tv_sec = timeoutNs / 1000000000L, .tv_nsec = timeoutNs % 1000000000L};
  struct io_uring_getevents_arg arg;
  memset(&arg, 0, sizeof arg);
  arg.ts = (uint64_t)(uintptr_t)&ts;
  int ret = (int)syscall(__NR_io_uring_enter, r->m.fd, submit, wait, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG,
                         &arg, sizeof arg);
  return ret < 0 ? -errno : ret;
}

/* Reaps completions into r->res[user_data]; returns how many. */
static unsigned uring_reap(uring_t *r) {
  unsigned head = *r->m.cq_head, tail = __atomic_load_n(r->m.cq_tail, __ATOMIC_ACQUIRE), n = 0;
  for (; head != tail; head++, n++) {
    const struct io_uring_cqe *c = &r->m.cqes[head & *r->m.cq_mask];
    if (c->user_data < r->m.sq_entries) r->res[c->user_data] = c->res;
  }
  __atomic_store_n(r->m.cq_head, head, __ATOMIC_RELEASE);
  return n;
}

/*
 * Submits the `k` prepared operations and waits until all have completed (they complete inline;
 * the bound — 200 ms in total — only guards against a kernel that arms a poll despite
 * MSG_DONTWAIT). On failure everything in flight is cancelled and the ring is marked broken.
 * Returns 0, or -errno.
 */
static int uring_run(uring_t *r, unsigned k) {
  unsigned done = 0, submitted = 0;
  int ret = uring_enter(r, k, k, 100000000L);
  int tries = 0;
  for (;;) {
    if (ret < 0 && ret != -EINTR && ret != -ETIME && ret != -EAGAIN && ret != -EBUSY) break;
    if (ret > 0) submitted += (unsigned)ret; /* the kernel may take fewer than offered (-EAGAIN…) */
    if (submitted > k) submitted = k;
    done += uring_reap(r);
    if (done >= k) return 0;
    if (++tries > 2) break;
    ret = uring_enter(r, k - submitted, k - done, 50000000L);
  }
  /* Should never happen: cancel whatever is still in flight, wait for it, give the ring up. */
  r->broken = 1;
  struct io_uring_sqe *sqe = uring_sqe(r);
  sqe->opcode = IORING_OP_ASYNC_CANCEL;
  sqe->fd = -1;
  sqe->cancel_flags = IORING_ASYNC_CANCEL_ANY;
  sqe->user_data = UINT64_MAX;
  uring_enter(r, k - submitted + 1, k - done + 1, 100000000L); /* anything never taken, then the cancel */
  uring_reap(r);
  return ret < 0 ? ret : -ETIME;
}

/* Does IORING_OP_SEND accept a destination address? A zero-length datagram to a socket of our own says. */
static int uring_probe_sendto(uring_t *r) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  struct sockaddr_in self;
  memset(&self, 0, sizeof self);
  self.sin_family = AF_INET;
  self.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof self;
  int ok = 0;
  if (bind(fd, (struct sockaddr *)&self, sizeof self) == 0 && getsockname(fd, (struct sockaddr *)&self, &len) == 0) {
    r->res[0] = -ECANCELED;
    struct io_uring_sqe *sqe = uring_sqe(r);
    sqe->opcode = IORING_OP_SEND;
    sqe->fd = fd;
    sqe->addr = (uint64_t)(uintptr_t)&self; /* any valid pointer: 0 bytes are read */
    sqe->len = 0;
    sqe->addr2 = (uint64_t)(uintptr_t)&self;
    sqe->addr_len = (uint16_t)sizeof self;
    sqe->msg_flags = MSG_DONTWAIT;
    sqe->user_data = 0;
    ok = uring_run(r, 1) == 0 && r->res[0] == 0;
  }
  close(fd);
  r->broken = 0; /* a failed probe only means: use SENDMSG */
  return ok;
}

static int get_uring(napi_env env, napi_value v, uring_t **out) {
  if (napi_get_value_external(env, v, (void **)out) != napi_ok || !*out) {
    napi_throw_type_error(env, NULL, "udp_batch: expected a ring");
    return 0;
  }
  return 1;
}

/* uringOpen(entries): a ring (an external), or -errno (io_uring disabled, old kernel, …). */
static napi_value uring_open(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t entries;
  if (!get_i32(env, argv[0], &entries)) return NULL;
  if (entries < 8 || entries > 32768) return int_value(env, -EINVAL);
  uring_t *r = uring_create((unsigned)entries);
  if (!r) return int_value(env, -errno);
  r->sendto = uring_probe_sendto(r);
  napi_value out;
  if (napi_create_external(env, r, uring_finalize, NULL, &out) != napi_ok) {
    uring_free(r);
    return int_value(env, -ENOMEM);
  }
  return out;
}

/* uringFeatures(ring): bit 0 = sends carry their destination in IORING_OP_SEND (else SENDMSG). */
static napi_value uring_features(napi_env env, napi_callback_info info) {
  ARGS(1);
  uring_t *r;
  if (!get_uring(env, argv[0], &r)) return NULL;
  return int_value(env, r->sendto ? 1 : 0);
}

/*
 * uringDrain(ring, epfd, rx, slotSize, meta, maxPackets): as drain(), with one RECVMSG per ready
 * socket per round, all of a round in one io_uring_enter; rounds repeat (epoll_wait(…, 0)) while
 * sockets stay readable and slots remain, up to URING_ROUNDS, then the sockets still readable (a
 * backlog) are read with recvmmsg. Returns the count, or -errno (-ECANCELED: the ring is
 * broken, use drain()).
 */
static napi_value uring_drain(napi_env env, napi_callback_info info) {
  ARGS(6);
  uring_t *r;
  int32_t epfd, slotSize, maxPackets;
  uint8_t *rx;
  uint32_t *meta;
  size_t rxLen, metaLen;
  if (!get_uring(env, argv[0], &r) || !get_i32(env, argv[1], &epfd) ||
      !get_array(env, argv[2], napi_uint8_array, (void **)&rx, &rxLen) || !get_i32(env, argv[3], &slotSize) ||
      !get_array(env, argv[4], napi_uint32_array, (void **)&meta, &metaLen) || !get_i32(env, argv[5], &maxPackets))
    return NULL;
  if (slotSize <= 0 || maxPackets < 0 || (size_t)maxPackets * (size_t)slotSize > rxLen ||
      (size_t)maxPackets * RX_WORDS > metaLen) {
    napi_throw_range_error(env, NULL, "udp_batch.uringDrain: buffers smaller than maxPackets slots");
    return NULL;
  }
  if (r->broken) return int_value(env, -ECANCELED);
  int n = 0;    /* datagrams delivered (meta entries) */
  int slot = 0; /* next free slot (a round's -EAGAIN leaves its slot unused) */
  int rounds = 0;
  for (; slot < maxPackets && rounds < URING_ROUNDS; rounds++) {
    int room = maxPackets - slot < (int)r->m.sq_entries ? maxPackets - slot : (int)r->m.sq_entries;
    int k = epoll_wait(epfd, r->events, room, 0);
    if (k < 0) {
      if (errno == EINTR) continue;
      return int_value(env, n > 0 ? n : -errno);
    }
    if (k == 0) break;
    for (int e = 0; e < k; e++) {
      int fd = (int)(uint32_t)r->events[e].data.u64;
      r->iov[e].iov_base = rx + (size_t)(slot + e) * (size_t)slotSize;
      r->iov[e].iov_len = (size_t)slotSize;
      struct msghdr *h = &r->hdr[e];
      memset(h, 0, sizeof *h);
      h->msg_name = &r->addr[e];
      h->msg_namelen = sizeof r->addr[e];
      h->msg_iov = &r->iov[e];
      h->msg_iovlen = 1;
      r->res[e] = -ECANCELED;
      struct io_uring_sqe *sqe = uring_sqe(r);
      sqe->opcode = IORING_OP_RECVMSG;
      sqe->fd = fd;
      sqe->addr = (uint64_t)(uintptr_t)h;
      sqe->len = 1;
      /* MSG_TRUNC: the result is the datagram's real length, so a cut one is recognised. */
      sqe->msg_flags = MSG_DONTWAIT | MSG_TRUNC;
      sqe->user_data = (uint64_t)e;
    }
    int ret = uring_run(r, (unsigned)k);
    for (int e = 0; e < k; e++) {
      int32_t len = r->res[e];
      if (len < 0) continue; /* -EAGAIN (spurious readiness), a queued ICMP error, a closed fd */
      uint32_t *m = meta + (size_t)n * RX_WORDS;
      m[0] = (uint32_t)(r->events[e].data.u64 >> 32);
      m[1] = (uint32_t)((slot + e) * slotSize);
      m[2] = len > slotSize ? (uint32_t)slotSize : (uint32_t)len;
      m[3] = ntohl(r->addr[e].sin_addr.s_addr);
      m[4] = ntohs(r->addr[e].sin_port);
      m[5] = len > slotSize ? FLAG_TRUNCATED : 0;
      n++;
    }
    slot += k;
    if (ret < 0) return int_value(env, n > 0 ? n : -ECANCELED);
  }
  /* A socket still readable after URING_ROUNDS holds a backlog: recvmmsg takes it 64 at a time. */
  if (rounds == URING_ROUNDS && slot < maxPackets) {
    int m = drain_syscalls(epfd, rx, slotSize, meta, n, &slot, maxPackets);
    if (m >= 0) n = m;
  }
  return int_value(env, n);
}

/*
 * uringSend(ring, tx, meta, count): as send(), one SEND with its destination (or SENDMSG where the
 * kernel does not take an address with SEND) per packet, up to a ring's worth per
 * io_uring_enter. Returns the number sent, or -ECANCELED if the ring is broken before anything
 * was submitted (use send()).
 */
static napi_value uring_send(napi_env env, napi_callback_info info) {
  ARGS(4);
  uring_t *r;
  uint8_t *tx;
  uint32_t *meta;
  size_t txLen, metaLen;
  int32_t count;
  if (!get_uring(env, argv[0], &r) || !get_array(env, argv[1], napi_uint8_array, (void **)&tx, &txLen) ||
      !get_array(env, argv[2], napi_uint32_array, (void **)&meta, &metaLen) || !get_i32(env, argv[3], &count))
    return NULL;
  if (count < 0 || (size_t)count * TX_WORDS > metaLen) {
    napi_throw_range_error(env, NULL, "udp_batch.uringSend: meta smaller than count packets");
    return NULL;
  }
  if (r->broken) return int_value(env, -ECANCELED);
  int sent = 0;
  for (int i = 0; i < count && !r->broken;) {
    int k = count - i < (int)r->m.sq_entries ? count - i : (int)r->m.sq_entries;
    for (int j = 0; j < k; j++) {
      const uint32_t *m = meta + (size_t)(i + j) * TX_WORDS;
      size_t off = m[1], len = m[2];
      if (off > txLen || len > txLen - off) len = 0, off = 0; /* out of range: send nothing */
      r->iov[j].iov_base = tx + off;
      r->iov[j].iov_len = len;
      struct sockaddr_in *to = &r->addr[j];
      memset(to, 0, sizeof *to);
      to->sin_family = AF_INET;
      to->sin_addr.s_addr = htonl(m[3]);
      to->sin_port = htons((uint16_t)m[4]);
      r->res[j] = -ECANCELED;
      struct io_uring_sqe *sqe = uring_sqe(r);
      if (r->sendto) {
        sqe->opcode = IORING_OP_SEND;
        sqe->addr = (uint64_t)(uintptr_t)(tx + off);
        sqe->len = (uint32_t)len;
        sqe->addr2 = (uint64_t)(uintptr_t)to;
        sqe->addr_len = (uint16_t)sizeof *to;
      } else {
        struct msghdr *h = &r->hdr[j];
        memset(h, 0, sizeof *h);
        h->msg_name = to;
        h->msg_namelen = sizeof *to;
        h->msg_iov = &r->iov[j];
        h->msg_iovlen = 1;
        sqe->opcode = IORING_OP_SENDMSG;
        sqe->addr = (uint64_t)(uintptr_t)h;
        sqe->len = 1;
      }
      sqe->fd = (int32_t)m[0];
      sqe->msg_flags = MSG_DONTWAIT; /* a full send buffer drops the packet (-EAGAIN), never waits */
      sqe->user_data = (uint64_t)j;
    }
    uring_run(r, (unsigned)k);
    for (int j = 0; j < k; j++)
      if (r->res[j] >= 0) sent++;
    i += k;
  }
  return int_value(env, sent);
}
/*
 * The receive ring: multishot RECVMSG with provided buffers (Linux ≥ 6.0). Each socket has one
 * request armed for its lifetime; the kernel reads every datagram that arrives into a buffer of
 * its own choosing (slot `bid` of the JS receive buffer, registered as a buffer ring) and posts a
 * completion. A tick then costs one io_uring_enter and a walk over the completions: no epoll_wait
 * (whose per-socket readiness check cost ~0.5 µs per datagram here), no submission per datagram,
 * no msghdr copied in per datagram.
 *
 * Slot layout (what the kernel writes): struct io_uring_recvmsg_out (16 bytes), the source
 * address (sockaddr_in, 16 bytes), then the payload: payload at +32, 4-byte aligned like the
 * slots. Buffers go back to the kernel one drain later (the JS side has read them by then): the
 * ring entries never change (position p holds slot p) and the kernel consumes them in order, so
 * giving the k oldest back is `tail += k`.
 *
 * COOP_TASKRUN: an arrival queues task work on the worker thread without an IPI; it runs at the
 * thread's next system call (the drain's io_uring_enter at the latest). A request whose multishot
 * ends (buffers ran out under overload: -ENOBUFS; cancelled at close: -ECANCELED; an error) is
 * reported to JS as an entry with FLAG_ENDED, which re-arms it or frees its token.
 */
#define RX_HDR 32
#define FLAG_ENDED 2u
#define RX_BGID 7
#define RX_CANCEL_TAG UINT64_MAX

typedef struct {
  ring_map_t m;
  struct io_uring_buf_ring *br;
  unsigned nbufs;
  uint16_t tail;
  unsigned pending; /* buffers handed to JS by the last drain, returned by the next one */
  uint8_t *mem;     /* the JS receive buffer (kept alive by `ref`) */
  size_t slotSize;
  napi_ref ref;
  struct msghdr hdr; /* read by the kernel when a request is armed (it keeps its own copy) */
} rxring_t;

static void rxring_free(napi_env env, rxring_t *r) {
  ring_unmap(&r->m); /* the kernel cancels whatever is still armed */
  free(r->br);
  if (env && r->ref) napi_delete_reference(env, r->ref);
  free(r);
}

static void rxring_finalize(napi_env env, void *data, void *hint) {
  (void)hint;
  rxring_free(env, (rxring_t *)data);
}

static struct io_uring_sqe *rx_sqe(rxring_t *r) {
  return ring_sqe(&r->m);
}

static int rx_enter(rxring_t *r, unsigned submit) {
  for (int tries = 0; tries < 4; tries++) {
    int ret = (int)syscall(__NR_io_uring_enter, r->m.fd, submit, 0, IORING_ENTER_GETEVENTS, NULL, 0);
    if (ret >= 0) return ret;
    if (errno != EINTR && errno != EAGAIN && errno != EBUSY) return -errno;
  }
  return -EAGAIN;
}

static void rx_prep_arm(rxring_t *r, int fd, uint32_t token) {
  struct io_uring_sqe *sqe = rx_sqe(r);
  sqe->opcode = IORING_OP_RECVMSG;
  sqe->fd = fd;
  sqe->addr = (uint64_t)(uintptr_t)&r->hdr;
  sqe->len = 1;
  sqe->ioprio = IORING_RECV_MULTISHOT;
  sqe->flags = IOSQE_BUFFER_SELECT;
  sqe->buf_group = RX_BGID;
  /* MSG_TRUNC: payloadlen is the datagram's real length, so a cut one is recognised. */
  sqe->msg_flags = MSG_TRUNC;
  sqe->user_data = token;
}

/* Arms `count` sockets (fd, token pairs), a submission queue's worth per io_uring_enter. 0 or -errno. */
static int rx_arm_many(rxring_t *r, const int32_t *pairs, int count) {
  for (int i = 0; i < count;) {
    int k = count - i < (int)r->m.sq_entries ? count - i : (int)r->m.sq_entries;
    for (int j = 0; j < k; j++) rx_prep_arm(r, pairs[2 * (i + j)], (uint32_t)pairs[2 * (i + j) + 1]);
    int ret = rx_enter(r, (unsigned)k);
    if (ret < 0) return ret;
    if (ret != k) return -EAGAIN;
    i += k;
  }
  return 0;
}

static int rx_arm(rxring_t *r, int fd, uint32_t token) {
  int32_t pair[2] = {fd, (int32_t)token};
  return rx_arm_many(r, pair, 1);
}

static int rx_cancel(rxring_t *r, int fd) {
  struct io_uring_sqe *sqe = rx_sqe(r);
  sqe->opcode = IORING_OP_ASYNC_CANCEL;
  sqe->fd = fd;
  sqe->cancel_flags = IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ALL;
  sqe->user_data = RX_CANCEL_TAG;
  /* The enter runs the cancellation's task work on return, so the request lets go of the socket
   * (its file reference) before the caller closes the fd: the port is free once close() returns. */
  int ret = rx_enter(r, 1);
  return ret == 1 ? 0 : ret < 0 ? ret : -EAGAIN;
}

/* Gives back the buffers of the last drain, then reaps up to `max` completions into meta. */
static int rx_reap(rxring_t *r, uint32_t *meta, int max) {
  if (r->pending) {
    r->tail = (uint16_t)(r->tail + r->pending);
    __atomic_store_n(&r->br->tail, r->tail, __ATOMIC_RELEASE);
    r->pending = 0;
  }
  unsigned head = *r->m.cq_head, tail = __atomic_load_n(r->m.cq_tail, __ATOMIC_ACQUIRE);
  int n = 0;
  for (; head != tail && n < max; head++) {
    const struct io_uring_cqe *c = &r->m.cqes[head & *r->m.cq_mask];
    if (c->user_data == RX_CANCEL_TAG) continue;
    uint32_t token = (uint32_t)c->user_data;
    /* A completion reports at most two entries (its datagram, then its end): take it only whole. */
    int entries = ((c->flags & IORING_CQE_F_BUFFER) ? 1 : 0) + ((c->flags & IORING_CQE_F_MORE) ? 0 : 1);
    if (n + entries > max) break;
    if (c->flags & IORING_CQE_F_BUFFER) {
      unsigned bid = c->flags >> IORING_CQE_BUFFER_SHIFT;
      r->pending++;
      if (bid < r->nbufs && c->res >= RX_HDR) {
        const uint8_t *slot = r->mem + (size_t)bid * r->slotSize;
        struct io_uring_recvmsg_out out;
        struct sockaddr_in from;
        memcpy(&out, slot, sizeof out);
        memcpy(&from, slot + sizeof out, sizeof from);
        uint32_t room = (uint32_t)(r->slotSize - RX_HDR);
        uint32_t *m = meta + (size_t)n * RX_WORDS;
        m[0] = token;
        m[1] = (uint32_t)((size_t)bid * r->slotSize + RX_HDR);
        m[2] = out.payloadlen > room ? room : out.payloadlen;
        m[3] = out.namelen >= sizeof from ? ntohl(from.sin_addr.s_addr) : 0;
        m[4] = out.namelen >= sizeof from ? ntohs(from.sin_port) : 0;
        m[5] = (out.flags & MSG_TRUNC) || out.payloadlen > room ? FLAG_TRUNCATED : 0;
        n++;
      }
    }
    if (!(c->flags & IORING_CQE_F_MORE)) {
      uint32_t *m = meta + (size_t)n * RX_WORDS;
      m[0] = token;
      m[1] = 0;
      m[2] = c->res < 0 ? (uint32_t)-c->res : 0;
      m[3] = m[4] = 0;
      m[5] = FLAG_ENDED;
      n++;
    }
  }
  __atomic_store_n(r->m.cq_head, head, __ATOMIC_RELEASE);
  return n;
}

/* One multishot request on a socket of its own, one datagram sent to it, then cancelled: does
 * this kernel deliver through the buffer ring? 0, or -errno. */
static int rx_probe(rxring_t *r) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  struct sockaddr_in self;
  memset(&self, 0, sizeof self);
  self.sin_family = AF_INET;
  self.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof self;
  int ok = -EOPNOTSUPP;
  uint32_t meta[4 * RX_WORDS];
  if (bind(fd, (struct sockaddr *)&self, sizeof self) == 0 && getsockname(fd, (struct sockaddr *)&self, &len) == 0 &&
      rx_arm(r, fd, 0) == 0) {
    const uint8_t probe[3] = {0xE5, 0x17, 0x01};
    if (sendto(fd, probe, sizeof probe, 0, (struct sockaddr *)&self, sizeof self) == (ssize_t)sizeof probe) {
      for (int i = 0; i < 3 && ok != 0; i++) {
        rx_enter(r, 0);
        int n = rx_reap(r, meta, 4);
        if (n >= 1 && !(meta[5] & FLAG_ENDED) && meta[2] == sizeof probe && meta[4] == ntohs(self.sin_port) &&
            memcmp(r->mem + meta[1], probe, sizeof probe) == 0)
          ok = 0;
        else if (n >= 1)
          break;
      }
    }
    rx_cancel(r, fd);
    for (int i = 0; i < 3; i++) {
      rx_enter(r, 0);
      int n = rx_reap(r, meta, 4);
      if (n > 0 && (meta[(size_t)(n - 1) * RX_WORDS + 5] & FLAG_ENDED)) break;
    }
  }
  close(fd);
  rx_reap(r, meta, 0); /* give the probe's buffer back */
  return ok;
}

/* rxOpen(rx, slotSize, slots): a receive ring over `slots` slots of `rx` (a power of two ≤ 32768),
 * or -errno (kernel without multishot receive or buffer rings, io_uring disabled…). */
static napi_value rx_open(napi_env env, napi_callback_info info) {
  ARGS(3);
  uint8_t *mem;
  size_t memLen;
  int32_t slotSize, slots;
  if (!get_array(env, argv[0], napi_uint8_array, (void **)&mem, &memLen) || !get_i32(env, argv[1], &slotSize) ||
      !get_i32(env, argv[2], &slots))
    return NULL;
  if (slots < 1 || slots > 32768 || (slots & (slots - 1)) != 0 || slotSize < RX_HDR + 16 || slotSize % 4 != 0 ||
      slotSize > 65535 || (size_t)slots * (size_t)slotSize > memLen || ((uintptr_t)mem & 3) != 0)
    return int_value(env, -EINVAL);
  rxring_t *r = calloc(1, sizeof *r);
  if (!r) return int_value(env, -ENOMEM);
  r->m.fd = -1;
  struct io_uring_params p;
  memset(&p, 0, sizeof p);
  p.flags = IORING_SETUP_SUBMIT_ALL | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_CQSIZE;
  /* Room for every buffer's completion plus one final completion per socket (overload, close). */
  p.cq_entries = 65536;
  /* 1,024 submissions: re-arming many sockets at once (after an overload) takes one enter. */
  int fd = (int)syscall(__NR_io_uring_setup, 1024, &p);
  if (fd < 0) {
    int e = errno;
    free(r);
    return int_value(env, -e);
  }
  int err = ring_map(&r->m, fd, &p);
  if (!err) {
    r->mem = mem;
    r->slotSize = (size_t)slotSize;
    r->nbufs = (unsigned)slots;
    size_t brLen = (size_t)slots * sizeof(struct io_uring_buf);
    if (posix_memalign((void **)&r->br, 4096, brLen < 4096 ? 4096 : brLen) != 0) r->br = NULL, err = ENOMEM;
  }
  if (!err) {
    memset(r->br, 0, (size_t)slots * sizeof(struct io_uring_buf));
    for (unsigned i = 0; i < r->nbufs; i++) {
      struct io_uring_buf *b = &r->br->bufs[i];
      b->addr = (uint64_t)(uintptr_t)(mem + (size_t)i * r->slotSize);
      b->len = (uint32_t)slotSize;
      b->bid = (uint16_t)i;
    }
    struct io_uring_buf_reg reg;
    memset(&reg, 0, sizeof reg);
    reg.ring_addr = (uint64_t)(uintptr_t)r->br;
    reg.ring_entries = r->nbufs;
    reg.bgid = RX_BGID;
    if (syscall(__NR_io_uring_register, fd, IORING_REGISTER_PBUF_RING, &reg, 1) < 0) err = errno;
  }
  if (!err) {
    r->tail = (uint16_t)r->nbufs;
    __atomic_store_n(&r->br->tail, r->tail, __ATOMIC_RELEASE);
    memset(&r->hdr, 0, sizeof r->hdr);
    r->hdr.msg_namelen = sizeof(struct sockaddr_in);
    int e = rx_probe(r);
    if (e < 0) err = -e;
  }
  if (!err && napi_create_reference(env, argv[0], 1, &r->ref) != napi_ok) err = ENOMEM;
  napi_value out;
  if (!err && napi_create_external(env, r, rxring_finalize, NULL, &out) != napi_ok) err = ENOMEM;
  if (err) {
    rxring_free(env, r);
    return int_value(env, -err);
  }
  return out;
}

static int get_rx(napi_env env, napi_value v, rxring_t **out) {
  if (napi_get_value_external(env, v, (void **)out) != napi_ok || !*out) {
    napi_throw_type_error(env, NULL, "udp_batch: expected a receive ring");
    return 0;
  }
  return 1;
}

/*
 * rxArm(ring, pairs, count): one multishot receive on each of `count` sockets — pairs[2i] = fd,
 * pairs[2i + 1] = the token its completions carry — in as few io_uring_enter calls as the
 * submission queue allows. 0 or -errno.
 */
static napi_value rx_arm_js(napi_env env, napi_callback_info info) {
  ARGS(3);
  rxring_t *r;
  int32_t *pairs;
  size_t pairsLen;
  int32_t count;
  if (!get_rx(env, argv[0], &r)) return NULL;
  napi_typedarray_type type;
  napi_value ab;
  size_t off;
  if (napi_get_typedarray_info(env, argv[1], &type, &pairsLen, (void **)&pairs, &ab, &off) != napi_ok ||
      type != napi_int32_array) {
    napi_throw_type_error(env, NULL, "udp_batch: expected an Int32Array");
    return NULL;
  }
  if (!get_i32(env, argv[2], &count)) return NULL;
  if (count < 0 || (size_t)count * 2 > pairsLen) {
    napi_throw_range_error(env, NULL, "udp_batch.rxArm: pairs shorter than count");
    return NULL;
  }
  if (r->m.fd < 0) return int_value(env, -EBADF);
  return int_value(env, rx_arm_many(r, pairs, count));
}

/* rxCancel(ring, fd): cancels the socket's receive (call before closing the fd). 0 or -errno. */
static napi_value rx_cancel_js(napi_env env, napi_callback_info info) {
  ARGS(2);
  rxring_t *r;
  int32_t fd;
  if (!get_rx(env, argv[0], &r) || !get_i32(env, argv[1], &fd)) return NULL;
  if (r->m.fd < 0) return int_value(env, -EBADF);
  return int_value(env, rx_cancel(r, fd));
}

/*
 * rxDrain(ring, meta, max): gives back the last drain's buffers, runs the arrivals' task work (one
 * io_uring_enter) and reports up to `max` entries: meta[6i …] = token, offset, length, address,
 * port, flags as drain() — or, with FLAG_ENDED, the end of that token's receive (length = errno).
 * Completions beyond `max` wait for the next call (one needing two entries, its datagram and its
 * end, is taken only whole: `max` ≥ 2 always makes progress). Returns the count, or -errno.
 */
static napi_value rx_drain(napi_env env, napi_callback_info info) {
  ARGS(3);
  rxring_t *r;
  uint32_t *meta;
  size_t metaLen;
  int32_t max;
  if (!get_rx(env, argv[0], &r) || !get_array(env, argv[1], napi_uint32_array, (void **)&meta, &metaLen) ||
      !get_i32(env, argv[2], &max))
    return NULL;
  if (max < 0 || (size_t)max * RX_WORDS > metaLen) {
    napi_throw_range_error(env, NULL, "udp_batch.rxDrain: meta smaller than max entries");
    return NULL;
  }
  if (r->m.fd < 0) return int_value(env, -EBADF);
  int ret = rx_enter(r, 0);
  if (ret < 0) return int_value(env, ret);
  return int_value(env, rx_reap(r, meta, max));
}

/* rxClose(ring): cancels everything and closes the ring (idempotent); the slots are then free. */
static napi_value rx_close(napi_env env, napi_callback_info info) {
  ARGS(1);
  rxring_t *r;
  if (!get_rx(env, argv[0], &r)) return NULL;
  if (r->m.fd >= 0) {
    close(r->m.fd);
    r->m.fd = -1;
  }
  return int_value(env, 0);
}
#endif

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"pollerOpen", NULL, poller_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"closeFd", NULL, close_fd, NULL, NULL, NULL, napi_enumerable, NULL},
      {"bindUdp", NULL, bind_udp, NULL, NULL, NULL, napi_enumerable, NULL},
      {"localPort", NULL, local_port, NULL, NULL, NULL, napi_enumerable, NULL},
      {"drain", NULL, drain, NULL, NULL, NULL, napi_enumerable, NULL},
      {"pollAdd", NULL, poll_add_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"send", NULL, send_batch, NULL, NULL, NULL, napi_enumerable, NULL},
#ifdef HAVE_URING
      {"uringOpen", NULL, uring_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"uringDrain", NULL, uring_drain, NULL, NULL, NULL, napi_enumerable, NULL},
      {"uringSend", NULL, uring_send, NULL, NULL, NULL, napi_enumerable, NULL},
      {"uringFeatures", NULL, uring_features, NULL, NULL, NULL, napi_enumerable, NULL},
      {"rxOpen", NULL, rx_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"rxArm", NULL, rx_arm_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"rxCancel", NULL, rx_cancel_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"rxDrain", NULL, rx_drain, NULL, NULL, NULL, napi_enumerable, NULL},
      {"rxClose", NULL, rx_close, NULL, NULL, NULL, napi_enumerable, NULL},
#endif
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  napi_value v;
  napi_create_uint32(env, BATCH, &v);
  napi_set_named_property(env, exports, "BATCH", v);
  return exports;
}
