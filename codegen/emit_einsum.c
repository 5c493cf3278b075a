/*
 * emit_einsum.c: the Einsum kernel (ir/ops_nn.def).
 *
 * einsum_parse (ir/shape_einsum.c) gives every label a size and every
 * operand a stride per label.  The kernel is one loop nest: the output's
 * labels outside, the summed labels inside, each operand's offset the
 * sum of loop index times stride, and the product of the operands
 * accumulated in the compute type (int64 for integers).  Repeated labels
 * (diagonals) and broadcast ellipsis axes are just strides.  f32 products
 * of two operands that form a (batched) matrix product, such as
 * "bij,bjk->bik", call dlcc_sgemm instead.
 */
#include <string.h>

#include "../ir/einsum.h"
#include "emit_nn.h"

static const char *einsum_offset(Emit *e, const Einsum *es, const int64_t *stride) {
    Arena *ar = e->ctx->arena;
    const char *s = "0";
    for (int l = 0; l < es->n_labels; l++)
        if (stride[l] && es->size[l] > 1)
            s = arena_printf(ar, "%s + i%d * %lld", s, l, LL(stride[l]));
    return s;
}

/* f32 "batched matrix product" form: two operands, every label of size > 1
 * is a batch label (both operands and the output), M (first operand and
 * output), N (second and output) or K (both operands, summed), with at most
 * one M, N and K label and the N label contiguous in the output. */
static bool einsum_try_gemm(Emit *e, const Einsum *es) {
    if (es->n_ops != 2 || e->node->out[0]->dtype != DT_F32)
        return false;
    int lm = -1, ln = -1, lk = -1;
    for (int l = 0; l < es->n_labels; l++) {
        if (es->size[l] <= 1)
            continue;
        bool out = l < es->n_out, a = es->stride[0][l] != 0, b = es->stride[1][l] != 0;
        int *slot = NULL;
        if (out && a && b)
            continue; /* batch */
        if (out && a && !b)
            slot = &lm;
        else if (out && !a && b)
            slot = &ln;
        else if (!out && a && b)
            slot = &lk;
        if (!slot || *slot >= 0)
            return false;
        *slot = l;
    }
    if (ln >= 0 && es->out_stride[ln] != 1)
        return false;
    int64_t M = lm >= 0 ? es->size[lm] : 1, N = ln >= 0 ? es->size[ln] : 1, K = lk >= 0 ? es->size[lk] : 1;
    if (M * N * K < 64)
        return false;
    emit_use_runtime(e, "gemm");
    const char *ws = emit_scratch(e, nn_sgemm_pack_bytes(M, N, K));
    int ind = 1;
    for (int l = 0; l < es->n_out; l++)
        if (es->size[l] > 1 && l != lm && l != ln) {
            emitf(e, "%*sfor (int64_t i%d = 0; i%d < %lld; i%d++)\n", 4 * ind, "", l, l, LL(es->size[l]), l);
            ind++;
        }
    Einsum b = *es; /* offsets over the batch labels only */
    for (int k = 0; k < 2; k++) {
        if (lm >= 0) b.stride[k][lm] = 0;
        if (ln >= 0) b.stride[k][ln] = 0;
        if (lk >= 0) b.stride[k][lk] = 0;
    }
    if (lm >= 0) b.out_stride[lm] = 0;
    if (ln >= 0) b.out_stride[ln] = 0;
    emitf(e, "%*sdlcc_sgemm(%lld, %lld, %lld, 1.0f, x0 + %s, %lld, %lld, x1 + %s, %lld, %lld, 0.0f, y0 + %s, %lld, (float *)%s);\n",
          4 * ind, "", LL(M), LL(N), LL(K), einsum_offset(e, &b, b.stride[0]), LL(lm >= 0 ? es->stride[0][lm] : 0),
          LL(lk >= 0 ? es->stride[0][lk] : 0), einsum_offset(e, &b, b.stride[1]), LL(lk >= 0 ? es->stride[1][lk] : 0),
          LL(ln >= 0 ? es->stride[1][ln] : 0), einsum_offset(e, &b, b.out_stride), LL(lm >= 0 ? es->out_stride[lm] : 1), ws);
    return true;
}

bool emit_einsum(Emit *e) {
    const Node *n = e->node;
    Einsum es;
    if (!einsum_parse(n, &es, e->ctx))
        return false;
    const Value *y = n->out[0];
    DType t = y->dtype;
    Arena *ar = e->ctx->arena;
    const char *CT = dtype_is_float(t) ? dtype_ctype_compute(t) : dtype_is_signed(t) ? "int64_t" : "uint64_t";
    if (t == DT_BOOL)
        CT = "int";
    if (value_numel(y) == 0)
        return true;
    if (einsum_try_gemm(e, &es))
        return true;
    int ind = 1;
    for (int l = 0; l < es.n_out; l++, ind++)
        emitf(e, "%*sfor (int64_t i%d = 0; i%d < %lld; i%d++)\n", 4 * ind, "", l, l, LL(es.size[l]), l);
    emitf(e, "%*s{\n", 4 * ind, "");
    ind++;
    emitf(e, "%*s%s acc = 0;\n", 4 * ind, "", CT);
    int ind0 = ind;
    for (int l = es.n_out; l < es.n_labels; l++, ind++)
        emitf(e, "%*sfor (int64_t i%d = 0; i%d < %lld; i%d++)\n", 4 * ind, "", l, l, LL(es.size[l]), l);
    const char *prod = NULL;
    for (int k = 0; k < es.n_ops; k++) {
        const char *ld = arena_printf(ar, "(%s)%s", CT, emit_load(e, t, arena_printf(ar, "x%d", k), einsum_offset(e, &es, es.stride[k])));
        prod = prod ? arena_printf(ar, "%s * %s", prod, ld) : ld;
    }
    emitf(e, "%*sacc += %s;\n", 4 * ind, "", prod);
    e->indent = ind0;
    emit_store(e, t, "y0", einsum_offset(e, &es, es.out_stride), t == DT_BOOL ? "acc != 0" : "acc");
    e->indent = 1;
    emitf(e, "%*s}\n", 4 * (ind0 - 1), "");
    return true;
}
