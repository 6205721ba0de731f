#pragma once
#ifdef __linux__
#include <infiniband/verbs.h>
#include <rdma/rdma_cma.h>
#endif
