/*
 * emit_modern.c: kernels of the operators of recent opsets
 * (ir/ops_modern.def).
 *
 * RMSNormalization splits X at `axis` into outer rows of `inner` elements;
 * per row it sums the squares in double, scales by 1/sqrt(mean + epsilon)
 * (rounded to X's compute type, as the ONNX function casts Normalized back
 * to X's type) and multiplies by the scale, whose index within the row is
 * written out from its broadcast strides.  dlcc.RMSNormalizationGrad uses the
 * same row walk for the backward.  RotaryEmbedding walks (batch, head,
 * position) triples of the 3-D or 4-D input, finds the cos/sin row (through
 * position_ids when given, checked against the cache length at run time) and
 * rotates pairs (x[i], x[i + rot/2]), or (x[2i], x[2i+1]) when interleaved;
 * the dimensions past rotary_embedding_dim are copied.  Swish and CumProd
 * are plain loops (CumProd multiplies integers in uint64, so overflow
 * wraps instead of being undefined; an axis input known only at run time
 * selects one of the per-axis loop nests).  BitCast is one memcpy.  TensorScatter
 * copies the cache unless it runs in place and then copies each update row
 * to its slot write_indices[b] + s (modulo the cache length in circular
 * mode; out of range in linear mode is DLCC_ERR_INDEX).
 */
#include "codegen.h"

#include <string.h>

#define LL(x) ((long long)(x))

static int64_t dims_prod(const int64_t *dims, int from, int to) {
    int64_t p = 1;
    for (int d = from; d < to; d++)
        p *= dims[d];
    return p;
}

/* ---------------------------------------------------------------- RMSNormalization */

/* C expression of the index of the scale element that multiplies element
 * `j` (0 <= j < inner) of a row of x normalised from `axis`. */
static const char *rms_scale_index(Emit *e, const Value *x, const Value *sc, int axis) {
    Arena *a = e->ctx->arena;
    int64_t inner = dims_prod(x->dims, axis, x->rank);
    if (value_numel(sc) == 1)
        return "0";
    if (value_numel(sc) == inner)
        return "j";
    Buf b = {0};
    int64_t xs = 1, ss = 1;
    for (int d = x->rank - 1; d >= axis; d--) {
        int k = d - (x->rank - sc->rank);
        bool bc = k < 0 || sc->dims[k] == 1;
        if (!bc && x->dims[d] > 1)
            buf_printf(&b, "%s(j / %lld %% %lld) * %lld", b.len ? " + " : "", LL(xs), LL(x->dims[d]), LL(ss));
        if (k >= 0)
            ss *= sc->dims[k];
        xs *= x->dims[d];
    }
    const char *r = b.len ? arena_printf(a, "(%s)", b.data) : "0";
    buf_free(&b);
    return r;
}

static void rms_row_sum(Emit *e, const Value *x, int64_t inner) {
    emit_code(e, "double ss = 0;\n");
    emit_code(e, "for (int64_t j = 0; j < %lld; j++) {\n", LL(inner));
    emit_code(e, "const double v = (double)%s;\n", emit_load(e, x->dtype, "x", "j"));
    emit_code(e, "ss += v * v;\n}\n");
}

bool emit_rmsnorm(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[0], *sc = n->in[1], *y = n->out[0];
    int axis = norm_axis(attr_int(n, "axis", -1), x->rank);
    if (axis < 0)
        return emit_error(e, "axis out of range");
    int64_t outer = dims_prod(x->dims, 0, axis), inner = dims_prod(x->dims, axis, x->rank);
    if (outer * inner == 0)
        return true;
    double eps = attr_float(n, "epsilon", 1e-5);
    const char *si = rms_scale_index(e, x, sc, axis);
    emit_code(e, "typedef %s TX;\ntypedef %s TY;\n", dtype_ctype_compute(x->dtype), dtype_ctype_compute(y->dtype));
    emit_code(e, "for (int64_t o = 0; o < %lld; o++) {\n", LL(outer));
    emit_code(e, "const %s *restrict x = x0 + o * %lld;\n", dtype_ctype(x->dtype), LL(inner));
    emit_code(e, "%s *restrict y = y0 + o * %lld;\n", dtype_ctype(y->dtype), LL(inner));
    rms_row_sum(e, x, inner);
    emit_code(e, "const double inv = 1.0 / sqrt(ss / %lld + %.17g);\n", LL(inner), eps);
    emit_code(e, "for (int64_t j = 0; j < %lld; j++) {\n", LL(inner));
    emit_code(e, "const TX v = (TX)((double)%s * inv);\n", emit_load(e, x->dtype, "x", "j"));
    emit_store(e, y->dtype, "y", "j", arena_printf(e->ctx->arena, "(TY)v * (TY)%s", emit_load(e, sc->dtype, "x1", si)));
    emit_code(e, "}\n}\n");
    return true;
}

/* dX = g * inv - x * inv^3 * sum(g * x) / N with g = dY * Scale;
 * dScale (before SumTo) = dY * x * inv. */
bool emit_rmsnorm_grad(Emit *e) {
    const Node *n = e->node;
    const Value *dy = n->in[0], *x = n->in[1], *sc = n->in[2];
    int axis = norm_axis(attr_int(n, "axis", -1), x->rank);
    if (axis < 0)
        return emit_error(e, "axis out of range");
    int64_t outer = dims_prod(x->dims, 0, axis), inner = dims_prod(x->dims, axis, x->rank);
    if (outer * inner == 0)
        return true;
    Arena *a = e->ctx->arena;
    double eps = attr_float(n, "epsilon", 1e-5);
    const char *si = rms_scale_index(e, x, sc, axis);
    emit_code(e, "for (int64_t o = 0; o < %lld; o++) {\n", LL(outer));
    emit_code(e, "const %s *restrict x = x1 + o * %lld;\n", dtype_ctype(x->dtype), LL(inner));
    emit_code(e, "const %s *restrict dy = x0 + o * %lld;\n", dtype_ctype(dy->dtype), LL(inner));
    emit_code(e, "%s *restrict dx = y0 + o * %lld;\n", dtype_ctype(n->out[0]->dtype), LL(inner));
    emit_code(e, "%s *restrict ds = y1 + o * %lld;\n", dtype_ctype(n->out[1]->dtype), LL(inner));
    rms_row_sum(e, x, inner);
    emit_code(e, "const double inv = 1.0 / sqrt(ss / %lld + %.17g);\n", LL(inner), eps);
    emit_code(e, "double dot = 0;\n");
    emit_code(e, "for (int64_t j = 0; j < %lld; j++)\n", LL(inner));
    e->indent++;
    emit_code(e, "dot += (double)%s * (double)%s * (double)%s;\n", emit_load(e, dy->dtype, "dy", "j"),
              emit_load(e, sc->dtype, "x2", si), emit_load(e, x->dtype, "x", "j"));
    e->indent--;
    emit_code(e, "const double k = dot * inv * inv * inv / %lld;\n", LL(inner));
    emit_code(e, "for (int64_t j = 0; j < %lld; j++) {\n", LL(inner));
    emit_code(e, "const double g = (double)%s, xv = (double)%s;\n", emit_load(e, dy->dtype, "dy", "j"),
              emit_load(e, x->dtype, "x", "j"));
    emit_store(e, n->out[0]->dtype, "dx", "j",
               arena_printf(a, "(%s)(g * (double)%s * inv - xv * k)", dtype_ctype_compute(n->out[0]->dtype),
                            emit_load(e, sc->dtype, "x2", si)));
    emit_store(e, n->out[1]->dtype, "ds", "j",
               arena_printf(a, "(%s)(g * xv * inv)", dtype_ctype_compute(n->out[1]->dtype)));
    emit_code(e, "}\n}\n");
    return true;
}

/* ---------------------------------------------------------------- RotaryEmbedding */

bool emit_rotary_embedding(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[0], *cs = n->in[1];
    const Value *pos = n->n_in > 3 ? n->in[3] : NULL;
    DType t = x->dtype;
    int64_t B = x->dims[0], H, S, D;
    if (x->rank == 4) {
        H = x->dims[1];
        S = x->dims[2];
        D = x->dims[3];
    } else {
        H = attr_int(n, "num_heads", 0);
        S = x->dims[1];
        D = H > 0 ? x->dims[2] / H : 0;
    }
    if (H <= 0 || D <= 0)
        return value_numel(x) == 0 ? true : emit_error(e, "bad head layout");
    int64_t rot = attr_int(n, "rotary_embedding_dim", 0);
    if (rot == 0)
        rot = D;
    int64_t half = rot / 2;
    bool inter = attr_int(n, "interleaved", 0) != 0;
    if (value_numel(x) == 0)
        return true;
    emit_code(e, "typedef %s T;\n", dtype_ctype_compute(t));
    emit_code(e, "for (int64_t b = 0; b < %lld; b++) {\n", LL(B));
    emit_code(e, "for (int64_t s = 0; s < %lld; s++) {\n", LL(S));
    if (pos) {
        emit_code(e, "const int64_t p = (int64_t)%s;\n", emit_load(e, pos->dtype, "x3",
                  arena_printf(e->ctx->arena, "b * %lld + s", LL(S))));
        emit_code(e, "if (p < 0 || p >= %lld)\n    return -DLCC_ERR_INDEX;\n", LL(cs->dims[0]));
        emit_code(e, "const int64_t c = p * %lld;\n", LL(half));
    } else {
        emit_code(e, "const int64_t c = (b * %lld + s) * %lld;\n", LL(S), LL(half));
    }
    emit_code(e, "for (int64_t h = 0; h < %lld; h++) {\n", LL(H));
    if (x->rank == 4)
        emit_code(e, "const int64_t o = ((b * %lld + h) * %lld + s) * %lld;\n", LL(H), LL(S), LL(D));
    else
        emit_code(e, "const int64_t o = (b * %lld + s) * %lld + h * %lld;\n", LL(S), LL(H * D), LL(D));
    if (half > 0) {
        emit_code(e, "for (int64_t i = 0; i < %lld; i++) {\n", LL(half));
        if (inter)
            emit_code(e, "const int64_t i1 = o + 2 * i, i2 = i1 + 1;\n");
        else
            emit_code(e, "const int64_t i1 = o + i, i2 = i1 + %lld;\n", LL(half));
        emit_code(e, "const T co = %s, si = %s;\n", emit_load(e, t, "x1", "c + i"), emit_load(e, t, "x2", "c + i"));
        emit_code(e, "const T a = %s, d = %s;\n", emit_load(e, t, "x0", "i1"), emit_load(e, t, "x0", "i2"));
        emit_store(e, t, "y0", "i1", "co * a - si * d");
        emit_store(e, t, "y0", "i2", "si * a + co * d");
        emit_code(e, "}\n");
    }
    if (rot < D)
        emit_code(e, "for (int64_t i = %lld; i < %lld; i++)\n    y0[o + i] = x0[o + i];\n", LL(rot), LL(D));
    emit_code(e, "}\n}\n}\n");
    return true;
}

/* ---------------------------------------------------------------- Swish, CumProd, BitCast */

bool emit_swish(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[0];
    int64_t N = value_numel(x);
    if (N == 0)
        return true;
    DType t = x->dtype;
    emit_use_runtime(e, "math");
    emit_code(e, "typedef %s T;\n", dtype_ctype_compute(t));
    emit_code(e, "const T alpha = (T)%.17g;\n", (double)(float)attr_float(n, "alpha", 1.0));
    emit_code(e, "for (int64_t i = 0; i < %lld; i++) {\n", LL(N));
    emit_code(e, "const T v = %s;\n", emit_load(e, t, "x0", "i"));
    emit_store(e, t, "y0", "i", "v / ((T)1 + DLCC_EXP(-alpha * v))");
    emit_code(e, "}\n");
    return true;
}

/* The loops of CumProd along one axis. */
static void cumprod_loops(Emit *e, const Value *x, int axis) {
    const Node *n = e->node;
    int64_t outer = dims_prod(x->dims, 0, axis), inner = dims_prod(x->dims, axis + 1, x->rank), D = x->dims[axis];
    bool excl = attr_int(n, "exclusive", 0) != 0, rev = attr_int(n, "reverse", 0) != 0;
    bool is_int = dtype_is_int(x->dtype);
    const char *acc_t = is_int ? "uint64_t" : dtype_ctype_compute(x->dtype);
    const char *cast = is_int ? "(uint64_t)(int64_t)" : "";
    const char *out = is_int ? arena_printf(e->ctx->arena, "(%s)acc", dtype_ctype(x->dtype)) : "acc";
    emit_code(e, "for (int64_t a = 0; a < %lld; a++) {\n", LL(outer));
    emit_code(e, "for (int64_t i = 0; i < %lld; i++) {\n", LL(inner));
    emit_code(e, "%s acc = 1;\n", acc_t);
    if (rev)
        emit_code(e, "for (int64_t k = %lld; k >= 0; k--) {\n", LL(D - 1));
    else
        emit_code(e, "for (int64_t k = 0; k < %lld; k++) {\n", LL(D));
    emit_code(e, "const int64_t p = a * %lld + k * %lld + i;\n", LL(D * inner), LL(inner));
    if (excl)
        emit_store(e, x->dtype, "y0", "p", out);
    emit_code(e, "acc *= %s%s;\n", cast, emit_load(e, x->dtype, "x0", "p"));
    if (!excl)
        emit_store(e, x->dtype, "y0", "p", out);
    emit_code(e, "}\n}\n}\n");
}

/* A constant axis gives one loop nest; an axis known only at run time gives
 * one nest per dimension, chosen by a switch. */
bool emit_cumprod(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[0], *ax = n->in[1];
    if (x->rank == 0)
        return emit_error(e, "input must have rank >= 1");
    if (value_numel(x) == 0)
        return true;
    if (ax->data) {
        int axis = norm_axis(data_get_i64(ax->dtype, ax->data, 0), x->rank);
        if (axis < 0)
            return emit_error(e, "bad axis");
        cumprod_loops(e, x, axis);
        return true;
    }
    emit_code(e, "int64_t axis = (int64_t)x1[0];\n");
    emit_code(e, "if (axis < 0)\n    axis += %d;\n", x->rank);
    emit_code(e, "switch (axis) {\n");
    for (int d = 0; d < x->rank; d++) {
        emit_code(e, "case %d: {\n", d);
        cumprod_loops(e, x, d);
        emit_code(e, "break;\n}\n");
    }
    emit_code(e, "default:\n    return -DLCC_ERR_INDEX;\n}\n");
    return true;
}

bool emit_bitcast(Emit *e) {
    size_t bytes = value_bytes(e->node->out[0]);
    if (bytes)
        emit_code(e, "memcpy(y0, x0, %zu);\n", bytes);
    return true;
}

/* ---------------------------------------------------------------- TensorScatter */

bool emit_tensor_scatter(Emit *e) {
    const Node *n = e->node;
    const Value *cache = n->in[0], *up = n->in[1];
    bool has_wi = n->n_in > 2 && n->in[2];
    int axis = norm_axis(attr_int(n, "axis", -2), cache->rank);
    if (axis < 1)
        return emit_error(e, "bad axis");
    bool circ = !strcmp(attr_string(n, "mode", "linear"), "circular");
    int64_t B = cache->dims[0], P = dims_prod(cache->dims, 1, axis), M = cache->dims[axis];
    int64_t U = up->dims[axis], inner = dims_prod(cache->dims, axis + 1, cache->rank);
    size_t esz = dtype_size(cache->dtype);
    if (value_numel(cache) == 0)
        return true;
    emit_code(e, "if ((const void *)y0 != (const void *)x0)\n    memcpy(y0, x0, %zu);\n", value_bytes(cache));
    if (value_numel(up) == 0)
        return true;
    emit_code(e, "for (int64_t b = 0; b < %lld; b++) {\n", LL(B));
    emit_code(e, "int64_t w = %s;\n", has_wi ? "x2[b]" : "0");
    if (circ)
        emit_code(e, "w %%= %lld;\nif (w < 0)\n    w += %lld;\n", LL(M), LL(M));
    else
        emit_code(e, "if (w < 0 || w > %lld)\n    return -DLCC_ERR_INDEX;\n", LL(M - U));
    emit_code(e, "for (int64_t q = 0; q < %lld; q++) {\n", LL(P));
    emit_code(e, "for (int64_t s = 0; s < %lld; s++) {\n", LL(U));
    if (circ)
        emit_code(e, "const int64_t d = (w + s) %% %lld;\n", LL(M));
    else
        emit_code(e, "const int64_t d = w + s;\n");
    emit_code(e, "memcpy(y0 + ((b * %lld + q) * %lld + d) * %lld, x1 + ((b * %lld + q) * %lld + s) * %lld, %zu);\n",
              LL(P), LL(M), LL(inner), LL(P), LL(U), LL(inner), (size_t)inner * esz);
    emit_code(e, "}\n}\n}\n");
    return true;
}
