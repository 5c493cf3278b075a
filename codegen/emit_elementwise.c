/*
 * emit_elementwise.c: kernels of the elementwise family.
 *
 * Unary, binary, variadic (Sum/Mean/Min/Max) and Where kernels are all one
 * loop nest produced by emit_broadcast_loops: every operand gets, for each
 * output dimension, a stride (0 where it is broadcast); adjacent dimensions
 * whose strides chain are merged, so the same-shape case becomes one flat
 * loop, a scalar operand a stride-0 load and a row/suffix broadcast a 2-deep
 * nest whose inner loop is contiguous.  The innermost loop is a counted loop
 * over restrict pointers with constant bounds, which clang vectorizes.
 *
 * The computation is the ops.def row's expression in the compute type T
 * (`typedef float T;` for f32/f16/bf16), with float attributes it names
 * (alpha, beta, ...) defined as `const T` before the loop; loads and stores
 * go through emit_load/emit_store so f16/bf16 convert on the way.  A few
 * expressions are replaced by dtype (unsigned Abs is x, integer Max avoids
 * isnan, Mod follows its fmod attribute).
 */
#include "codegen.h"

#include <stdarg.h>
#include <string.h>

#define LL(x) ((long long)(x))


/* ---------------------------------------------------------------- broadcast loop nest */

typedef struct Operand {
    const char *ptr;  /* "x0" */
    const char *var;  /* local name in the loop body; NULL: not loaded */
    const Value *v;
} Operand;

enum { MAX_OPERANDS = 66 };

/* Emits loops over the shape of `out` that load every operand (with ONNX
 * broadcasting) into `const <compute type> var`, run `pre` (statements, may
 * be NULL) and store `result` into y0 as out's dtype.  Operands of dtype
 * tdt are declared as T.  raw: operands are loaded and stored in their
 * storage type, without conversions (copies). */
static void emit_broadcast_loops(Emit *e, const Value *out, const Operand *ops, int n, const char *pre,
                                 const char *result, bool raw, DType tdt) {
    int R = out->rank;
    int64_t size[DLCC_MAX_RANK], ost[DLCC_MAX_RANK];
    int64_t st[MAX_OPERANDS][DLCC_MAX_RANK];
    int m = 0;
    int64_t ostride = 1;
    int64_t odst[DLCC_MAX_RANK];
    for (int d = R - 1; d >= 0; d--) {
        odst[d] = ostride;
        ostride *= out->dims[d];
    }
    if (value_numel(out) == 0)
        return;
    int64_t opst[MAX_OPERANDS][DLCC_MAX_RANK];
    for (int k = 0; k < n; k++) {
        const Value *v = ops[k].v;
        int64_t s = 1;
        for (int d = R - 1; d >= 0; d--) {
            int vd = d - (R - v->rank);
            if (vd < 0 || v->dims[vd] == 1) {
                opst[k][d] = 0;
            } else {
                opst[k][d] = s;
                s *= v->dims[vd];
            }
        }
    }
    for (int d = 0; d < R; d++) {
        if (out->dims[d] == 1)
            continue;
        if (m > 0) {
            bool chain = ost[m - 1] == odst[d] * out->dims[d];
            for (int k = 0; k < n && chain; k++)
                chain = st[k][m - 1] == opst[k][d] * out->dims[d];
            if (chain) {
                size[m - 1] *= out->dims[d];
                ost[m - 1] = odst[d];
                for (int k = 0; k < n; k++)
                    st[k][m - 1] = opst[k][d];
                continue;
            }
        }
        size[m] = out->dims[d];
        ost[m] = odst[d];
        for (int k = 0; k < n; k++)
            st[k][m] = opst[k][d];
        m++;
    }
    if (m == 0) { /* a single element */
        size[0] = 1;
        ost[0] = 1;
        for (int k = 0; k < n; k++)
            st[k][0] = 0;
        m = 1;
    }
    Arena *a = e->ctx->arena;
    for (int d = 0; d < m - 1; d++)
        emit_code(e, "for (int64_t i%d = 0; i%d < %lld; i%d++) {\n", d, d, LL(size[d]), d);
    const char *obase = "";
    if (m > 1) {
        Buf b = {0};
        for (int d = 0; d < m - 1; d++)
            buf_printf(&b, "%si%d * %lld", d ? " + " : "", d, LL(ost[d]));
        emit_code(e, "const int64_t o = %s;\n", b.data);
        buf_free(&b);
        obase = "o + ";
    }
    const char *idx[MAX_OPERANDS];
    for (int k = 0; k < n; k++) {
        Buf b = {0};
        if (m > 1) {
            for (int d = 0; d < m - 1; d++)
                if (st[k][d])
                    buf_printf(&b, "%si%d * %lld", b.len ? " + " : "", d, LL(st[k][d]));
        }
        const char *base = NULL;
        if (b.len) {
            base = arena_printf(a, "b%d", k);
            emit_code(e, "const int64_t %s = %s;\n", base, b.data);
        }
        buf_free(&b);
        int64_t s = st[k][m - 1];
        const char *inner = s == 0 ? NULL : s == 1 ? "j" : arena_printf(a, "j * %lld", LL(s));
        if (base && inner)
            idx[k] = arena_printf(a, "%s + %s", base, inner);
        else
            idx[k] = base ? base : inner ? inner : "0";
    }
    emit_code(e, "for (int64_t j = 0; j < %lld; j++) {\n", LL(size[m - 1]));
    for (int k = 0; k < n; k++) {
        if (!ops[k].var)
            continue;
        DType t = ops[k].v->dtype;
        if (raw)
            emit_code(e, "const %s %s = %s[%s];\n", dtype_ctype(t), ops[k].var, ops[k].ptr, idx[k]);
        else
            emit_code(e, "const %s %s = %s;\n", t == tdt ? "T" : dtype_ctype_compute(t), ops[k].var,
                  emit_load(e, t, ops[k].ptr, idx[k]));
    }
    if (pre)
        emit_code(e, "%s", pre);
    const char *oidx = arena_printf(a, "%sj", obase);
    if (raw)
        emit_code(e, "y0[%s] = %s;\n", oidx, result);
    else
        emit_store(e, out->dtype, "y0", oidx, result);
    emit_code(e, "}\n");
    for (int d = 0; d < m - 1; d++)
        emit_code(e, "}\n");
}

/* ---------------------------------------------------------------- expressions */

static bool dtype_is_unsigned(DType t) {
    return t == DT_U8 || t == DT_U16 || t == DT_U32 || t == DT_U64 || t == DT_U4 || t == DT_BOOL;
}

/* The expression of node n for operand dtype t: the ops.def column, or a
 * replacement where the generic one does not fit the dtype. */
static const char *elementwise_expr(const Node *n, DType t) {
    bool is_float = dtype_is_float(t);
    switch (n->op) {
    case OP_ABS:
    case OP_RELU:
        if (dtype_is_unsigned(t))
            return "x";
        break;
    case OP_SIGN:
        if (dtype_is_unsigned(t))
            return "(T)(x != 0)";
        break;
    case OP_MAX:
        if (!is_float)
            return "y > x ? y : x";
        break;
    case OP_MIN:
        if (!is_float)
            return "y < x ? y : x";
        break;
    case OP_MOD:
        if (attr_int(n, "fmod", 0) || dtype_is_unsigned(t))
            return is_float ? "fmod(x, y)" : "(T)(x % y)";
        if (is_float)
            return "fmod(x, y)";
        return "(T)((x % y != 0 && ((x % y < 0) != (y < 0))) ? x % y + y : x % y)";
    default:
        break;
    }
    return node_info(n)->expr;
}

static const struct {
    OpKind op;
    const char *name;
    double dflt;
} float_attrs[] = {
    {OP_LEAKYRELU, "alpha", 0.01},
    {OP_ELU, "alpha", 1.0},
    {OP_SELU, "alpha", 1.67326319217681884765625},
    {OP_SELU, "gamma", 1.05070102214813232421875},
    {OP_CELU, "alpha", 1.0},
    {OP_HARDSIGMOID, "alpha", 0.2},
    {OP_HARDSIGMOID, "beta", 0.5},
    {OP_THRESHOLDEDRELU, "alpha", 1.0},
    {OP_SHRINK, "lambd", 0.5},
    {OP_SHRINK, "bias", 0.0},
};

/* Defines the attribute constants that expr names. */
static void emit_attr_constants(Emit *e, const char *expr) {
    const Node *n = e->node;
    for (size_t i = 0; i < sizeof float_attrs / sizeof float_attrs[0]; i++)
        if (float_attrs[i].op == n->op && strstr(expr, float_attrs[i].name))
            emit_code(e, "const T %s = (T)%.17g;\n", float_attrs[i].name,
                  (double)(float)attr_float(n, float_attrs[i].name, float_attrs[i].dflt));
    if (strstr(expr, "approx_tanh"))
        emit_code(e, "const int approx_tanh = %d;\n", !strcmp(attr_string(n, "approximate", "none"), "tanh"));
    if (strstr(expr, "shift_left"))
        emit_code(e, "const int shift_left = %d;\n", !strcmp(attr_string(n, "direction", "LEFT"), "LEFT"));
    if (strstr(expr, "detect_pos"))
        emit_code(e, "const int detect_pos = %d, detect_neg = %d;\n", (int)attr_int(n, "detect_positive", 1),
              (int)attr_int(n, "detect_negative", 1));
}

static void emit_typedef(Emit *e, DType t) {
    emit_use_runtime(e, "math");
    emit_code(e, "typedef %s T;\n", dtype_ctype_compute(t));
}

/* ---------------------------------------------------------------- emitters */

bool emit_unary(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[0];
    const char *expr = elementwise_expr(n, x->dtype);
    if (!expr)
        return emit_error(e, "no expression for %s", node_info(n)->name);
    if (value_numel(n->out[0]) == 0)
        return true;
    emit_typedef(e, x->dtype);
    emit_attr_constants(e, expr);
    Operand op = {"x0", "x", x};
    emit_broadcast_loops(e, n->out[0], &op, 1, NULL, expr, false, x->dtype);
    return true;
}

bool emit_binary(Emit *e) {
    const Node *n = e->node;
    if (n->in[0]->dtype == DT_STRING)
        return emit_string_compare(e);
    const char *expr = elementwise_expr(n, n->in[0]->dtype);
    if (!expr)
        return emit_error(e, "no expression for %s", node_info(n)->name);
    if (value_numel(n->out[0]) == 0)
        return true;
    emit_typedef(e, n->in[0]->dtype);
    emit_attr_constants(e, expr);
    Operand ops[2] = {{"x0", "x", n->in[0]}, {"x1", "y", n->in[1]}};
    emit_broadcast_loops(e, n->out[0], ops, 2, NULL, expr, false, n->in[0]->dtype);
    return true;
}

/* Sum, Mean, Max, Min: folds the row's expression (accumulator x, next
 * operand y) over the operands in one pass. */
bool emit_variadic(Emit *e) {
    const Node *n = e->node;
    int k = 0;
    Operand ops[MAX_OPERANDS];
    Arena *a = e->ctx->arena;
    for (int i = 0; i < n->n_in && k < MAX_OPERANDS; i++)
        if (n->in[i]) {
            ops[k].ptr = arena_printf(a, "x%d", i);
            ops[k].var = arena_printf(a, "v%d", k);
            ops[k].v = n->in[i];
            k++;
        }
    if (k == 0)
        return emit_error(e, "no operands");
    const char *expr = elementwise_expr(n, ops[0].v->dtype);
    if (value_numel(n->out[0]) == 0)
        return true;
    emit_typedef(e, ops[0].v->dtype);
    Buf pre = {0};
    buf_puts(&pre, "T x = v0;\n");
    for (int i = 1; i < k; i++)
        buf_printf(&pre, "{ const T y = v%d; x = %s; }\n", i, expr);
    const char *result = n->op == OP_MEAN ? arena_printf(a, "x / (T)%d", k) : "x";
    emit_broadcast_loops(e, n->out[0], ops, k, pre.data, result, false, ops[0].v->dtype);
    buf_free(&pre);
    return true;
}

bool emit_where(Emit *e) {
    const Node *n = e->node;
    Operand ops[3] = {{"x0", "c", n->in[0]}, {"x1", "x", n->in[1]}, {"x2", "y", n->in[2]}};
    emit_broadcast_loops(e, n->out[0], ops, 3, NULL, "c ? x : y", true, DT_UNDEF);
    return true;
}

/* Expand: a broadcasting copy in the storage type. */
bool emit_expand(Emit *e) {
    const Node *n = e->node;
    Operand op = {"x0", "x", n->in[0]};
    emit_broadcast_loops(e, n->out[0], &op, 1, NULL, "x", true, DT_UNDEF);
    return true;
}

/* Clip: bounds from attributes min/max before opset 11, from optional
 * inputs 1 and 2 after; a missing bound is not tested. */
bool emit_clip(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[0];
    if (value_numel(x) == 0)
        return true;
    emit_typedef(e, x->dtype);
    Buf pre = {0};
    bool has_lo = false, has_hi = false;
    if (n->opset < 11) {
        const Attr *lo = node_attr(n, "min"), *hi = node_attr(n, "max");
        if (lo) {
            emit_code(e, "const T lo = (T)%.17g;\n", attr_float(n, "min", 0));
            has_lo = true;
        }
        if (hi) {
            emit_code(e, "const T hi = (T)%.17g;\n", attr_float(n, "max", 0));
            has_hi = true;
        }
    } else {
        if (n->n_in > 1 && n->in[1]) {
            emit_code(e, "const T lo = %s;\n", emit_load(e, n->in[1]->dtype, "x1", "0"));
            has_lo = true;
        }
        if (n->n_in > 2 && n->in[2]) {
            emit_code(e, "const T hi = %s;\n", emit_load(e, n->in[2]->dtype, "x2", "0"));
            has_hi = true;
        }
    }
    buf_puts(&pre, "T r = x;\n");
    if (has_lo)
        buf_puts(&pre, "r = r < lo ? lo : r;\n");
    if (has_hi)
        buf_puts(&pre, "r = r > hi ? hi : r;\n");
    Operand op = {"x0", "x", x};
    emit_broadcast_loops(e, n->out[0], &op, 1, pre.data, "r", false, x->dtype);
    buf_free(&pre);
    return true;
}

/* Dropout: the output is the input and the mask all true, unless the
 * training_mode input (opset 12) is true at run time: then elements are
 * zeroed with probability ratio (input 1, default 0.5) and the rest scaled
 * by 1/(1-ratio).  With a `seed` attribute the keep mask is the ONNX
 * reference's, RandomState(seed).uniform(0, 1, shape) >= ratio
 * (runtime/mt19937.h), the same on every run; without one it comes from the
 * Philox4x32-10 stream of training builds (runtime/philox.h) keyed by the
 * node id.  Training builds use the DropoutTrain lowering of autodiff
 * instead. */
bool emit_dropout(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[0];
    int64_t count = value_numel(x);
    bool mask = n->n_out > 1 && n->out[1];
    bool has_mode = n->n_in > 2 && n->in[2];
    if (has_mode) {
        emit_code(e, "if (x2[0]) {");
        if (n->n_in > 1 && n->in[1])
            emit_code(e, "const double ratio = (double)%s;", emit_load(e, n->in[1]->dtype, "x1", "0"));
        else
            emit_code(e, "const double ratio = 0.5;");
        emit_code(e, "if (!(ratio >= 0.0 && ratio < 1.0))\n    return -DLCC_ERR_ARG;");
        emit_code(e, "const double scale = 1.0 / (1.0 - ratio);");
        bool seeded = node_attr(n, "seed") != NULL;
        if (seeded) {
            emit_mt19937_seeded(e, attr_int(n, "seed", 0));
            emit_code(e, "for (int64_t i = 0; i < %lld; i++) {", LL(count));
            emit_code(e, "const unsigned char k = dlcc_mt_double(rng) >= ratio;");
        } else {
            emit_use_runtime(e, "philox");
            emit_code(e, "const double t = ratio * 4294967296.0;");
            emit_code(e, "const uint32_t thr = t > 4294967295.0 ? 4294967295u : (uint32_t)t;");
            emit_code(e, "for (int64_t b = 0; b < %lld; b++) {", LL((count + 3) / 4));
            emit_code(e, "unsigned char keep[4];");
            emit_code(e, "dlcc_dropout_block(%lluu, %uu, 0u, (uint64_t)b, thr, keep);", 0ull, (unsigned)n->id);
            emit_code(e, "for (int64_t j = 0; j < 4 && b * 4 + j < %lld; j++) {", LL(count));
            emit_code(e, "const int64_t i = b * 4 + j;");
            emit_code(e, "const unsigned char k = keep[j];");
        }
        emit_code(e, "const double v = k ? (double)%s * scale : 0.0;", emit_load(e, x->dtype, "x0", "i"));
        emit_store(e, x->dtype, "y0", "i", arena_printf(e->ctx->arena, "(%s)v", dtype_ctype_compute(x->dtype)));
        if (mask)
            emit_code(e, "y1[i] = k;");
        emit_code(e, "}");
        if (!seeded)
            emit_code(e, "}");
        emit_code(e, "return 0;");
        emit_code(e, "}");
    }
    emit_code(e, "for (int64_t i = 0; i < %lld; i++)\n    y0[i] = x0[i];\n", LL(count));
    if (mask)
        emit_code(e, "for (int64_t i = 0; i < %lld; i++)\n    y1[i] = 1;\n", LL(count));
    return true;
}

/* float8 kind codes of runtime/half.h's dlcc_f8_encode. */
static int f8_kind(DType t) {
    switch (t) {
    case DT_F8E4M3FN: return 0;
    case DT_F8E4M3FNUZ: return 1;
    case DT_F8E5M2: return 2;
    case DT_F8E5M2FNUZ: return 3;
    default: return -1;
    }
}

/* Cast, CastLike: load in the source's compute type, convert, store.  To
 * bool is x != 0; float to integer truncates (through int64_t, so negative
 * values wrap for unsigned targets as in numpy); float8 targets honour
 * `saturate` (default 1); 4- and 2-bit integer targets wrap like the wider
 * ones; float8e8m0 targets honour `saturate` and `round_mode` ("up" by
 * default, "down", "nearest"). */
bool emit_cast(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[0], *y = n->out[0];
    DType from = x->dtype, to = y->dtype;
    if (from == DT_STRING || to == DT_STRING)
        return emit_string_cast(e);
    if (from == to) {
        emit_code(e, "for (int64_t i = 0; i < %lld; i++)\n    y0[i] = x0[i];\n", LL(value_numel(x)));
        return true;
    }
    emit_use_runtime(e, "math");
    const char *load, *ct;
    if (from == DT_F4E2M1) {
        load = "dlcc_f4e2m1_to_f32(x0[i])";
        ct = "float";
    } else if (from == DT_U4 || from == DT_I4 || from == DT_U2 || from == DT_I2) {
        load = "x0[i]";
        ct = "int";
    } else {
        load = emit_load(e, from, "x0", "i");
        ct = dtype_ctype_compute(from);
    }
    emit_code(e, "for (int64_t i = 0; i < %lld; i++) {\n", LL(value_numel(x)));
    emit_code(e, "const %s x = %s;\n", ct, load);
    if (to == DT_BOOL) {
        emit_code(e, "y0[i] = (uint8_t)(x != 0);\n");
    } else if (f8_kind(to) >= 0) {
        emit_use_runtime(e, "half");
        emit_code(e, "y0[i] = dlcc_f8_encode((float)x, %d, %d);\n", f8_kind(to), attr_int(n, "saturate", 1) != 0);
    } else if (to == DT_F4E2M1) {
        emit_code(e, "y0[i] = dlcc_f32_to_f4e2m1((float)x);\n");
    } else if (to == DT_U4) {
        emit_code(e, "y0[i] = (uint8_t)((int64_t)x & 15);\n");
    } else if (to == DT_I4) {
        emit_code(e, "y0[i] = (int8_t)((((int64_t)x & 15) ^ 8) - 8);\n");
    } else if (to == DT_U2) {
        emit_code(e, "y0[i] = (uint8_t)((int64_t)x & 3);\n");
    } else if (to == DT_I2) {
        emit_code(e, "y0[i] = (int8_t)((((int64_t)x & 3) ^ 2) - 2);\n");
    } else if (to == DT_F8E8M0) {
        const char *mode = attr_string(n, "round_mode", "up");
        int rm = !strcmp(mode, "down") ? 1 : !strcmp(mode, "nearest") ? 2 : 0;
        emit_use_runtime(e, "half");
        emit_code(e, "y0[i] = dlcc_e8m0_encode((float)x, %d, %d);\n", rm, attr_int(n, "saturate", 1) != 0);
    } else if (dtype_is_int(to) && dtype_is_float(from)) {
        if (to == DT_U64)
            emit_code(e, "y0[i] = x < 0 ? (uint64_t)(int64_t)x : (uint64_t)x;\n");
        else
            emit_code(e, "y0[i] = (%s)(int64_t)x;\n", dtype_ctype(to));
    } else {
        emit_store(e, to, "y0", "i", dtype_is_float(to) && !dtype_is_float(from) ? "(double)x" : "x");
    }
    emit_code(e, "}\n");
    return true;
}
