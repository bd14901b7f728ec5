// spanless_udp: batched UDP receive (recvmmsg) and send (sendmmsg) for the live sensor.
//
// C against node_api.h only (NAPI_VERSION 8): one build loads in every Node.js version that has
// Node-API 8, so the addon built with any installed headers serves the Node 24 runtime. Linux only
// (recvmmsg, SO_RXQ_OVFL, SO_TIMESTAMPNS). The TypeScript side is sensor-ami/src/capture/udp/native.ts.
//
// Exports:
//   MAX_BATCH_DATAGRAMS, DATAGRAM_SLOT_BYTES     the constants this build was compiled with
//                                                (native.ts checks them against types.ts)
//   open(host: string, port: number, receiveBufferBytes: number, reusePort: boolean)
//     -> { handle, port, family: 4 | 6, receiveBufferBytes }
//     A non-blocking UDP socket bound to host:port (an IP literal; IPv6 is dual-stack only for
//     "::"), SO_REUSEPORT when asked (no SO_REUSEADDR: see js_open), SO_RCVBUFFORCE then SO_RCVBUF when
//     receiveBufferBytes > 0 (the granted size is read back), SO_TIMESTAMPNS and SO_RXQ_OVFL.
//   start(handle, batch, counters: Float64Array, onBatch: (count: number) => void) -> undefined
//     Polls the socket on the calling thread's libuv loop. When readable, drains it with
//     recvmmsg(MSG_DONTWAIT | MSG_TRUNC) in batches of up to MAX_BATCH_DATAGRAMS, each datagram
//     in its own DATAGRAM_SLOT_BYTES slot of batch.data, filling batch.offsets/lengths/
//     wireLengths/timestamps/srcAddrs/srcFamilies/srcPorts (the ReceiveBatch of types.ts), and
//     calls onBatch(count) once per batch; at most MAX_BATCHES_PER_EVENT batches per readable
//     event, so the loop stays responsive (the poll is level-triggered: the rest follows on the
//     next turn). counters[0] = the socket's drop count (SO_RXQ_OVFL, running), counters[1] =
//     recvmmsg calls that returned datagrams, counters[2] = receive errors other than EAGAIN.
//   setDestination(handle, host: string, port: number) -> undefined
//   send(handle, data: Buffer, offsets: Uint32Array, lengths: Uint32Array, count: number) -> number
//     sendmmsg of datagrams i < count (data[offsets[i], offsets[i] + lengths[i])) to the
//     destination; returns how many the kernel took (fewer when the socket buffer is full).
//   close(handle) -> undefined
//     Stops polling and closes the socket: no onBatch call follows (also when called inside one).
//
// Errors are JS Errors with `code` (the errno name), `errno`, `syscall` and a message that says
// what to do, e.g. "bind 0.0.0.0:4789: EADDRINUSE — another process is listening on this port".

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#define MAX_BATCH_DATAGRAMS 64
#define DATAGRAM_SLOT_BYTES 9216
#define MAX_BATCHES_PER_EVENT 16
#define CONTROL_BYTES 64
#define SEND_CHUNK 256

#ifndef SO_RXQ_OVFL
#define SO_RXQ_OVFL 40
#endif
#ifndef SO_RCVBUFFORCE
#define SO_RCVBUFFORCE 33
#endif

typedef struct {
  int fd;
  int family;
  napi_env env;
  uv_poll_t poll;
  int poll_init;
  int started;
  int closed;
  int in_drain;
  int js_released;
  int finalized;
  int handle_closed;
  int cleanup_hook;
  napi_ref self_ref;
  napi_ref batch_ref;
  napi_ref cb_ref;
  napi_async_context async_ctx;
  uint8_t* data;
  uint32_t* offsets;
  uint32_t* lengths;
  uint32_t* wire;
  double* timestamps;
  uint32_t* addrs;
  uint8_t* families;
  uint16_t* ports;
  double* counters;
  struct mmsghdr msgs[MAX_BATCH_DATAGRAMS];
  struct iovec iov[MAX_BATCH_DATAGRAMS];
  struct sockaddr_storage names[MAX_BATCH_DATAGRAMS];
  union {
    char buf[CONTROL_BYTES];
    struct cmsghdr align;
  } control[MAX_BATCH_DATAGRAMS];
  struct sockaddr_storage dest;
  socklen_t dest_len;
} sock_t;

// ---- errors ---------------------------------------------------------------------------------

static const char* errno_name(int e) {
  switch (e) {
    case EADDRINUSE: return "EADDRINUSE";
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case EINVAL: return "EINVAL";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case ENOBUFS: return "ENOBUFS";
    case ENOMEM: return "ENOMEM";
    case EAGAIN: return "EAGAIN";
    case ECONNREFUSED: return "ECONNREFUSED";
    case EMSGSIZE: return "EMSGSIZE";
    case ENETUNREACH: return "ENETUNREACH";
    case EHOSTUNREACH: return "EHOSTUNREACH";
    case EBADF: return "EBADF";
    case ENOTSOCK: return "ENOTSOCK";
    case EINTR: return "EINTR";
    case ENOPROTOOPT: return "ENOPROTOOPT";
    case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
    default: return NULL;
  }
}

static const char* errno_hint(int e) {
  switch (e) {
    case EADDRINUSE: return "another process is listening on this port (stop it, or start every listener with reusePort)";
    case EADDRNOTAVAIL: return "no interface of this machine has that address";
    case EACCES: return "ports below 1024 need root or CAP_NET_BIND_SERVICE";
    case EPERM: return "the operation is not permitted for this user";
    case EAFNOSUPPORT: return "the kernel has no support for this address family (is IPv6 disabled?)";
    case EMFILE: return "this process has too many open files (raise the limit: ulimit -n)";
    case ENFILE: return "the system has too many open files";
    case ENOBUFS: return "the kernel is out of socket buffer memory";
    case ENOMEM: return "the kernel is out of memory";
    case EMSGSIZE: return "a datagram is larger than UDP allows (65507 bytes over IPv4)";
    case ENETUNREACH: return "no route to that network";
    case EHOSTUNREACH: return "no route to that host";
    default: return NULL;
  }
}

/** Throws an Error for errno `e` of `syscall` on `what` (e.g. "bind 0.0.0.0:4789"). */
static void throw_errno(napi_env env, int e, const char* syscall, const char* what) {
  char code[32];
  const char* name = errno_name(e);
  if (name == NULL) {
    snprintf(code, sizeof code, "E%d", e);
    name = code;
  }
  const char* hint = errno_hint(e);
  char msg[512];
  snprintf(msg, sizeof msg, "%s: %s — %s", what, name, hint != NULL ? hint : strerror(e));
  napi_value jcode, jmsg, err, jerrno, jsys;
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &jcode);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &jmsg);
  napi_create_error(env, jcode, jmsg, &err);
  napi_create_int32(env, -e, &jerrno);
  napi_set_named_property(env, err, "errno", jerrno);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &jsys);
  napi_set_named_property(env, err, "syscall", jsys);
  napi_throw(env, err);
}

#define CHECK(call)                                                   \
  do {                                                                \
    if ((call) != napi_ok) {                                          \
      bool pending = false;                                           \
      napi_is_exception_pending(env, &pending);                       \
      if (!pending) napi_throw_error(env, NULL, "spanless_udp: " #call " failed"); \
      return NULL;                                                    \
    }                                                                 \
  } while (0)

// ---- arguments ------------------------------------------------------------------------------

static int parse_address(napi_env env, napi_value jhost, uint32_t port, struct sockaddr_storage* ss,
                         socklen_t* len, char* text, size_t text_len) {
  char host[INET6_ADDRSTRLEN + 1];
  size_t n = 0;
  if (napi_get_value_string_utf8(env, jhost, host, sizeof host, &n) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "host must be a string");
    return -1;
  }
  if (port > 65535) {
    napi_throw_range_error(env, "ERR_SOCKET_BAD_PORT", "port must be 0-65535");
    return -1;
  }
  memset(ss, 0, sizeof *ss);
  struct sockaddr_in* a4 = (struct sockaddr_in*)ss;
  struct sockaddr_in6* a6 = (struct sockaddr_in6*)ss;
  if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)port);
    *len = sizeof *a4;
    snprintf(text, text_len, "%s:%u", host, port);
    return 0;
  }
  if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons((uint16_t)port);
    *len = sizeof *a6;
    snprintf(text, text_len, "[%s]:%u", host, port);
    return 0;
  }
  char msg[128];
  snprintf(msg, sizeof msg, "\"%s\" is not an IPv4 or IPv6 address", host);
  napi_throw_type_error(env, "ERR_INVALID_IP_ADDRESS", msg);
  return -1;
}

static sock_t* get_sock(napi_env env, napi_value v) {
  void* p = NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok || p == NULL) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "not a spanless_udp socket handle");
    return NULL;
  }
  return (sock_t*)p;
}

static void* typed_array_data(napi_env env, napi_value obj, const char* name, napi_typedarray_type want,
                              size_t min_len) {
  napi_value v;
  bool is_ta = false;
  if (napi_get_named_property(env, obj, name, &v) != napi_ok || napi_is_typedarray(env, v, &is_ta) != napi_ok ||
      !is_ta) {
    char msg[96];
    snprintf(msg, sizeof msg, "batch.%s must be a typed array", name);
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
    return NULL;
  }
  napi_typedarray_type type;
  size_t len;
  void* data;
  napi_get_typedarray_info(env, v, &type, &len, &data, NULL, NULL);
  if (type != want || len < min_len) {
    char msg[128];
    snprintf(msg, sizeof msg, "batch.%s has the wrong type or fewer than %zu elements", name, min_len);
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", msg);
    return NULL;
  }
  return data;
}

// ---- lifetime -------------------------------------------------------------------------------

static void maybe_free(sock_t* s) {
  if (s->finalized && s->handle_closed) free(s);
}

static void on_handle_closed(uv_handle_t* h) {
  sock_t* s = (sock_t*)h->data;
  s->handle_closed = 1;
  maybe_free(s);
}

/** Drops the JS references held while started (not from inside a drain: the drain does it after). */
static void release_js(sock_t* s) {
  if (s->js_released) return;
  s->js_released = 1;
  napi_env env = s->env;
  if (s->cb_ref) napi_delete_reference(env, s->cb_ref);
  if (s->batch_ref) napi_delete_reference(env, s->batch_ref);
  if (s->async_ctx) napi_async_destroy(env, s->async_ctx);
  napi_ref self = s->self_ref;
  s->cb_ref = s->batch_ref = s->self_ref = NULL;
  s->async_ctx = NULL;
  if (self) napi_delete_reference(env, self);  // may let the external be collected: last
}

static void cleanup_hook(void* arg);

static void do_close(sock_t* s, int from_hook) {
  if (s->closed) return;
  s->closed = 1;
  if (s->poll_init) {
    uv_poll_stop(&s->poll);
    uv_close((uv_handle_t*)&s->poll, on_handle_closed);
  } else {
    s->handle_closed = 1;
  }
  if (s->fd >= 0) {
    close(s->fd);
    s->fd = -1;
  }
  if (s->cleanup_hook && !from_hook) napi_remove_env_cleanup_hook(s->env, cleanup_hook, s);
  s->cleanup_hook = 0;
  if (s->started && !s->in_drain) release_js(s);
}

/** The environment (a worker thread, or the main thread at exit) goes away without close(). */
static void cleanup_hook(void* arg) {
  sock_t* s = (sock_t*)arg;
  s->cleanup_hook = 0;
  do_close(s, 1);
}

static void finalize_sock(napi_env env, void* data, void* hint) {
  sock_t* s = (sock_t*)data;
  if (!s->closed) do_close(s, 0);
  s->finalized = 1;
  maybe_free(s);
}

// ---- open -----------------------------------------------------------------------------------

static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint32_t port = 0;
  int64_t rcvbuf = 0;
  bool reuse_port = false;
  if (argc < 4 || napi_get_value_uint32(env, argv[1], &port) != napi_ok ||
      napi_get_value_int64(env, argv[2], &rcvbuf) != napi_ok || napi_get_value_bool(env, argv[3], &reuse_port) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE",
                          "open(host: string, port: number, receiveBufferBytes: number, reusePort: boolean)");
    return NULL;
  }
  struct sockaddr_storage addr;
  socklen_t addr_len;
  char where[INET6_ADDRSTRLEN + 16];
  if (parse_address(env, argv[0], port, &addr, &addr_len, where, sizeof where) != 0) return NULL;
  int family = addr.ss_family;
  char what[sizeof where + 32];

  int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    snprintf(what, sizeof what, "socket for %s", where);
    throw_errno(env, errno, "socket", what);
    return NULL;
  }
  int one = 1, zero = 0;
  if (family == AF_INET6) {
    int any = IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6*)&addr)->sin6_addr);
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, any ? &zero : &one, sizeof one);
  }
  // No SO_REUSEADDR: on Linux it lets a second UDP socket bind the same port and silently take
  // its datagrams (no TIME_WAIT to skip for UDP); a second listener must fail with EADDRINUSE.
  // Sharing a port between our own sockets is what SO_REUSEPORT (reusePort) is for.
  if (reuse_port && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
    int e = errno;
    close(fd);
    snprintf(what, sizeof what, "SO_REUSEPORT on %s", where);
    throw_errno(env, e, "setsockopt", what);
    return NULL;
  }
  if (rcvbuf > 0) {
    int want = rcvbuf > 0x3fffffff ? 0x3fffffff : (int)rcvbuf;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &want, sizeof want) != 0 &&
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof want) != 0) {
      int e = errno;
      close(fd);
      snprintf(what, sizeof what, "SO_RCVBUF on %s", where);
      throw_errno(env, e, "setsockopt", what);
      return NULL;
    }
  }
  int granted = 0;
  socklen_t glen = sizeof granted;
  getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &granted, &glen);
  // Both optional: without them timestamps come from the clock and drops read 0.
  setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one);
  if (bind(fd, (struct sockaddr*)&addr, addr_len) != 0) {
    int e = errno;
    close(fd);
    snprintf(what, sizeof what, "bind %s", where);
    throw_errno(env, e, "bind", what);
    return NULL;
  }
  struct sockaddr_storage bound;
  socklen_t blen = sizeof bound;
  getsockname(fd, (struct sockaddr*)&bound, &blen);
  uint32_t bound_port =
      ntohs(family == AF_INET ? ((struct sockaddr_in*)&bound)->sin_port : ((struct sockaddr_in6*)&bound)->sin6_port);

  sock_t* s = (sock_t*)calloc(1, sizeof(sock_t));
  if (s == NULL) {
    close(fd);
    napi_throw_error(env, "ENOMEM", "spanless_udp: out of memory");
    return NULL;
  }
  s->fd = fd;
  s->family = family;
  s->env = env;
  napi_value handle, result, v;
  if (napi_create_external(env, s, finalize_sock, NULL, &handle) != napi_ok) {
    close(fd);
    free(s);
    napi_throw_error(env, NULL, "spanless_udp: napi_create_external failed");
    return NULL;
  }
  CHECK(napi_create_object(env, &result));
  CHECK(napi_set_named_property(env, result, "handle", handle));
  CHECK(napi_create_uint32(env, bound_port, &v));
  CHECK(napi_set_named_property(env, result, "port", v));
  CHECK(napi_create_uint32(env, family == AF_INET ? 4 : 6, &v));
  CHECK(napi_set_named_property(env, result, "family", v));
  CHECK(napi_create_int64(env, granted, &v));
  CHECK(napi_set_named_property(env, result, "receiveBufferBytes", v));
  return result;
}

// ---- receive --------------------------------------------------------------------------------

static void prepare_msgs(sock_t* s) {
  for (int i = 0; i < MAX_BATCH_DATAGRAMS; i++) {
    s->iov[i].iov_base = s->data + (size_t)i * DATAGRAM_SLOT_BYTES;
    s->iov[i].iov_len = DATAGRAM_SLOT_BYTES;
    struct msghdr* h = &s->msgs[i].msg_hdr;
    h->msg_iov = &s->iov[i];
    h->msg_iovlen = 1;
    h->msg_name = &s->names[i];
    h->msg_control = s->control[i].buf;
    s->offsets[i] = (uint32_t)i * DATAGRAM_SLOT_BYTES;
  }
}

/** One recvmmsg into the slots, filling the batch arrays: datagrams received, or -1 with errno. */
static int receive_batch(sock_t* s) {
  for (int i = 0; i < MAX_BATCH_DATAGRAMS; i++) {
    struct msghdr* h = &s->msgs[i].msg_hdr;
    h->msg_namelen = sizeof(struct sockaddr_storage);
    h->msg_controllen = CONTROL_BYTES;
    h->msg_flags = 0;
  }
  int n = recvmmsg(s->fd, s->msgs, MAX_BATCH_DATAGRAMS, MSG_DONTWAIT | MSG_TRUNC, NULL);
  if (n <= 0) return n;
  struct timespec now = {0, 0};
  int have_now = 0;
  for (int i = 0; i < n; i++) {
    struct msghdr* h = &s->msgs[i].msg_hdr;
    uint32_t len = s->msgs[i].msg_len;
    s->wire[i] = len;
    s->lengths[i] = len > DATAGRAM_SLOT_BYTES ? DATAGRAM_SLOT_BYTES : len;
    double ts = -1;
    for (struct cmsghdr* c = CMSG_FIRSTHDR(h); c != NULL; c = CMSG_NXTHDR(h, c)) {
      if (c->cmsg_level != SOL_SOCKET) continue;
      if (c->cmsg_type == SCM_TIMESTAMPNS) {
        struct timespec t;
        memcpy(&t, CMSG_DATA(c), sizeof t);
        ts = (double)t.tv_sec + (double)t.tv_nsec / 1e9;
      } else if (c->cmsg_type == SO_RXQ_OVFL) {
        uint32_t drops;
        memcpy(&drops, CMSG_DATA(c), sizeof drops);
        s->counters[0] = drops;
      }
    }
    if (ts < 0) {
      if (!have_now) {
        clock_gettime(CLOCK_REALTIME, &now);
        have_now = 1;
      }
      ts = (double)now.tv_sec + (double)now.tv_nsec / 1e9;
    }
    s->timestamps[i] = ts;
    uint32_t* words = s->addrs + (size_t)i * 4;
    struct sockaddr_storage* name = &s->names[i];
    if (name->ss_family == AF_INET6) {
      struct sockaddr_in6* a6 = (struct sockaddr_in6*)name;
      s->ports[i] = ntohs(a6->sin6_port);
      if (IN6_IS_ADDR_V4MAPPED(&a6->sin6_addr)) {
        memcpy(&words[0], &a6->sin6_addr.s6_addr[12], 4);
        words[1] = words[2] = words[3] = 0;
        s->families[i] = 4;
      } else {
        memcpy(words, &a6->sin6_addr, 16);
        s->families[i] = 6;
      }
    } else {
      struct sockaddr_in* a4 = (struct sockaddr_in*)name;
      s->ports[i] = ntohs(a4->sin_port);
      memcpy(&words[0], &a4->sin_addr, 4);
      words[1] = words[2] = words[3] = 0;
      s->families[i] = 4;
    }
  }
  return n;
}

static void on_readable(uv_poll_t* handle, int status, int events) {
  sock_t* s = (sock_t*)handle->data;
  if (s->closed || !s->started) return;
  if (status < 0) {
    // The poll itself failed (the fd went bad): count it and stop polling rather than spin.
    s->counters[2] += 1;
    uv_poll_stop(&s->poll);
    return;
  }
  napi_env env = s->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value resource, cb, recv;
  napi_callback_scope cscope = NULL;
  napi_get_reference_value(env, s->batch_ref, &resource);
  napi_get_reference_value(env, s->cb_ref, &cb);
  napi_get_undefined(env, &recv);
  napi_open_callback_scope(env, resource, s->async_ctx, &cscope);
  s->in_drain = 1;
  for (int b = 0; b < MAX_BATCHES_PER_EVENT && !s->closed; b++) {
    int n = receive_batch(s);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) s->counters[2] += 1;
      break;
    }
    if (n == 0) break;
    s->counters[1] += 1;
    napi_value argv[1];
    napi_create_uint32(env, (uint32_t)n, &argv[0]);
    if (napi_call_function(env, recv, cb, 1, argv, NULL) == napi_pending_exception) {
      napi_value err;
      napi_get_and_clear_last_exception(env, &err);
      napi_fatal_exception(env, err);
      break;
    }
    if (n < MAX_BATCH_DATAGRAMS) break;
  }
  s->in_drain = 0;
  if (cscope != NULL) napi_close_callback_scope(env, cscope);
  if (s->closed) release_js(s);
  napi_close_handle_scope(env, scope);
}

static napi_value js_start(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "start(handle, batch, counters, onBatch)");
    return NULL;
  }
  sock_t* s = get_sock(env, argv[0]);
  if (s == NULL) return NULL;
  if (s->closed) {
    napi_throw_error(env, "ERR_SOCKET_CLOSED", "start: the socket is closed");
    return NULL;
  }
  if (s->started) {
    napi_throw_error(env, "ERR_SOCKET_ALREADY_STARTED", "start: receiving has already started");
    return NULL;
  }
  napi_value batch = argv[1];
  napi_value data_v;
  bool is_buffer = false;
  CHECK(napi_get_named_property(env, batch, "data", &data_v));
  CHECK(napi_is_buffer(env, data_v, &is_buffer));
  void* data = NULL;
  size_t data_len = 0;
  if (is_buffer) CHECK(napi_get_buffer_info(env, data_v, &data, &data_len));
  if (!is_buffer || data_len < (size_t)MAX_BATCH_DATAGRAMS * DATAGRAM_SLOT_BYTES) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "batch.data must be a Buffer of MAX_BATCH_DATAGRAMS * DATAGRAM_SLOT_BYTES bytes");
    return NULL;
  }
  const size_t m = MAX_BATCH_DATAGRAMS;
  uint32_t* offsets = typed_array_data(env, batch, "offsets", napi_uint32_array, m);
  uint32_t* lengths = offsets ? typed_array_data(env, batch, "lengths", napi_uint32_array, m) : NULL;
  uint32_t* wire = lengths ? typed_array_data(env, batch, "wireLengths", napi_uint32_array, m) : NULL;
  double* ts = wire ? typed_array_data(env, batch, "timestamps", napi_float64_array, m) : NULL;
  uint32_t* addrs = ts ? typed_array_data(env, batch, "srcAddrs", napi_uint32_array, m * 4) : NULL;
  uint8_t* fams = addrs ? typed_array_data(env, batch, "srcFamilies", napi_uint8_array, m) : NULL;
  uint16_t* ports = fams ? typed_array_data(env, batch, "srcPorts", napi_uint16_array, m) : NULL;
  if (ports == NULL) return NULL;
  bool is_ta = false;
  napi_typedarray_type ctype;
  size_t clen = 0;
  void* counters = NULL;
  CHECK(napi_is_typedarray(env, argv[2], &is_ta));
  if (is_ta) CHECK(napi_get_typedarray_info(env, argv[2], &ctype, &clen, &counters, NULL, NULL));
  if (!is_ta || ctype != napi_float64_array || clen < 3) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "counters must be a Float64Array of 3 elements");
    return NULL;
  }
  napi_valuetype cbt;
  CHECK(napi_typeof(env, argv[3], &cbt));
  if (cbt != napi_function) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "onBatch must be a function");
    return NULL;
  }
  uv_loop_t* loop = NULL;
  CHECK(napi_get_uv_event_loop(env, &loop));
  s->data = data;
  s->offsets = offsets;
  s->lengths = lengths;
  s->wire = wire;
  s->timestamps = ts;
  s->addrs = addrs;
  s->families = fams;
  s->ports = ports;
  s->counters = counters;
  prepare_msgs(s);
  int rc = uv_poll_init(loop, &s->poll, s->fd);
  if (rc != 0) {
    napi_throw_error(env, uv_err_name(rc), uv_strerror(rc));
    return NULL;
  }
  s->poll.data = s;
  s->poll_init = 1;
  napi_value name;
  CHECK(napi_create_string_utf8(env, "spanless:udp-receive", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_async_init(env, batch, name, &s->async_ctx));
  CHECK(napi_create_reference(env, argv[0], 1, &s->self_ref));
  CHECK(napi_create_reference(env, batch, 1, &s->batch_ref));
  CHECK(napi_create_reference(env, argv[3], 1, &s->cb_ref));
  s->started = 1;
  if (napi_add_env_cleanup_hook(env, cleanup_hook, s) == napi_ok) s->cleanup_hook = 1;
  rc = uv_poll_start(&s->poll, UV_READABLE, on_readable);
  if (rc != 0) {
    do_close(s, 0);
    napi_throw_error(env, uv_err_name(rc), uv_strerror(rc));
    return NULL;
  }
  return NULL;
}

// ---- send -----------------------------------------------------------------------------------

static napi_value js_set_destination(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint32_t port = 0;
  if (argc < 3 || napi_get_value_uint32(env, argv[2], &port) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "setDestination(handle, host: string, port: number)");
    return NULL;
  }
  sock_t* s = get_sock(env, argv[0]);
  if (s == NULL) return NULL;
  char where[INET6_ADDRSTRLEN + 16];
  struct sockaddr_storage dest;
  socklen_t len;
  if (parse_address(env, argv[1], port, &dest, &len, where, sizeof where) != 0) return NULL;
  if (dest.ss_family != s->family) {
    napi_throw_error(env, "EAFNOSUPPORT",
                     "setDestination: the destination's address family differs from the bound socket's");
    return NULL;
  }
  s->dest = dest;
  s->dest_len = len;
  return NULL;
}

static napi_value js_send(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 5) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "send(handle, data, offsets, lengths, count)");
    return NULL;
  }
  sock_t* s = get_sock(env, argv[0]);
  if (s == NULL) return NULL;
  if (s->closed) {
    napi_throw_error(env, "ERR_SOCKET_CLOSED", "send: the socket is closed");
    return NULL;
  }
  if (s->dest_len == 0) {
    napi_throw_error(env, "ERR_SOCKET_BAD_DESTINATION", "send: setDestination was not called");
    return NULL;
  }
  void* data = NULL;
  size_t data_len = 0;
  bool ok = false;
  CHECK(napi_is_buffer(env, argv[1], &ok));
  if (ok) CHECK(napi_get_buffer_info(env, argv[1], &data, &data_len));
  napi_typedarray_type t1, t2;
  size_t n1 = 0, n2 = 0;
  void *offsets_v = NULL, *lengths_v = NULL;
  bool ta1 = false, ta2 = false;
  napi_is_typedarray(env, argv[2], &ta1);
  napi_is_typedarray(env, argv[3], &ta2);
  if (ta1) napi_get_typedarray_info(env, argv[2], &t1, &n1, &offsets_v, NULL, NULL);
  if (ta2) napi_get_typedarray_info(env, argv[3], &t2, &n2, &lengths_v, NULL, NULL);
  uint32_t count = 0;
  napi_get_value_uint32(env, argv[4], &count);
  if (!ok || !ta1 || !ta2 || t1 != napi_uint32_array || t2 != napi_uint32_array || count > n1 || count > n2) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE",
                          "send(handle, data: Buffer, offsets: Uint32Array, lengths: Uint32Array, count <= their length)");
    return NULL;
  }
  const uint32_t* offsets = offsets_v;
  const uint32_t* lengths = lengths_v;
  for (uint32_t i = 0; i < count; i++) {
    if ((size_t)offsets[i] + lengths[i] > data_len) {
      napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "send: a datagram lies outside the buffer");
      return NULL;
    }
  }
  struct mmsghdr msgs[SEND_CHUNK];
  struct iovec iov[SEND_CHUNK];
  uint32_t sent = 0;
  while (sent < count) {
    uint32_t k = count - sent > SEND_CHUNK ? SEND_CHUNK : count - sent;
    for (uint32_t i = 0; i < k; i++) {
      iov[i].iov_base = (uint8_t*)data + offsets[sent + i];
      iov[i].iov_len = lengths[sent + i];
      memset(&msgs[i], 0, sizeof msgs[i]);
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_name = &s->dest;
      msgs[i].msg_hdr.msg_namelen = s->dest_len;
    }
    int r = sendmmsg(s->fd, msgs, k, MSG_DONTWAIT);
    if (r < 0) {
      int e = errno;
      if (e == EINTR) continue;
      if (e == EAGAIN || e == EWOULDBLOCK || e == ENOBUFS || sent > 0) break;
      throw_errno(env, e, "sendmmsg", "sendmmsg");
      return NULL;
    }
    sent += (uint32_t)r;
    if ((uint32_t)r < k) break;
  }
  napi_value result;
  CHECK(napi_create_uint32(env, sent, &result));
  return result;
}

// ---- close ----------------------------------------------------------------------------------

static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "close(handle)");
    return NULL;
  }
  sock_t* s = get_sock(env, argv[0]);
  if (s == NULL) return NULL;
  do_close(s, 0);
  return NULL;
}

// ---- module ---------------------------------------------------------------------------------

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"open", NULL, js_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"start", NULL, js_start, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setDestination", NULL, js_set_destination, NULL, NULL, NULL, napi_enumerable, NULL},
      {"send", NULL, js_send, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  napi_value v;
  napi_create_uint32(env, MAX_BATCH_DATAGRAMS, &v);
  napi_set_named_property(env, exports, "MAX_BATCH_DATAGRAMS", v);
  napi_create_uint32(env, DATAGRAM_SLOT_BYTES, &v);
  napi_set_named_property(env, exports, "DATAGRAM_SLOT_BYTES", v);
  return exports;
}
