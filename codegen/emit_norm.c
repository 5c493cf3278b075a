/*
 * emit_norm.c: normalisation kernels (LayerNormalization,
 * InstanceNormalization, LpNormalization, LRN) and Hardmax.
 *
 * Each views its input as [outer, D, inner] around the normalised axis (or
 * [outer, inner] for the trailing-dims normalisations) with the shapes as
 * constants, computes the statistics of one slice in double (two passes:
 * mean, then the centred variance), and writes the slice.  Loads and stores
 * go through emit_load/emit_store, so f16/bf16 work too.
 */
#include "emit_nn.h"

#include <string.h>

/* Index expression of a per-slice parameter with `numel` elements: "j" or "0". */
static const char *param_index(const Value *v, const char *j) { return value_numel(v) == 1 ? "0" : j; }

bool emit_layernorm(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[0], *sc = n->in[1], *b = n->n_in > 2 ? n->in[2] : NULL;
    DType t = x->dtype;
    Arena *ar = e->ctx->arena;
    int axis = norm_axis(attr_int(n, "axis", -1), x->rank);
    if (axis < 0)
        return emit_error(e, "axis out of range");
    int64_t outer = nn_prod(x->dims, 0, axis), inner = nn_prod(x->dims, axis, x->rank);
    if (outer * inner == 0)
        return true;
    emit_use_runtime(e, "nn");
    const char *T = dtype_ctype_compute(t);
    double eps = attr_float(n, "epsilon", 1e-5);
    const char *xv = emit_load(e, t, "x0", arena_printf(ar, "o * %lld + j", LL(inner)));
    emitf(e, "    for (int64_t o = 0; o < %lld; o++) {\n", LL(outer));
    emitf(e, "        double mean = 0, var = 0;\n");
    emitf(e, "        for (int64_t j = 0; j < %lld; j++)\n            mean += (double)%s;\n", LL(inner), xv);
    emitf(e, "        mean /= %lld;\n", LL(inner));
    emitf(e, "        for (int64_t j = 0; j < %lld; j++) {\n", LL(inner));
    emitf(e, "            double d = (double)%s - mean;\n            var += d * d;\n        }\n", xv);
    emitf(e, "        var /= %lld;\n", LL(inner));
    emitf(e, "        const double inv = 1.0 / sqrt(var + %.17g);\n", eps);
    emitf(e, "        for (int64_t j = 0; j < %lld; j++) {\n", LL(inner));
    const char *res = arena_printf(ar, "(%s)(((double)%s - mean) * inv * (double)%s%s%s%s", T, xv,
                                   emit_load(e, sc->dtype, "x1", param_index(sc, "j")), b ? " + (double)" : "",
                                   b ? emit_load(e, b->dtype, "x2", param_index(b, "j")) : "", ")");
    e->indent = 3;
    emit_store(e, t, "y0", arena_printf(ar, "o * %lld + j", LL(inner)), res);
    e->indent = 1;
    emitf(e, "        }\n");
    if (n->n_out > 1 && n->out[1])
        emitf(e, "        y1[o] = (%s)mean;\n", dtype_ctype(n->out[1]->dtype));
    if (n->n_out > 2 && n->out[2])
        emitf(e, "        y2[o] = (%s)inv;\n", dtype_ctype(n->out[2]->dtype));
    emitf(e, "    }\n");
    return true;
}

bool emit_instancenorm(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[0];
    DType t = x->dtype;
    Arena *ar = e->ctx->arena;
    int64_t N = x->dims[0], C = x->dims[1], S = nn_prod(x->dims, 2, x->rank);
    if (N * C * S == 0)
        return true;
    emit_use_runtime(e, "nn");
    const char *T = dtype_ctype_compute(t);
    double eps = attr_float(n, "epsilon", 1e-5);
    const char *xv = emit_load(e, t, "x0", arena_printf(ar, "nc * %lld + s", LL(S)));
    emitf(e, "    for (int64_t nc = 0; nc < %lld; nc++) {\n", LL(N * C));
    emitf(e, "        const int64_t c = nc %% %lld;\n", LL(C));
    emitf(e, "        double mean = 0, var = 0;\n");
    emitf(e, "        for (int64_t s = 0; s < %lld; s++)\n            mean += (double)%s;\n", LL(S), xv);
    emitf(e, "        mean /= %lld;\n", LL(S));
    emitf(e, "        for (int64_t s = 0; s < %lld; s++) {\n", LL(S));
    emitf(e, "            double d = (double)%s - mean;\n            var += d * d;\n        }\n", xv);
    emitf(e, "        var /= %lld;\n", LL(S));
    emitf(e, "        const double a = (double)%s / sqrt(var + %.17g);\n", emit_load(e, n->in[1]->dtype, "x1", "c"), eps);
    emitf(e, "        const double b = (double)%s - mean * a;\n", emit_load(e, n->in[2]->dtype, "x2", "c"));
    emitf(e, "        for (int64_t s = 0; s < %lld; s++) {\n", LL(S));
    e->indent = 3;
    emit_store(e, t, "y0", arena_printf(ar, "nc * %lld + s", LL(S)), arena_printf(ar, "(%s)((double)%s * a + b)", T, xv));
    e->indent = 1;
    emitf(e, "        }\n    }\n");
    return true;
}

/* outer, D, inner around `axis` of x. */
static bool axis_split(Emit *e, const Value *x, int64_t axis_attr, int64_t *outer, int64_t *D, int64_t *inner) {
    int axis = norm_axis(axis_attr, x->rank);
    if (axis < 0)
        return emit_error(e, "axis out of range");
    *outer = nn_prod(x->dims, 0, axis);
    *D = x->dims[axis];
    *inner = nn_prod(x->dims, axis + 1, x->rank);
    return true;
}

bool emit_lpnorm(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[0];
    DType t = x->dtype;
    Arena *ar = e->ctx->arena;
    int64_t outer, D, inner, p = attr_int(n, "p", 2);
    if (p != 1 && p != 2)
        return emit_error(e, "p must be 1 or 2, got %lld", LL(p));
    if (!axis_split(e, x, attr_int(n, "axis", -1), &outer, &D, &inner))
        return false;
    if (outer * D * inner == 0)
        return true;
    emit_use_runtime(e, "nn");
    const char *T = dtype_ctype_compute(t);
    const char *idx = arena_printf(ar, "o * %lld + d * %lld + i", LL(D * inner), LL(inner));
    const char *xv = emit_load(e, t, "x0", idx);
    emitf(e, "    for (int64_t o = 0; o < %lld; o++)\n        for (int64_t i = 0; i < %lld; i++) {\n", LL(outer),
          LL(inner));
    emitf(e, "            double s = 0;\n");
    emitf(e, "            for (int64_t d = 0; d < %lld; d++) {\n", LL(D));
    emitf(e, "                const double v = (double)%s;\n", xv);
    emitf(e, "                s += %s;\n            }\n", p == 1 ? "fabs(v)" : "v * v");
    if (p == 2)
        emitf(e, "            s = sqrt(s);\n");
    emitf(e, "            for (int64_t d = 0; d < %lld; d++) {\n", LL(D));
    e->indent = 4;
    emit_store(e, t, "y0", idx, arena_printf(ar, "(%s)(s != 0 ? (double)%s / s : 0.0)", T, xv));
    e->indent = 1;
    emitf(e, "            }\n        }\n");
    return true;
}

bool emit_lrn(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[0];
    DType t = x->dtype;
    Arena *ar = e->ctx->arena;
    if (x->rank < 2)
        return emit_error(e, "input must have rank >= 2");
    int64_t size = attr_int(n, "size", 1);
    double alpha = attr_float(n, "alpha", 1e-4), beta = attr_float(n, "beta", 0.75), bias = attr_float(n, "bias", 1.0);
    int64_t N = x->dims[0], C = x->dims[1], S = nn_prod(x->dims, 2, x->rank);
    if (N * C * S == 0)
        return true;
    emit_use_runtime(e, "nn");
    const char *T = dtype_ctype_compute(t);
    int64_t lo = (size - 1) / 2, hi = size - 1 - lo; /* floor, ceil of (size-1)/2 */
    emitf(e, "    for (int64_t n = 0; n < %lld; n++)\n", LL(N));
    emitf(e, "        for (int64_t c = 0; c < %lld; c++)\n", LL(C));
    emitf(e, "            for (int64_t s = 0; s < %lld; s++) {\n", LL(S));
    emitf(e, "                double sq = 0;\n");
    emitf(e, "                for (int64_t k = c - %lld; k <= c + %lld; k++) {\n", LL(lo), LL(hi));
    emitf(e, "                    if (k < 0 || k >= %lld)\n                        continue;\n", LL(C));
    emitf(e, "                    const double v = (double)%s;\n",
          emit_load(e, t, "x0", arena_printf(ar, "(n * %lld + k) * %lld + s", LL(C), LL(S))));
    emitf(e, "                    sq += v * v;\n                }\n");
    const char *idx = arena_printf(ar, "(n * %lld + c) * %lld + s", LL(C), LL(S));
    e->indent = 4;
    emit_store(e, t, "y0", idx,
               arena_printf(ar, "(%s)((double)%s / pow(%.17g + %.17g * sq, %.17g))", T, emit_load(e, t, "x0", idx), bias,
                            alpha / (double)size, beta));
    e->indent = 1;
    emitf(e, "            }\n");
    return true;
}

bool emit_hardmax(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[0];
    DType t = x->dtype;
    Arena *ar = e->ctx->arena;
    int64_t outer, D, inner;
    if (n->opset > 0 && n->opset < 13) {
        int axis = norm_axis(attr_int(n, "axis", 1), x->rank);
        if (axis < 0)
            return emit_error(e, "axis out of range");
        outer = nn_prod(x->dims, 0, axis);
        D = nn_prod(x->dims, axis, x->rank);
        inner = 1;
    } else if (!axis_split(e, x, attr_int(n, "axis", -1), &outer, &D, &inner)) {
        return false;
    }
    if (outer * D * inner == 0)
        return true;
    const char *T = dtype_ctype_compute(t);
    const char *idx = arena_printf(ar, "o * %lld + d * %lld + i", LL(D * inner), LL(inner));
    emitf(e, "    for (int64_t o = 0; o < %lld; o++)\n        for (int64_t i = 0; i < %lld; i++) {\n", LL(outer),
          LL(inner));
    emitf(e, "            int64_t best = 0;\n            %s m = 0;\n", T);
    emitf(e, "            for (int64_t d = 0; d < %lld; d++) {\n", LL(D));
    emitf(e, "                const %s v = %s;\n", T, emit_load(e, t, "x0", idx));
    emitf(e, "                if (d == 0 || v > m) {\n                    m = v;\n                    best = d;\n");
    emitf(e, "                }\n            }\n");
    emitf(e, "            for (int64_t d = 0; d < %lld; d++) {\n", LL(D));
    e->indent = 4;
    emit_store(e, t, "y0", idx, arena_printf(ar, "(%s)(d == best)", T));
    e->indent = 1;
    emitf(e, "            }\n        }\n");
    return true;
}
