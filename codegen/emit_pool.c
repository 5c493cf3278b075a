/*
 * emit_pool.c: pooling kernels (MaxPool with optional Indices,
 * AveragePool, LpPool, and the global poolings).
 *
 * A windowed pool is one loop nest with the shapes as constants: over the
 * N*C planes, the output positions, then the kernel taps, computing the
 * input coordinate of each tap (stride, dilation, begin pad) and skipping
 * taps outside the input.  AveragePool counts taps two ways, those inside
 * the input and those inside the padded input, and divides by one or the
 * other as count_include_pad says; taps beyond the end padding (ceil_mode)
 * count in neither, as in onnxruntime.  MaxPool's Indices are positions in
 * the flattened input, with the spatial part column-major when
 * storage_order is 1.
 */
#include "emit_nn.h"

#include "../ir/shape_nn.h"

#include <string.h>

typedef enum PoolKind { POOL_MAX, POOL_AVG, POOL_LP } PoolKind;

/* "i0 * s1 * s2 + i1 * s2 + i2", or column-major when colmajor. */
static const char *pool_index(Arena *a, const char *pfx, const int64_t *dims, int n, bool colmajor) {
    const char *s = "0";
    for (int i = 0; i < n; i++) {
        int64_t stride = colmajor ? nn_prod(dims, 0, i) : nn_prod(dims, i + 1, n);
        s = i == 0 ? arena_printf(a, "%s%d * %lld", pfx, i, LL(stride))
                   : arena_printf(a, "%s + %s%d * %lld", s, pfx, i, LL(stride));
    }
    return s;
}

static bool emit_pool_window(Emit *e, PoolKind kind) {
    const Node *n = e->node;
    const Value *x = n->in[0], *y = n->out[0];
    const Value *ind = kind == POOL_MAX && n->n_out > 1 ? n->out[1] : NULL;
    DType t = x->dtype;
    Arena *ar = e->ctx->arena;
    NNWindow w;
    if (!nn_window(n, x, NULL, attr_int(n, "ceil_mode", 0) != 0, &w, e->ctx))
        return false;
    if (value_numel(y) == 0)
        return true;
    emit_use_runtime(e, "nn");
    int nsp = w.nsp;
    const char *T = dtype_ctype_compute(t);
    int64_t NC = x->dims[0] * x->dims[1], IS = nn_prod(w.in, 0, nsp), OS = nn_prod(w.out, 0, nsp);
    bool include_pad = attr_int(n, "count_include_pad", 0) != 0;
    double p = (double)attr_int(n, "p", 2);

    emitf(e, "    for (int64_t nc = 0; nc < %lld; nc++) {\n", LL(NC));
    emitf(e, "        const int64_t xb = nc * %lld;\n", LL(IS));
    for (int d = 0; d < nsp; d++)
        emitf(e, "        for (int64_t o%d = 0; o%d < %lld; o%d++)\n", d, d, LL(w.out[d]), d);
    emitf(e, "        {\n");
    if (kind == POOL_MAX)
        emitf(e, "            %s best = 0;\n            int64_t bi = -1;\n", T);
    else
        emitf(e, "            %s acc = 0;\n            int64_t cnt = 0, cntp = 0;\n", T);
    for (int d = 0; d < nsp; d++) {
        emitf(e, "            for (int64_t k%d = 0; k%d < %lld; k%d++) {\n", d, d, LL(w.k[d]), d);
        emitf(e, "                const int64_t i%d = o%d * %lld - %lld + k%d * %lld;\n", d, d, LL(w.s[d]),
              LL(w.pb[d]), d, LL(w.d[d]));
        if (kind == POOL_AVG) {
            emitf(e, "                if (i%d < %lld || i%d >= %lld)\n                    continue;\n", d,
                  LL(-w.pb[d]), d, LL(w.in[d] + w.pe[d]));
            emitf(e, "                const int inside%d = %s(i%d >= 0 && i%d < %lld);\n", d,
                  d == 0 ? "" : arena_printf(ar, "inside%d && ", d - 1), d, d, LL(w.in[d]));
        } else {
            emitf(e, "                if (i%d < 0 || i%d >= %lld)\n                    continue;\n", d, d,
                  LL(w.in[d]));
        }
    }
    const char *idx = pool_index(ar, "i", w.in, nsp, false);
    const char *xv = emit_load(e, t, "x0", arena_printf(ar, "xb + %s", idx));
    if (kind == POOL_MAX) {
        emitf(e, "                const %s v = %s;\n", T, xv);
        emitf(e, "                if (bi < 0 || v > best) {\n");
        emitf(e, "                    best = v;\n");
        emitf(e, "                    bi = %s;\n", pool_index(ar, "i", w.in, nsp, attr_int(n, "storage_order", 0) == 1));
        emitf(e, "                }\n");
    } else if (kind == POOL_AVG) {
        emitf(e, "                cntp++;\n");
        emitf(e, "                if (inside%d) {\n", nsp - 1);
        emitf(e, "                    acc += %s;\n", xv);
        emitf(e, "                    cnt++;\n");
        emitf(e, "                }\n");
    } else {
        emitf(e, "                acc += %s(%s(%s), (%s)%s);\n", nn_math_fn(e, t, "pow"), nn_math_fn(e, t, "fabs"), xv,
              T, emit_literal(e, t, p));
    }
    for (int d = 0; d < nsp; d++)
        emitf(e, "            }\n");
    emitf(e, "            (void)0;\n");
    const char *oi = arena_printf(ar, "nc * %lld + %s", LL(OS), pool_index(ar, "o", w.out, nsp, false));
    const char *res;
    if (kind == POOL_MAX)
        res = "best";
    else if (kind == POOL_AVG)
        res = arena_printf(ar, "%s > 0 ? acc / (%s)%s : (%s)0", include_pad ? "cntp" : "cnt", T,
                           include_pad ? "cntp" : "cnt", T);
    else
        res = arena_printf(ar, "%s(acc, (%s)1 / (%s)%s)", nn_math_fn(e, t, "pow"), T, T, emit_literal(e, t, p));
    e->indent = 3;
    emit_store(e, t, "y0", oi, res);
    e->indent = 1;
    if (ind)
        emitf(e, "            y1[%s] = bi < 0 ? -1 : xb + bi;\n", oi);
    if (kind != POOL_MAX)
        emitf(e, "            (void)cnt;\n            (void)cntp;\n");
    emitf(e, "        }\n    }\n");
    return true;
}

bool emit_maxpool(Emit *e) { return emit_pool_window(e, POOL_MAX); }
bool emit_avgpool(Emit *e) { return emit_pool_window(e, POOL_AVG); }
bool emit_lppool(Emit *e) { return emit_pool_window(e, POOL_LP); }

static bool emit_global_pool(Emit *e, PoolKind kind) {
    const Node *n = e->node;
    const Value *x = n->in[0];
    DType t = x->dtype;
    Arena *ar = e->ctx->arena;
    int64_t NC = x->dims[0] * x->dims[1], S = nn_prod(x->dims, 2, x->rank);
    if (NC == 0)
        return true;
    emit_use_runtime(e, "nn");
    const char *T = dtype_ctype_compute(t);
    double p = (double)attr_int(n, "p", 2);
    const char *xv = emit_load(e, t, "x0", arena_printf(ar, "nc * %lld + s", LL(S)));
    emitf(e, "    for (int64_t nc = 0; nc < %lld; nc++) {\n", LL(NC));
    emitf(e, "        %s acc = %s;\n", T, kind == POOL_MAX ? emit_load(e, t, "x0", arena_printf(ar, "nc * %lld", LL(S))) : "0");
    emitf(e, "        for (int64_t s = 0; s < %lld; s++) {\n", LL(S));
    if (kind == POOL_MAX)
        emitf(e, "            const %s v = %s;\n            if (v > acc)\n                acc = v;\n", T, xv);
    else if (kind == POOL_AVG)
        emitf(e, "            acc += %s;\n", xv);
    else
        emitf(e, "            acc += %s(%s(%s), (%s)%s);\n", nn_math_fn(e, t, "pow"), nn_math_fn(e, t, "fabs"), xv, T,
              emit_literal(e, t, p));
    emitf(e, "        }\n");
    const char *res = kind == POOL_MAX   ? "acc"
                      : kind == POOL_AVG ? arena_printf(ar, "acc / (%s)%lld", T, LL(S))
                                         : arena_printf(ar, "%s(acc, (%s)1 / (%s)%s)", nn_math_fn(e, t, "pow"), T, T,
                                                        emit_literal(e, t, p));
    e->indent = 2;
    emit_store(e, t, "y0", "nc", res);
    e->indent = 1;
    emitf(e, "    }\n");
    return true;
}

bool emit_global_avgpool(Emit *e) { return emit_global_pool(e, POOL_AVG); }
bool emit_global_maxpool(Emit *e) { return emit_global_pool(e, POOL_MAX); }
bool emit_global_lppool(Emit *e) { return emit_global_pool(e, POOL_LP); }
