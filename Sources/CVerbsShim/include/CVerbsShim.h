// C helpers for ReplicastVerbs: what Swift cannot import from the verbs headers or from
// Glibc (function-like macros, _GNU_SOURCE-only calls, CPU hints). Linux only; on other
// systems the header is empty.
#pragma once

#ifdef __linux__
#include <stdint.h>
#include <infiniband/verbs.h>
#include <rdma/rdma_cma.h>

/// ibv_query_port: a function-like macro in verbs.h (Swift would bind the old compat symbol).
int cvs_query_port(struct ibv_context *context, uint8_t port_num, struct ibv_port_attr *attr);

/// ibv_reg_mr: a function-like macro in verbs.h.
struct ibv_mr *cvs_reg_mr(struct ibv_pd *pd, void *addr, size_t length, int access);

/// Pins the calling thread to one CPU core (pthread_setaffinity_np). Returns 0 or an errno.
int cvs_pin_current_thread(int core);

/// The number of CPU cores the calling thread may run on (sched_getaffinity), or -1.
int cvs_allowed_core_count(void);

/// Creates a non-blocking, close-on-exec eventfd with a zero count; -1 and errno on failure.
int cvs_eventfd(void);

/// Waits until `fd` is readable or `timeout_ns` nanoseconds pass (ppoll: finer than poll's
/// milliseconds). Returns 1 if readable, 0 on timeout, -1 and errno on failure.
int cvs_wait_readable(int fd, int64_t timeout_ns);

/// Sets O_NONBLOCK on a file descriptor. Returns 0 or an errno.
int cvs_set_nonblocking(int fd);

/// A spin-wait hint for the CPU (x86 `pause`, arm64 `yield`).
static inline void cvs_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield" ::: "memory");
#endif
}

#endif /* __linux__ */
