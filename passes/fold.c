/*
 * fold.c: constant folding, a small compile-time evaluator.
 *
 * fold_node evaluates one node whose inputs are all constant (Shape and Size
 * only need the input's shape) and stores the results in the outputs' data.
 * It runs after the node's shape function, so the output dtypes and dims
 * are known and the evaluator only fills in elements.  It covers the ops
 * that exported models use for shape arithmetic (Shape, Gather, Concat,
 * Slice, Unsqueeze, Cast, integer arithmetic, Range, ...) plus a few common
 * elementwise float ops.  Ops are found by ONNX name through op_lookup at
 * first use, so an op whose ops.def row does not exist yet is simply not
 * folded.  Integers are computed in int64 (wrapping), floats in double and
 * rounded to the output's storage type; data movement ops copy raw
 * elements, so they work for every fixed-size dtype.
 *
 * pass_shape calls fold_node as it goes, so later shape functions (Reshape's
 * shape input, Slice's starts) see constant data; pass_fold sweeps the graph
 * once more after other passes.  pass_dce then removes folded nodes and
 * turns their outputs into VK_CONST values.
 */
#include "passes.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Results larger than this are left to run time: they would bloat the weights. */
#define FOLD_MAX_ELEMS (1 << 20)

typedef struct Fold {
    Graph *g;
    Node *n;
    Ctx *c;
    void *out[8];
} Fold;

typedef bool (*EvalFn)(Fold *);

/* ---------------------------------------------------------------- element access */

static int64_t get_i(const Value *v, int64_t i) { return data_get_i64(v->dtype, v->data, i); }
static double get_f(const Value *v, int64_t i) { return data_get_f64(v->dtype, v->data, i); }

static void set_i(DType t, void *d, int64_t i, int64_t x) {
    switch (t) {
    case DT_I64: ((int64_t *)d)[i] = x; break;
    case DT_U64: ((uint64_t *)d)[i] = (uint64_t)x; break;
    case DT_I32: ((int32_t *)d)[i] = (int32_t)(uint32_t)x; break;
    case DT_U32: ((uint32_t *)d)[i] = (uint32_t)x; break;
    case DT_I16: ((int16_t *)d)[i] = (int16_t)(uint16_t)x; break;
    case DT_U16: ((uint16_t *)d)[i] = (uint16_t)x; break;
    case DT_I8: case DT_I4: ((int8_t *)d)[i] = (int8_t)(uint8_t)x; break;
    case DT_U8: case DT_U4: ((uint8_t *)d)[i] = (uint8_t)x; break;
    case DT_BOOL: ((uint8_t *)d)[i] = x != 0; break;
    default: data_set_f64(t, d, i, (double)x); break;
    }
}

/* Float to integer the way a saturating C conversion would do it; NaN -> 0. */
static int64_t f64_to_i64(double x) {
    if (x != x)
        return 0;
    if (x >= 9223372036854775807.0)
        return INT64_MAX;
    if (x <= -9223372036854775808.0)
        return INT64_MIN;
    return (int64_t)x;
}

static bool is_fp(DType t) { return dtype_is_float(t); }

static void unravel(int64_t i, int rank, const int64_t *dims, int64_t *idx) {
    for (int d = rank - 1; d >= 0; d--) {
        int64_t n = dims[d] > 0 ? dims[d] : 1;
        idx[d] = i % n;
        i /= n;
    }
}

/* Strides of `in` broadcast to `out` (0 on broadcast dims); false when the
 * shapes do not broadcast. */
static bool bcast_strides(const Value *in, const Value *out, int64_t *st) {
    int off = out->rank - in->rank;
    if (off < 0)
        return false;
    int64_t s = 1;
    for (int d = out->rank - 1; d >= 0; d--) {
        int k = d - off;
        if (k < 0) {
            st[d] = 0;
            continue;
        }
        if (in->dims[k] != out->dims[d] && in->dims[k] != 1)
            return false;
        st[d] = in->dims[k] == 1 ? 0 : s;
        s *= in->dims[k];
    }
    return true;
}

static int64_t dot(const int64_t *idx, const int64_t *st, int rank) {
    int64_t o = 0;
    for (int d = 0; d < rank; d++)
        o += idx[d] * st[d];
    return o;
}

static int64_t prod(const int64_t *dims, int from, int to) {
    int64_t p = 1;
    for (int d = from; d < to; d++)
        p *= dims[d];
    return p;
}

/* Reads a constant 1-D int input, or the int list attribute when the input
 * is absent (ops whose attribute became an input).  Returns the length, -1
 * when neither is there. */
static int ints_input_or_attr(const Node *n, int input, const char *attr, int64_t *out, int max) {
    if (input < n->n_in && n->in[input]) {
        const Value *v = n->in[input];
        int64_t k = value_numel(v);
        if (k > max || !v->data)
            return -1;
        for (int64_t i = 0; i < k; i++)
            out[i] = get_i(v, i);
        return (int)k;
    }
    return attr_ints(n, attr, out, max);
}

/* ---------------------------------------------------------------- evaluators */

static bool eval_constant(Fold *f) {
    Value *y = f->n->out[0];
    size_t bytes = value_bytes(y);
    const Attr *a;
    if ((a = node_attr(f->n, "value")) && a->kind == AT_TENSOR && a->t && a->t->data) {
        if (a->t->dtype != y->dtype || value_bytes(a->t) != bytes)
            return false;
        memcpy(f->out[0], a->t->data, bytes);
        return true;
    }
    if ((a = node_attr(f->n, "value_float")) || (a = node_attr(f->n, "value_floats"))) {
        if (y->dtype != DT_F32)
            return false;
        int64_t k = a->kind == AT_FLOATS ? a->n : 1;
        if (k != value_numel(y))
            return false;
        for (int64_t i = 0; i < k; i++)
            ((float *)f->out[0])[i] = (float)(a->kind == AT_FLOATS ? a->floats[i] : a->f);
        return true;
    }
    if ((a = node_attr(f->n, "value_int")) || (a = node_attr(f->n, "value_ints"))) {
        if (y->dtype != DT_I64)
            return false;
        int64_t k = a->kind == AT_INTS ? a->n : 1;
        if (k != value_numel(y))
            return false;
        for (int64_t i = 0; i < k; i++)
            ((int64_t *)f->out[0])[i] = a->kind == AT_INTS ? a->ints[i] : a->i;
        return true;
    }
    return false;
}

static bool eval_shape(Fold *f) {
    const Value *x = f->n->in[0];
    int64_t start = attr_int(f->n, "start", 0), end = attr_int(f->n, "end", x->rank);
    if (start < 0)
        start += x->rank;
    if (end < 0)
        end += x->rank;
    start = start < 0 ? 0 : start > x->rank ? x->rank : start;
    end = end < 0 ? 0 : end > x->rank ? x->rank : end;
    int64_t k = end > start ? end - start : 0;
    if (value_numel(f->n->out[0]) != k)
        return false;
    for (int64_t i = 0; i < k; i++)
        set_i(f->n->out[0]->dtype, f->out[0], i, x->dims[start + i]);
    return true;
}

static bool eval_size(Fold *f) {
    if (value_numel(f->n->out[0]) != 1)
        return false;
    set_i(f->n->out[0]->dtype, f->out[0], 0, value_numel(f->n->in[0]));
    return true;
}

/* Reshape, Flatten, Identity, Squeeze, Unsqueeze: same bytes, new shape. */
static bool eval_copy(Fold *f) {
    const Value *x = f->n->in[0];
    if (x->dtype != f->n->out[0]->dtype || value_bytes(x) != value_bytes(f->n->out[0]))
        return false;
    memcpy(f->out[0], x->data, value_bytes(x));
    return true;
}

static bool eval_gather(Fold *f) {
    const Value *x = f->n->in[0], *ind = f->n->in[1], *y = f->n->out[0];
    int axis = norm_axis(attr_int(f->n, "axis", 0), x->rank);
    if (axis < 0 || x->rank == 0 || dtype_is_float(ind->dtype))
        return false;
    size_t es = dtype_size(x->dtype);
    int64_t outer = prod(x->dims, 0, axis), inner = prod(x->dims, axis + 1, x->rank);
    int64_t dim = x->dims[axis], nind = value_numel(ind);
    if (outer * nind * inner != value_numel(y) || y->dtype != x->dtype)
        return false;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < nind; j++) {
            int64_t k = get_i(ind, j);
            if (k < 0)
                k += dim;
            if (k < 0 || k >= dim)
                return false; /* left to the kernel, which reports it at run time */
            memcpy((char *)f->out[0] + (size_t)((o * nind + j) * inner) * es,
                   (const char *)x->data + (size_t)((o * dim + k) * inner) * es, (size_t)inner * es);
        }
    return true;
}

static bool eval_concat(Fold *f) {
    const Value *y = f->n->out[0];
    int axis = norm_axis(attr_int(f->n, "axis", 0), y->rank);
    if (axis < 0)
        return false;
    size_t es = dtype_size(y->dtype);
    int64_t outer = prod(y->dims, 0, axis), inner = prod(y->dims, axis + 1, y->rank), total = 0;
    for (int i = 0; i < f->n->n_in; i++) {
        const Value *x = f->n->in[i];
        if (!x || x->rank != y->rank || x->dtype != y->dtype)
            return false;
        total += x->dims[axis];
    }
    if (total != y->dims[axis])
        return false;
    char *p = f->out[0];
    for (int64_t o = 0; o < outer; o++)
        for (int i = 0; i < f->n->n_in; i++) {
            const Value *x = f->n->in[i];
            size_t chunk = (size_t)(x->dims[axis] * inner) * es;
            memcpy(p, (const char *)x->data + (size_t)o * chunk, chunk);
            p += chunk;
        }
    return true;
}

/* Split: the outputs' shapes (from shape_split) give each piece's length. */
static bool eval_split(Fold *f) {
    const Value *x = f->n->in[0];
    int axis = norm_axis(attr_int(f->n, "axis", 0), x->rank);
    if (axis < 0)
        return false;
    size_t es = dtype_size(x->dtype);
    int64_t outer = prod(x->dims, 0, axis), inner = prod(x->dims, axis + 1, x->rank), off = 0;
    for (int i = 0; i < f->n->n_out; i++) {
        const Value *y = f->n->out[i];
        if (y->rank != x->rank || y->dtype != x->dtype)
            return false;
        off += y->dims[axis];
    }
    if (off != x->dims[axis])
        return false;
    off = 0;
    for (int i = 0; i < f->n->n_out; i++) {
        size_t chunk = (size_t)(f->n->out[i]->dims[axis] * inner) * es;
        for (int64_t o = 0; o < outer; o++)
            memcpy((char *)f->out[i] + (size_t)o * chunk,
                   (const char *)x->data + ((size_t)(o * x->dims[axis] + off) * (size_t)inner) * es, chunk);
        off += f->n->out[i]->dims[axis];
    }
    return true;
}

static bool eval_slice(Fold *f) {
    const Node *n = f->n;
    const Value *x = n->in[0], *y = n->out[0];
    int r = x->rank;
    int64_t starts[DLCC_MAX_RANK], ends[DLCC_MAX_RANK], axes[DLCC_MAX_RANK], steps[DLCC_MAX_RANK];
    int ns, ne, na, nst;
    if (n->opset < 10) {
        ns = attr_ints(n, "starts", starts, DLCC_MAX_RANK);
        ne = attr_ints(n, "ends", ends, DLCC_MAX_RANK);
        na = attr_ints(n, "axes", axes, DLCC_MAX_RANK);
        nst = -1;
    } else {
        ns = ints_input_or_attr(n, 1, "", starts, DLCC_MAX_RANK);
        ne = ints_input_or_attr(n, 2, "", ends, DLCC_MAX_RANK);
        na = ints_input_or_attr(n, 3, "", axes, DLCC_MAX_RANK);
        nst = ints_input_or_attr(n, 4, "", steps, DLCC_MAX_RANK);
    }
    if (ns < 0 || ne != ns || (na >= 0 && na != ns) || (nst >= 0 && nst != ns) || y->rank != r)
        return false;
    int64_t st[DLCC_MAX_RANK], step[DLCC_MAX_RANK];
    bool sliced[DLCC_MAX_RANK] = {false};
    for (int d = 0; d < r; d++)
        st[d] = 0, step[d] = 1;
    for (int i = 0; i < ns; i++) {
        int d = norm_axis(na >= 0 ? axes[i] : i, r);
        if (d < 0 || sliced[d])
            return false;
        int64_t k = nst >= 0 ? steps[i] : 1, dim = x->dims[d];
        if (k == 0)
            return false;
        sliced[d] = true;
        int64_t s = starts[i], e = ends[i];
        if (s < 0)
            s += dim;
        if (e < 0)
            e += dim;
        int64_t cnt;
        if (k > 0) {
            s = s < 0 ? 0 : s > dim ? dim : s;
            e = e < 0 ? 0 : e > dim ? dim : e;
            cnt = s < e ? (e - s + k - 1) / k : 0;
        } else {
            s = s < 0 ? 0 : s > dim - 1 ? dim - 1 : s;
            e = e < -1 ? -1 : e > dim - 1 ? dim - 1 : e;
            cnt = s > e ? (s - e - k - 1) / -k : 0;
        }
        if (cnt != y->dims[d])
            return false;
        st[d] = s;
        step[d] = k;
    }
    for (int d = 0; d < r; d++)
        if (!sliced[d] && y->dims[d] != x->dims[d])
            return false;
    int64_t xs[DLCC_MAX_RANK], idx[DLCC_MAX_RANK], total = value_numel(y);
    size_t es = dtype_size(x->dtype);
    for (int64_t d = r - 1, s = 1; d >= 0; d--) {
        xs[d] = s;
        s *= x->dims[d];
    }
    for (int64_t i = 0; i < total; i++) {
        unravel(i, r, y->dims, idx);
        int64_t o = 0;
        for (int d = 0; d < r; d++)
            o += (st[d] + idx[d] * step[d]) * xs[d];
        memcpy((char *)f->out[0] + (size_t)i * es, (const char *)x->data + (size_t)o * es, es);
    }
    return true;
}

static bool eval_cast(Fold *f) {
    const Value *x = f->n->in[0], *y = f->n->out[0];
    int64_t total = value_numel(y);
    if (total != value_numel(x))
        return false;
    for (int64_t i = 0; i < total; i++) {
        if (is_fp(y->dtype))
            data_set_f64(y->dtype, f->out[0], i, is_fp(x->dtype) ? get_f(x, i) : (double)get_i(x, i));
        else if (y->dtype == DT_BOOL)
            set_i(y->dtype, f->out[0], i, is_fp(x->dtype) ? get_f(x, i) != 0 : get_i(x, i) != 0);
        else
            set_i(y->dtype, f->out[0], i, is_fp(x->dtype) ? f64_to_i64(get_f(x, i)) : get_i(x, i));
    }
    return true;
}

/* Elementwise ops over broadcast inputs.  `kind` says what to compute. */
typedef enum {
    EW_ADD, EW_SUB, EW_MUL, EW_DIV, EW_POW, EW_MOD, EW_MIN, EW_MAX,
    EW_EQ, EW_LT, EW_GT, EW_LE, EW_GE, EW_AND, EW_OR, EW_XOR,
    EW_NEG, EW_ABS, EW_FLOOR, EW_CEIL, EW_NOT, EW_RELU, EW_SQRT, EW_EXP, EW_LOG,
    EW_SIGMOID, EW_TANH, EW_RECIP, EW_SIGN, EW_ROUND,
} EwKind;

static bool ew_float2(EwKind k, double a, double b, double *r, int fmod_attr) {
    switch (k) {
    case EW_ADD: *r = a + b; return true;
    case EW_SUB: *r = a - b; return true;
    case EW_MUL: *r = a * b; return true;
    case EW_DIV: *r = a / b; return true;
    case EW_POW: *r = pow(a, b); return true;
    case EW_MOD: *r = fmod_attr ? fmod(a, b) : a - b * floor(a / b); return true;
    case EW_MIN: *r = a < b || a != a ? a : b; return true;
    case EW_MAX: *r = a > b || a != a ? a : b; return true;
    case EW_EQ: *r = a == b; return true;
    case EW_LT: *r = a < b; return true;
    case EW_GT: *r = a > b; return true;
    case EW_LE: *r = a <= b; return true;
    case EW_GE: *r = a >= b; return true;
    default: return false;
    }
}

static bool ew_int2(EwKind k, int64_t a, int64_t b, int64_t *r, int fmod_attr) {
    uint64_t ua = (uint64_t)a, ub = (uint64_t)b;
    switch (k) {
    case EW_ADD: *r = (int64_t)(ua + ub); return true;
    case EW_SUB: *r = (int64_t)(ua - ub); return true;
    case EW_MUL: *r = (int64_t)(ua * ub); return true;
    case EW_DIV:
        if (b == 0 || (a == INT64_MIN && b == -1))
            return false;
        *r = a / b; /* truncates, like the C kernel */
        return true;
    case EW_MOD:
        if (b == 0 || (a == INT64_MIN && b == -1))
            return false;
        *r = a % b;
        if (!fmod_attr && *r != 0 && ((*r < 0) != (b < 0)))
            *r += b; /* the sign of the divisor, like Python */
        return true;
    case EW_POW: {
        if (b < 0)
            return false;
        uint64_t p = 1;
        for (int64_t i = 0; i < b && i < 64; i++)
            p *= ua;
        *r = (int64_t)p;
        return true;
    }
    case EW_MIN: *r = a < b ? a : b; return true;
    case EW_MAX: *r = a > b ? a : b; return true;
    case EW_EQ: *r = a == b; return true;
    case EW_LT: *r = a < b; return true;
    case EW_GT: *r = a > b; return true;
    case EW_LE: *r = a <= b; return true;
    case EW_GE: *r = a >= b; return true;
    case EW_AND: *r = a && b; return true;
    case EW_OR: *r = a || b; return true;
    case EW_XOR: *r = !a != !b; return true;
    default: return false;
    }
}

static bool ew_float1(EwKind k, double a, double *r) {
    switch (k) {
    case EW_NEG: *r = -a; return true;
    case EW_ABS: *r = fabs(a); return true;
    case EW_FLOOR: *r = floor(a); return true;
    case EW_CEIL: *r = ceil(a); return true;
    case EW_RELU: *r = a > 0 ? a : 0; return true;
    case EW_SQRT: *r = sqrt(a); return true;
    case EW_EXP: *r = exp(a); return true;
    case EW_LOG: *r = log(a); return true;
    case EW_SIGMOID: *r = 1 / (1 + exp(-a)); return true;
    case EW_TANH: *r = tanh(a); return true;
    case EW_RECIP: *r = 1 / a; return true;
    case EW_SIGN: *r = a > 0 ? 1 : a < 0 ? -1 : 0; return true;
    case EW_ROUND: *r = nearbyint(a); return true;
    default: return false;
    }
}

static bool ew_int1(EwKind k, int64_t a, int64_t *r) {
    switch (k) {
    case EW_NEG: *r = (int64_t)(0 - (uint64_t)a); return true;
    case EW_ABS: *r = a < 0 ? (int64_t)(0 - (uint64_t)a) : a; return true;
    case EW_FLOOR: case EW_CEIL: case EW_ROUND: *r = a; return true;
    case EW_RELU: *r = a > 0 ? a : 0; return true;
    case EW_SIGN: *r = a > 0 ? 1 : a < 0 ? -1 : 0; return true;
    case EW_NOT: *r = !a; return true;
    default: return false;
    }
}

static bool eval_elementwise(Fold *f, EwKind k) {
    const Node *n = f->n;
    const Value *y = n->out[0];
    int nin = n->n_in;
    if (nin < 1 || nin > 8)
        return false;
    int64_t st[8][DLCC_MAX_RANK], idx[DLCC_MAX_RANK];
    for (int j = 0; j < nin; j++)
        if (!n->in[j] || n->in[j]->dtype != n->in[0]->dtype || !bcast_strides(n->in[j], y, st[j]))
            return false;
    bool fp = is_fp(n->in[0]->dtype);
    int fmod_attr = (int)attr_int(n, "fmod", 0);
    int64_t total = value_numel(y);
    for (int64_t i = 0; i < total; i++) {
        unravel(i, y->rank, y->dims, idx);
        if (fp) {
            double r = get_f(n->in[0], dot(idx, st[0], y->rank));
            if (nin == 1 && !ew_float1(k, r, &r))
                return false;
            for (int j = 1; j < nin; j++)
                if (!ew_float2(k, r, get_f(n->in[j], dot(idx, st[j], y->rank)), &r, fmod_attr))
                    return false;
            data_set_f64(y->dtype, f->out[0], i, r);
        } else {
            int64_t r = get_i(n->in[0], dot(idx, st[0], y->rank));
            if (nin == 1 && !ew_int1(k, r, &r))
                return false;
            for (int j = 1; j < nin; j++)
                if (!ew_int2(k, r, get_i(n->in[j], dot(idx, st[j], y->rank)), &r, fmod_attr))
                    return false;
            set_i(y->dtype, f->out[0], i, r);
        }
    }
    return true;
}

#define EW(NAME, KIND) \
    static bool eval_##NAME(Fold *f) { return eval_elementwise(f, KIND); }
EW(add, EW_ADD) EW(sub, EW_SUB) EW(mul, EW_MUL) EW(div, EW_DIV) EW(pow, EW_POW) EW(mod, EW_MOD)
EW(min, EW_MIN) EW(max, EW_MAX) EW(eq, EW_EQ) EW(lt, EW_LT) EW(gt, EW_GT) EW(le, EW_LE) EW(ge, EW_GE)
EW(and, EW_AND) EW(or, EW_OR) EW(xor, EW_XOR) EW(neg, EW_NEG) EW(abs, EW_ABS) EW(floor, EW_FLOOR)
EW(ceil, EW_CEIL) EW(not, EW_NOT) EW(relu, EW_RELU) EW(sqrt, EW_SQRT) EW(exp, EW_EXP) EW(log, EW_LOG)
EW(sigmoid, EW_SIGMOID) EW(tanh, EW_TANH) EW(recip, EW_RECIP) EW(sign, EW_SIGN) EW(round, EW_ROUND)
#undef EW

/* Copies element `from` of x into element `to` of the output buffer. */
static void copy_elem(void *out, int64_t to, const Value *x, int64_t from) {
    size_t es = dtype_size(x->dtype);
    memcpy((char *)out + (size_t)to * es, (const char *)x->data + (size_t)from * es, es);
}

static bool eval_where(Fold *f) {
    const Node *n = f->n;
    const Value *cond = n->in[0], *a = n->in[1], *b = n->in[2], *y = n->out[0];
    int64_t sc[DLCC_MAX_RANK], sa[DLCC_MAX_RANK], sb[DLCC_MAX_RANK], idx[DLCC_MAX_RANK];
    if (a->dtype != y->dtype || b->dtype != y->dtype || !bcast_strides(cond, y, sc) || !bcast_strides(a, y, sa) ||
        !bcast_strides(b, y, sb))
        return false;
    int64_t total = value_numel(y);
    for (int64_t i = 0; i < total; i++) {
        unravel(i, y->rank, y->dims, idx);
        if (get_i(cond, dot(idx, sc, y->rank)))
            copy_elem(f->out[0], i, a, dot(idx, sa, y->rank));
        else
            copy_elem(f->out[0], i, b, dot(idx, sb, y->rank));
    }
    return true;
}

static bool eval_expand(Fold *f) {
    const Value *x = f->n->in[0], *y = f->n->out[0];
    int64_t st[DLCC_MAX_RANK], idx[DLCC_MAX_RANK];
    if (x->dtype != y->dtype || !bcast_strides(x, y, st))
        return false;
    int64_t total = value_numel(y);
    for (int64_t i = 0; i < total; i++) {
        unravel(i, y->rank, y->dims, idx);
        copy_elem(f->out[0], i, x, dot(idx, st, y->rank));
    }
    return true;
}

static bool eval_tile(Fold *f) {
    const Value *x = f->n->in[0], *y = f->n->out[0];
    if (x->dtype != y->dtype || x->rank != y->rank)
        return false;
    int64_t xs[DLCC_MAX_RANK], idx[DLCC_MAX_RANK];
    for (int64_t d = x->rank - 1, s = 1; d >= 0; d--) {
        if (x->dims[d] == 0 || y->dims[d] % x->dims[d])
            return false;
        xs[d] = s;
        s *= x->dims[d];
    }
    int64_t total = value_numel(y);
    for (int64_t i = 0; i < total; i++) {
        unravel(i, y->rank, y->dims, idx);
        int64_t o = 0;
        for (int d = 0; d < y->rank; d++)
            o += (idx[d] % x->dims[d]) * xs[d];
        copy_elem(f->out[0], i, x, o);
    }
    return true;
}

static bool eval_transpose(Fold *f) {
    const Value *x = f->n->in[0], *y = f->n->out[0];
    int r = x->rank;
    int64_t perm[DLCC_MAX_RANK], xs[DLCC_MAX_RANK], idx[DLCC_MAX_RANK];
    int np = attr_ints(f->n, "perm", perm, DLCC_MAX_RANK);
    if (np < 0)
        for (int d = 0; d < r; d++)
            perm[d] = r - 1 - d;
    else if (np != r)
        return false;
    if (y->rank != r || x->dtype != y->dtype)
        return false;
    for (int64_t d = r - 1, s = 1; d >= 0; d--) {
        xs[d] = s;
        s *= x->dims[d];
    }
    for (int d = 0; d < r; d++)
        if (perm[d] < 0 || perm[d] >= r || y->dims[d] != x->dims[perm[d]])
            return false;
    int64_t total = value_numel(y);
    for (int64_t i = 0; i < total; i++) {
        unravel(i, r, y->dims, idx);
        int64_t o = 0;
        for (int d = 0; d < r; d++)
            o += idx[d] * xs[perm[d]];
        copy_elem(f->out[0], i, x, o);
    }
    return true;
}

static bool eval_range(Fold *f) {
    const Value *s = f->n->in[0], *l = f->n->in[1], *d = f->n->in[2], *y = f->n->out[0];
    if (value_numel(s) != 1 || value_numel(l) != 1 || value_numel(d) != 1 || y->rank != 1)
        return false;
    int64_t total = value_numel(y);
    if (is_fp(y->dtype)) {
        double a = get_f(s, 0), b = get_f(l, 0), k = get_f(d, 0);
        double cnt = k != 0 ? ceil((b - a) / k) : -1;
        if (k == 0 || (cnt > 0 ? cnt : 0) != (double)total)
            return false;
        for (int64_t i = 0; i < total; i++)
            data_set_f64(y->dtype, f->out[0], i, a + (double)i * k);
    } else {
        int64_t a = get_i(s, 0), b = get_i(l, 0), k = get_i(d, 0);
        if (k == 0)
            return false;
        int64_t cnt = k > 0 ? (b > a ? (b - a + k - 1) / k : 0) : (a > b ? (a - b - k - 1) / -k : 0);
        if (cnt != total)
            return false;
        for (int64_t i = 0; i < total; i++)
            set_i(y->dtype, f->out[0], i, a + i * k);
    }
    return true;
}

static bool eval_constant_of_shape(Fold *f) {
    const Value *y = f->n->out[0];
    const Attr *a = node_attr(f->n, "value");
    if (!a)
        return y->dtype == DT_F32; /* zeros, already cleared */
    if (a->kind != AT_TENSOR || !a->t || !a->t->data || a->t->dtype != y->dtype || value_numel(a->t) != 1)
        return false;
    size_t es = dtype_size(y->dtype);
    int64_t total = value_numel(y);
    for (int64_t i = 0; i < total; i++)
        memcpy((char *)f->out[0] + (size_t)i * es, a->t->data, es);
    return true;
}

/* ---------------------------------------------------------------- dispatch */

typedef struct Evaluator {
    const char *name;
    EvalFn fn;
    bool shape_only; /* needs only the input's shape, not its data */
} Evaluator;

static const Evaluator evaluators[] = {
    {"Constant", eval_constant, false},
    {"Shape", eval_shape, true},
    {"Size", eval_size, true},
    {"Gather", eval_gather, false},
    {"Unsqueeze", eval_copy, false},
    {"Squeeze", eval_copy, false},
    {"Reshape", eval_copy, false},
    {"Flatten", eval_copy, false},
    {"Identity", eval_copy, false},
    {"Concat", eval_concat, false},
    {"Split", eval_split, false},
    {"Slice", eval_slice, false},
    {"Cast", eval_cast, false},
    {"Add", eval_add, false},
    {"Sub", eval_sub, false},
    {"Mul", eval_mul, false},
    {"Div", eval_div, false},
    {"Pow", eval_pow, false},
    {"Mod", eval_mod, false},
    {"Min", eval_min, false},
    {"Max", eval_max, false},
    {"Equal", eval_eq, false},
    {"Less", eval_lt, false},
    {"Greater", eval_gt, false},
    {"LessOrEqual", eval_le, false},
    {"GreaterOrEqual", eval_ge, false},
    {"And", eval_and, false},
    {"Or", eval_or, false},
    {"Xor", eval_xor, false},
    {"Where", eval_where, false},
    {"Range", eval_range, false},
    {"ConstantOfShape", eval_constant_of_shape, false},
    {"Neg", eval_neg, false},
    {"Abs", eval_abs, false},
    {"Floor", eval_floor, false},
    {"Ceil", eval_ceil, false},
    {"Not", eval_not, false},
    {"Relu", eval_relu, false},
    {"Sqrt", eval_sqrt, false},
    {"Exp", eval_exp, false},
    {"Log", eval_log, false},
    {"Sigmoid", eval_sigmoid, false},
    {"Tanh", eval_tanh, false},
    {"Reciprocal", eval_recip, false},
    {"Sign", eval_sign, false},
    {"Round", eval_round, false},
    {"Expand", eval_expand, false},
    {"Tile", eval_tile, false},
    {"Transpose", eval_transpose, false},
};

#define N_EVALUATORS ((int)(sizeof evaluators / sizeof evaluators[0]))

/* Evaluator of an op, found through op_lookup once (the table is static). */
static const Evaluator *evaluator_of(OpKind op) {
    static short index[OP_COUNT];
    static bool ready;
    if (!ready) {
        for (int i = 0; i < OP_COUNT; i++)
            index[i] = -1;
        for (int i = 0; i < N_EVALUATORS; i++) {
            OpKind k = op_lookup("", evaluators[i].name);
            if (k != OP_INVALID)
                index[k] = (short)i;
        }
        ready = true;
    }
    return op > OP_INVALID && op < OP_COUNT && index[op] >= 0 ? &evaluators[index[op]] : NULL;
}

bool fold_value_is_const(const Value *v, const Ctx *c) {
    if (!v)
        return false;
    if (value_is_const(v))
        return v->data != NULL;
    return !c->train && v->kind == VK_PARAM && v->data && v->init.kind == INIT_DATA;
}

bool fold_node(Graph *g, Node *n, Ctx *c) {
    const Evaluator *ev = evaluator_of(n->op);
    if (!ev || (node_info(n)->flags & (OPF_RANDOM | OPF_NOFOLD)) || n->n_out > 8)
        return false;
    bool done = true;
    for (int i = 0; i < n->n_out; i++) {
        const Value *y = n->out[i];
        if (y->rank < 0 || dtype_size(y->dtype) == 0 || y->dtype == DT_STRING) /* strings: run time */
            return false;
        if (!ev->shape_only && value_numel(y) > FOLD_MAX_ELEMS)
            return false;
        done = done && y->data;
    }
    if (done)
        return true;
    for (int i = 0; i < n->n_in; i++) {
        const Value *x = n->in[i];
        if (!x)
            continue;
        if (x->rank < 0 ||
            (!ev->shape_only && (!fold_value_is_const(x, c) || dtype_size(x->dtype) == 0 || x->dtype == DT_STRING)))
            return false;
        if (ev->shape_only)
            break; /* only input 0 matters */
    }
    Fold f = {g, n, c, {0}};
    for (int i = 0; i < n->n_out; i++) {
        size_t bytes = value_bytes(n->out[i]);
        f.out[i] = arena_alloc(g->arena, bytes ? bytes : 1);
    }
    if (!ev->fn(&f))
        return false;
    for (int i = 0; i < n->n_out; i++)
        n->out[i]->data = f.out[i];
    return true;
}

bool pass_fold(Graph *g, Ctx *c) {
    for (int i = 0; i < g->n_nodes; i++) {
        fold_node(g, g->nodes[i], c); /* checks that the inputs are constant */
    }
    return !ctx_failed(c);
}
