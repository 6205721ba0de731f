// The verbs and rdma_cm C API, as Swift imports it (libibverbs and librdmacm; Linux only).
// Function-like macros and other things Swift cannot import are wrapped in CVerbsShim.
#pragma once
#include <infiniband/verbs.h>
#include <rdma/rdma_cma.h>
