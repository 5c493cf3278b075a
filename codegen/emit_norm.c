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
    int64_t outer = 0, D = 0, inner = 0, p = attr_int(n, "p", 2);
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
    int64_t outer = 0, D = 0, inner = 0;
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

/* GroupNormalization: x [N, C, spatial...] in num_groups groups of C/G
 * channels; statistics over a group's channels and positions.  scale and
 * bias are per channel ([C], opset 21) or per group ([G], opset 18). */
bool emit_groupnorm(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[0], *sc = n->in[1], *b = n->in[2];
    DType t = x->dtype;
    Arena *ar = e->ctx->arena;
    if (x->rank < 2)
        return emit_error(e, "input must have rank >= 2");
    int64_t N = x->dims[0], C = x->dims[1], S = nn_prod(x->dims, 2, x->rank);
    int64_t G = attr_int(e->node, "num_groups", 1);
    if (G <= 0 || C % G)
        return emit_error(e, "num_groups %lld does not divide the %lld channels", LL(G), LL(C));
    bool per_channel = value_numel(sc) == C;
    if (!per_channel && value_numel(sc) != G)
        return emit_error(e, "scale must have C or num_groups elements");
    int64_t CG = C / G, inner = CG * S;
    if (N * C * S == 0)
        return true;
    const char *T = dtype_ctype_compute(t);
    double eps = attr_float(n, "epsilon", 1e-5);
    const char *xv = emit_load(e, t, "x0", arena_printf(ar, "o * %lld + j", LL(inner)));
    const char *pidx = per_channel ? arena_printf(ar, "(o %% %lld) * %lld + j / %lld", LL(G), LL(CG), LL(S))
                                   : arena_printf(ar, "o %% %lld", LL(G));
    emitf(e, "    for (int64_t o = 0; o < %lld; o++) {\n", LL(N * G));
    emitf(e, "        double mean = 0, var = 0;\n");
    emitf(e, "        for (int64_t j = 0; j < %lld; j++)\n            mean += (double)%s;\n", LL(inner), xv);
    emitf(e, "        mean /= %lld;\n", LL(inner));
    emitf(e, "        for (int64_t j = 0; j < %lld; j++) {\n", LL(inner));
    emitf(e, "            double d = (double)%s - mean;\n            var += d * d;\n        }\n", xv);
    emitf(e, "        var /= %lld;\n", LL(inner));
    emitf(e, "        const double inv = 1.0 / sqrt(var + %.17g);\n", eps);
    emitf(e, "        for (int64_t j = 0; j < %lld; j++) {\n", LL(inner));
    const char *res = arena_printf(ar, "(%s)(((double)%s - mean) * inv * (double)%s + (double)%s)", T, xv,
                                   emit_load(e, sc->dtype, "x1", pidx), emit_load(e, b->dtype, "x2", pidx));
    e->indent = 3;
    emit_store(e, t, "y0", arena_printf(ar, "o * %lld + j", LL(inner)), res);
    e->indent = 1;
    emitf(e, "        }\n    }\n");
    return true;
}

/* MeanVarianceNormalization: (x - mean) / (sqrt(var) + 1e-9) with the
 * statistics over `axes` (default [0, 2, 3]), as the ONNX function body
 * computes it.  The statistics live in scratch, one pair per kept index. */
bool emit_mvn(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[0];
    DType t = x->dtype;
    Arena *ar = e->ctx->arena;
    int64_t axes[DLCC_MAX_RANK] = {0, 2, 3};
    int na = attr_ints(n, "axes", axes, DLCC_MAX_RANK);
    if (na < 0)
        na = 3;
    bool red[DLCC_MAX_RANK] = {0};
    for (int i = 0; i < na; i++) {
        int a = norm_axis(axes[i], x->rank);
        if (a < 0)
            return emit_error(e, "axis %lld out of range", LL(axes[i]));
        red[a] = true;
    }
    int64_t numel = value_numel(x), kept = 1;
    for (int a = 0; a < x->rank; a++)
        if (!red[a])
            kept *= x->dims[a];
    if (numel == 0)
        return true;
    int64_t cnt = numel / kept;
    /* kept index of flat index i */
    const char *kidx = "0";
    int64_t st = 1, kst = 1;
    for (int a = x->rank - 1; a >= 0; a--) {
        if (!red[a] && x->dims[a] > 1) {
            kidx = arena_printf(ar, "%s + (i / %lld %% %lld) * %lld", kidx, LL(st), LL(x->dims[a]), LL(kst));
        }
        if (!red[a])
            kst *= x->dims[a];
        st *= x->dims[a];
    }
    const char *ws = emit_scratch(e, (size_t)kept * 2 * sizeof(double));
    const char *xv = emit_load(e, t, "x0", "i");
    emitf(e, "    double *m = (double *)%s, *q = m + %lld;\n", ws, LL(kept));
    emitf(e, "    for (int64_t k = 0; k < %lld; k++) m[k] = q[k] = 0;\n", LL(kept));
    emitf(e, "    for (int64_t i = 0; i < %lld; i++) m[%s] += (double)%s;\n", LL(numel), kidx, xv);
    emitf(e, "    for (int64_t k = 0; k < %lld; k++) m[k] /= %lld;\n", LL(kept), LL(cnt));
    emitf(e, "    for (int64_t i = 0; i < %lld; i++) { double d = (double)%s - m[%s]; q[%s] += d * d; }\n", LL(numel), xv,
          kidx, kidx);
    emitf(e, "    for (int64_t k = 0; k < %lld; k++) q[k] = 1.0 / (sqrt(q[k] / %lld) + 1e-9);\n", LL(kept), LL(cnt));
    emitf(e, "    for (int64_t i = 0; i < %lld; i++) {\n", LL(numel));
    e->indent = 2;
    emit_store(e, t, "y0", "i",
               arena_printf(ar, "(%s)(((double)%s - m[%s]) * q[%s])", dtype_ctype_compute(t), xv, kidx, kidx));
    e->indent = 1;
    emitf(e, "    }\n");
    return true;
}
