/*
 * emit_nn.h: helpers shared by the neural-network emitters
 * (codegen/emit_nn.c, emit_conv.c, emit_pool.c).
 */
#ifndef DLCC_EMIT_NN_H
#define DLCC_EMIT_NN_H

#include "codegen.h"

#define LL(x) ((long long)(x))

/* Bytes of packing scratch dlcc_sgemm (runtime/gemm.h) needs for an
 * M x N x K product; mirrors DLCC_SGEMM_PACK_FLOATS. */
size_t nn_sgemm_pack_bytes(int64_t m, int64_t n, int64_t k);
/* "expf" / "exp" ... for the compute type of t. */
const char *nn_math_fn(Emit *e, DType t, const char *fn);
/* Product of dims[from..to). */
int64_t nn_prod(const int64_t *dims, int from, int to);

#endif
