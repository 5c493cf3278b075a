/*
 * emit_tensor.c: kernels of the tensor-manipulation family.
 *
 * These ops move elements without arithmetic, so they copy in the storage
 * type (f16 stays uint16_t).  Most are a strided copy: emit_strided_copy
 * loops over a contiguous output and reads the input at a base offset plus
 * one stride per output dimension (Transpose, Slice, DepthToSpace and
 * SpaceToDepth as 6-D transposes), merging dimensions whose strides chain so
 * the inner loop is as long as possible.  Indexing ops (Gather*, Scatter*)
 * check every index at run time: negative ones wrap once, anything still
 * out of range makes the kernel return -DLCC_ERR_INDEX.
 */
#include "codegen.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

#define LL(x) ((long long)(x))


/* Contiguous strides of dims. */
static void strides_of(int rank, const int64_t *dims, int64_t *st) {
    int64_t s = 1;
    for (int d = rank - 1; d >= 0; d--) {
        st[d] = s;
        s *= dims[d];
    }
}

static int64_t prod(const int64_t *d, int from, int to) {
    int64_t p = 1;
    for (int i = from; i < to; i++)
        p *= d[i];
    return p;
}

/* dst[o] = src[base + sum_d i_d * sstr[d]] over the m output dims, output contiguous. */
static void emit_strided_copy(Emit *e, const char *dst, const char *src, int m, const int64_t *dims,
                              const int64_t *sstr, int64_t base) {
    int64_t size[DLCC_MAX_RANK * 2], ss[DLCC_MAX_RANK * 2], os[DLCC_MAX_RANK * 2], ostr[DLCC_MAX_RANK * 2];
    int64_t total = prod(dims, 0, m);
    if (total == 0)
        return;
    strides_of(m, dims, ostr);
    int k = 0;
    for (int d = 0; d < m; d++) {
        if (dims[d] == 1)
            continue;
        if (k > 0 && ss[k - 1] == sstr[d] * dims[d] && os[k - 1] == ostr[d] * dims[d]) {
            size[k - 1] *= dims[d];
            ss[k - 1] = sstr[d];
            os[k - 1] = ostr[d];
            continue;
        }
        size[k] = dims[d];
        ss[k] = sstr[d];
        os[k] = ostr[d];
        k++;
    }
    if (k == 0) {
        emit_code(e, "%s[0] = %s[%lld];\n", dst, src, LL(base));
        return;
    }
    Buf ob = {0}, ib = {0};
    buf_puts(&ob, "0");
    buf_printf(&ib, "%lld", LL(base));
    for (int d = 0; d < k - 1; d++) {
        emit_code(e, "for (int64_t i%d = 0; i%d < %lld; i%d++) {\n", d, d, LL(size[d]), d);
        buf_printf(&ob, " + i%d * %lld", d, LL(os[d]));
        buf_printf(&ib, " + i%d * %lld", d, LL(ss[d]));
    }
    emit_code(e, "const int64_t o = %s, b = %s;\n", ob.data, ib.data);
    emit_code(e, "for (int64_t j = 0; j < %lld; j++)\n", LL(size[k - 1]));
    if (ss[k - 1] == 1)
        emit_code(e, "    %s[o + j] = %s[b + j];\n", dst, src);
    else
        emit_code(e, "    %s[o + j] = %s[b + j * %lld];\n", dst, src, LL(ss[k - 1]));
    for (int d = 0; d < k - 1; d++)
        emit_code(e, "}\n");
    buf_free(&ob);
    buf_free(&ib);
}

/* Transposes x0 of the given (reshaped) dims by perm into y0. */
static void emit_permute(Emit *e, int rank, const int64_t *dims, const int64_t *perm) {
    int64_t st[DLCC_MAX_RANK * 2], od[DLCC_MAX_RANK * 2], os[DLCC_MAX_RANK * 2];
    strides_of(rank, dims, st);
    for (int d = 0; d < rank; d++) {
        od[d] = dims[perm[d]];
        os[d] = st[perm[d]];
    }
    emit_strided_copy(e, "y0", "x0", rank, od, os, 0);
}

/* Index check and wrap of `var` against dimension size D. */
static void emit_index_check(Emit *e, const char *var, const char *D) {
    emit_code(e, "if (%s < 0) %s += %s;\n", var, var, D);
    emit_code(e, "if (%s < 0 || %s >= %s) return -%d; /* DLCC_ERR_INDEX */\n", var, var, D, DLCC_ERR_INDEX);
}

static void emit_copy_all(Emit *e, int64_t count) {
    if (count > 0)
        emit_code(e, "for (int64_t i = 0; i < %lld; i++)\n    y0[i] = x0[i];\n", LL(count));
}

/* A C literal of element i of constant data of dtype t, in its storage type. */
static const char *storage_literal(Arena *a, DType t, const void *data, int64_t i) {
    if (t == DT_F16 || t == DT_BF16)
        return arena_printf(a, "%u", (unsigned)((const uint16_t *)data)[i]);
    if (dtype_size(t) == 1 && !dtype_is_int(t) && t != DT_BOOL)
        return arena_printf(a, "%u", (unsigned)((const uint8_t *)data)[i]);
    if (t == DT_F32 || t == DT_F64) {
        double v = data_get_f64(t, data, i);
        if (isnan(v))
            return "NAN";
        if (isinf(v))
            return v > 0 ? "INFINITY" : "-INFINITY";
        return arena_printf(a, "%.17g", v);
    }
    if (t == DT_U64)
        return arena_printf(a, "%lluu", (unsigned long long)((const uint64_t *)data)[i]);
    int64_t v = data_get_i64(t, data, i);
    if (v == INT64_MIN)
        return "INT64_MIN";
    return arena_printf(a, "%lld", LL(v));
}

/* ---------------------------------------------------------------- layout */

bool emit_transpose(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[0];
    int64_t perm[DLCC_MAX_RANK];
    int k = attr_ints(n, "perm", perm, DLCC_MAX_RANK);
    if (k < 0)
        for (int i = 0; i < x->rank; i++)
            perm[i] = x->rank - 1 - i;
    emit_permute(e, x->rank, x->dims, perm);
    return true;
}

static bool emit_block(Emit *e, bool to_space) {
    const Node *n = e->node;
    const Value *x = n->in[0];
    int64_t b = attr_int(n, "blocksize", 1), N = x->dims[0], C = x->dims[1], H = x->dims[2], W = x->dims[3];
    if (to_space) {
        bool crd = !strcmp(attr_string(n, "mode", "DCR"), "CRD");
        int64_t c = C / (b * b);
        if (crd) {
            int64_t d[6] = {N, c, b, b, H, W}, p[6] = {0, 1, 4, 2, 5, 3};
            emit_permute(e, 6, d, p);
        } else {
            int64_t d[6] = {N, b, b, c, H, W}, p[6] = {0, 3, 4, 1, 5, 2};
            emit_permute(e, 6, d, p);
        }
    } else {
        int64_t d[6] = {N, C, H / b, b, W / b, b}, p[6] = {0, 3, 5, 1, 2, 4};
        emit_permute(e, 6, d, p);
    }
    return true;
}

bool emit_depth_to_space(Emit *e) { return emit_block(e, true); }
bool emit_space_to_depth(Emit *e) { return emit_block(e, false); }

bool emit_slice(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[0];
    int64_t start[DLCC_MAX_RANK], step[DLCC_MAX_RANK], cnt[DLCC_MAX_RANK], st[DLCC_MAX_RANK], ss[DLCC_MAX_RANK];
    if (!slice_resolve(n, e->ctx, start, step, cnt))
        return false;
    strides_of(x->rank, x->dims, st);
    int64_t base = 0;
    for (int d = 0; d < x->rank; d++) {
        base += start[d] * st[d];
        ss[d] = step[d] * st[d];
    }
    emit_strided_copy(e, "y0", "x0", x->rank, cnt, ss, base);
    return true;
}

bool emit_concat(Emit *e) {
    const Node *n = e->node;
    const Value *y = n->out[0];
    int axis = norm_axis(attr_int(n, "axis", 0), y->rank);
    int64_t outer = prod(y->dims, 0, axis), inner = prod(y->dims, axis + 1, y->rank), Y = y->dims[axis] * inner;
    int64_t off = 0;
    for (int k = 0; k < n->n_in; k++) {
        int64_t chunk = n->in[k]->dims[axis] * inner;
        if (chunk > 0 && outer > 0) {
            emit_code(e, "for (int64_t a = 0; a < %lld; a++)\n", LL(outer));
            emit_code(e, "    for (int64_t j = 0; j < %lld; j++)\n", LL(chunk));
            emit_code(e, "        y0[a * %lld + %lld + j] = x%d[a * %lld + j];\n", LL(Y), LL(off), k, LL(chunk));
        }
        off += chunk;
    }
    return true;
}

bool emit_split(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[0];
    int axis = norm_axis(attr_int(n, "axis", 0), x->rank);
    int64_t outer = prod(x->dims, 0, axis), inner = prod(x->dims, axis + 1, x->rank), X = x->dims[axis] * inner;
    int64_t off = 0;
    for (int k = 0; k < n->n_out; k++) {
        int64_t chunk = n->out[k]->dims[axis] * inner;
        if (chunk > 0 && outer > 0) {
            emit_code(e, "for (int64_t a = 0; a < %lld; a++)\n", LL(outer));
            emit_code(e, "    for (int64_t j = 0; j < %lld; j++)\n", LL(chunk));
            emit_code(e, "        y%d[a * %lld + j] = x0[a * %lld + %lld + j];\n", k, LL(chunk), LL(X), LL(off));
        }
        off += chunk;
    }
    return true;
}

bool emit_tile(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[0], *y = n->out[0];
    int r = x->rank;
    if (value_numel(y) == 0)
        return true;
    if (r == 0) {
        emit_code(e, "y0[0] = x0[0];\n");
        return true;
    }
    int64_t st[DLCC_MAX_RANK];
    strides_of(r, x->dims, st);
    emit_code(e, "int64_t o = 0;\n");
    for (int d = 0; d < r; d++)
        emit_code(e, "for (int64_t i%d = 0; i%d < %lld; i%d++) {\n", d, d, LL(y->dims[d]), d);
    Buf b = {0};
    buf_puts(&b, "0");
    for (int d = 0; d < r; d++)
        buf_printf(&b, " + (i%d %% %lld) * %lld", d, LL(x->dims[d]), LL(st[d]));
    emit_code(e, "y0[o++] = x0[%s];\n", b.data);
    buf_free(&b);
    for (int d = 0; d < r; d++)
        emit_code(e, "}\n");
    return true;
}

bool emit_pad(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[0], *y = n->out[0];
    int r = x->rank;
    int64_t pads[2 * DLCC_MAX_RANK], st[DLCC_MAX_RANK];
    if (!pad_resolve(n, e->ctx, pads))
        return false;
    if (value_numel(y) == 0)
        return true;
    const char *mode = attr_string(n, "mode", "constant");
    bool constant = !strcmp(mode, "constant");
    strides_of(r, x->dims, st);
    if (constant) {
        if (n->opset >= 11) {
            if (n->n_in > 2 && n->in[2])
                emit_code(e, "const %s cval = x2[0];\n", dtype_ctype(x->dtype));
            else
                emit_code(e, "const %s cval = 0;\n", dtype_ctype(x->dtype));
        } else {
            emit_code(e, "const %s cval = (%s)%.17g;\n", dtype_ctype(x->dtype), dtype_ctype(x->dtype),
                  attr_float(n, "value", 0));
        }
    }
    if (r == 0) {
        emit_code(e, "y0[0] = x0[0];\n");
        return true;
    }
    emit_code(e, "int64_t o = 0;\n");
    Buf b = {0};
    buf_puts(&b, "0");
    for (int d = 0; d < r; d++) {
        int64_t D = x->dims[d];
        emit_code(e, "for (int64_t i%d = 0; i%d < %lld; i%d++) {\n", d, d, LL(y->dims[d]), d);
        emit_code(e, "int64_t s%d = i%d - %lld;\n", d, d, LL(pads[d]));
        if (constant) {
            emit_code(e, "const int v%d = %s(s%d >= 0 && s%d < %lld);\n", d, d ? arena_printf(e->ctx->arena, "v%d && ", d - 1) : "",
                  d, d, LL(D));
        } else if (!strcmp(mode, "edge")) {
            emit_code(e, "s%d = s%d < 0 ? 0 : s%d >= %lld ? %lld : s%d;\n", d, d, d, LL(D), LL(D - 1), d);
        } else if (!strcmp(mode, "wrap")) {
            emit_code(e, "s%d = ((s%d %% %lld) + %lld) %% %lld;\n", d, d, LL(D), LL(D), LL(D));
        } else if (D == 1) {
            emit_code(e, "s%d = 0;\n", d);
        } else {
            emit_code(e, "while (s%d < 0 || s%d >= %lld) {\n", d, d, LL(D));
            emit_code(e, "    if (s%d < 0) s%d = -s%d;\n", d, d, d);
            emit_code(e, "    if (s%d >= %lld) s%d = %lld - s%d;\n", d, LL(D), d, LL(2 * (D - 1)), d);
            emit_code(e, "}\n");
        }
        buf_printf(&b, " + s%d * %lld", d, LL(st[d]));
    }
    if (constant)
        emit_code(e, "y0[o++] = v%d ? x0[%s] : cval;\n", r - 1, b.data);
    else
        emit_code(e, "y0[o++] = x0[%s];\n", b.data);
    buf_free(&b);
    for (int d = 0; d < r; d++)
        emit_code(e, "}\n");
    return true;
}

/* ---------------------------------------------------------------- indexing */

bool emit_gather(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[0], *idx = n->in[1];
    int axis = norm_axis(attr_int(n, "axis", 0), x->rank);
    int64_t outer = prod(x->dims, 0, axis), inner = prod(x->dims, axis + 1, x->rank), D = x->dims[axis];
    int64_t ni = value_numel(idx);
    if (ni == 0 || outer == 0)
        return true;
    emit_code(e, "for (int64_t j = 0; j < %lld; j++) {\n", LL(ni));
    emit_code(e, "int64_t k = (int64_t)x1[j];\n");
    emit_index_check(e, "k", arena_printf(e->ctx->arena, "%lld", LL(D)));
    emit_code(e, "}\n");
    emit_code(e, "for (int64_t a = 0; a < %lld; a++)\n", LL(outer));
    emit_code(e, "for (int64_t j = 0; j < %lld; j++) {\n", LL(ni));
    emit_code(e, "int64_t k = (int64_t)x1[j];\n");
    emit_code(e, "if (k < 0) k += %lld;\n", LL(D));
    if (inner == 1) {
        emit_code(e, "y0[a * %lld + j] = x0[a * %lld + k];\n", LL(ni), LL(D));
    } else {
        emit_code(e, "for (int64_t i = 0; i < %lld; i++)\n", LL(inner));
        emit_code(e, "    y0[(a * %lld + j) * %lld + i] = x0[(a * %lld + k) * %lld + i];\n", LL(ni), LL(inner), LL(D),
              LL(inner));
    }
    emit_code(e, "}\n");
    return true;
}

/* Loops over the dims of `shape` (index variables i0...), with `o` the flat position. */
static void open_loops(Emit *e, const Value *shape) {
    emit_code(e, "int64_t o = 0;\n");
    for (int d = 0; d < shape->rank; d++)
        emit_code(e, "for (int64_t i%d = 0; i%d < %lld; i%d++) {\n", d, d, LL(shape->dims[d]), d);
}

static void close_loops(Emit *e, const Value *shape) {
    emit_code(e, "o++;\n");
    for (int d = 0; d < shape->rank; d++)
        emit_code(e, "}\n");
}

/* sum over d of (d == axis ? "k" : i_d) * stride_d */
static const char *offset_with_axis(Arena *a, int rank, const int64_t *st, int axis) {
    Buf b = {0};
    buf_puts(&b, "0");
    for (int d = 0; d < rank; d++)
        if (d == axis)
            buf_printf(&b, " + k * %lld", LL(st[d]));
        else
            buf_printf(&b, " + i%d * %lld", d, LL(st[d]));
    const char *s = arena_strdup(a, b.data);
    buf_free(&b);
    return s;
}

bool emit_gather_elements(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[0], *idx = n->in[1];
    int axis = norm_axis(attr_int(n, "axis", 0), x->rank);
    int64_t st[DLCC_MAX_RANK];
    strides_of(x->rank, x->dims, st);
    if (value_numel(idx) == 0)
        return true;
    open_loops(e, idx);
    emit_code(e, "int64_t k = (int64_t)x1[o];\n");
    emit_index_check(e, "k", arena_printf(e->ctx->arena, "%lld", LL(x->dims[axis])));
    emit_code(e, "y0[o] = x0[%s];\n", offset_with_axis(e->ctx->arena, x->rank, st, axis));
    close_loops(e, idx);
    return true;
}

/* Stores update x2[upd] into y0[dst], combined with the element there by
 * the reduction attribute (none, add, mul, max, min). */
static bool emit_scatter_store(Emit *e, DType t, const char *dst, const char *upd) {
    const char *red = attr_string(e->node, "reduction", "none");
    if (!strcmp(red, "none")) {
        emit_code(e, "y0[%s] = x2[%s];\n", dst, upd);
        return true;
    }
    Arena *a = e->ctx->arena;
    const char *oldv = emit_load(e, t, "y0", dst), *newv = emit_load(e, t, "x2", upd);
    const char *expr;
    if (!strcmp(red, "add"))
        expr = arena_printf(a, "%s + %s", oldv, newv);
    else if (!strcmp(red, "mul"))
        expr = arena_printf(a, "%s * %s", oldv, newv);
    else if (!strcmp(red, "max"))
        expr = arena_printf(a, "%s > %s ? %s : %s", newv, oldv, newv, oldv);
    else if (!strcmp(red, "min"))
        expr = arena_printf(a, "%s < %s ? %s : %s", newv, oldv, newv, oldv);
    else
        return emit_error(e, "unknown reduction '%s'", red);
    emit_store(e, t, "y0", dst, expr);
    return true;
}

bool emit_scatter_elements(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[0], *idx = n->in[1];
    int axis = norm_axis(attr_int(n, "axis", 0), x->rank);
    if (axis < 0 || idx->rank != x->rank)
        return emit_error(e, "bad axis or indices rank");
    int64_t st[DLCC_MAX_RANK];
    strides_of(x->rank, x->dims, st);
    emit_copy_all(e, value_numel(x));
    if (value_numel(idx) == 0)
        return true;
    emit_code(e, "{\n");
    open_loops(e, idx);
    emit_code(e, "int64_t k = (int64_t)x1[o];\n");
    emit_index_check(e, "k", arena_printf(e->ctx->arena, "%lld", LL(x->dims[axis])));
    emit_code(e, "const int64_t p = %s;\n", offset_with_axis(e->ctx->arena, x->rank, st, axis));
    if (!emit_scatter_store(e, x->dtype, "p", "o"))
        return false;
    close_loops(e, idx);
    emit_code(e, "}\n");
    return true;
}

/* Emits `static const int64_t name[] = {...};` */
static void emit_i64_array(Emit *e, const char *name, const int64_t *v, int n) {
    Buf b = {0};
    for (int i = 0; i < n; i++)
        buf_printf(&b, "%s%lld", i ? ", " : "", LL(v[i]));
    emit_code(e, "static const int64_t %s[%d] = {%s};\n", name, n > 0 ? n : 1, n > 0 ? b.data : "0");
    buf_free(&b);
}

/* dst offset from the L index components at x1 + j * L, checked. */
static void emit_nd_offset(Emit *e, const Value *x, int first, int L) {
    int64_t st[DLCC_MAX_RANK];
    strides_of(x->rank, x->dims, st);
    emit_i64_array(e, "dd", x->dims + first, L);
    emit_i64_array(e, "ds", st + first, L);
    emit_code(e, "for (int64_t t = 0; t < %d; t++) {\n", L);
    emit_code(e, "int64_t k = (int64_t)x1[j * %d + t];\n", L);
    emit_index_check(e, "k", "dd[t]");
    emit_code(e, "off += k * ds[t];\n");
    emit_code(e, "}\n");
}

bool emit_gather_nd(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[0], *idx = n->in[1];
    int b = (int)attr_int(n, "batch_dims", 0);
    int L = (int)idx->dims[idx->rank - 1];
    int64_t B = prod(idx->dims, 0, b), NI = prod(idx->dims, b, idx->rank - 1);
    int64_t slice = prod(x->dims, b + L, x->rank), bstride = prod(x->dims, b, x->rank);
    if (value_numel(n->out[0]) == 0)
        return true;
    emit_code(e, "for (int64_t bb = 0; bb < %lld; bb++)\n", LL(B));
    emit_code(e, "for (int64_t jj = 0; jj < %lld; jj++) {\n", LL(NI));
    emit_code(e, "const int64_t j = bb * %lld + jj;\n", LL(NI));
    emit_code(e, "int64_t off = bb * %lld;\n", LL(bstride));
    emit_nd_offset(e, x, b, L);
    emit_code(e, "for (int64_t i = 0; i < %lld; i++)\n", LL(slice));
    emit_code(e, "    y0[j * %lld + i] = x0[off + i];\n", LL(slice));
    emit_code(e, "}\n");
    return true;
}

bool emit_scatter_nd(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[0], *idx = n->in[1];
    int L = (int)idx->dims[idx->rank - 1];
    if (L > x->rank)
        return emit_error(e, "index depth %d exceeds the data rank %d", L, x->rank);
    int64_t NI = prod(idx->dims, 0, idx->rank - 1), slice = prod(x->dims, L, x->rank);
    emit_copy_all(e, value_numel(x));
    if (NI == 0 || slice == 0)
        return true;
    emit_code(e, "for (int64_t j = 0; j < %lld; j++) {\n", LL(NI));
    emit_code(e, "int64_t off = 0;\n");
    emit_nd_offset(e, x, 0, L);
    emit_code(e, "for (int64_t i = 0; i < %lld; i++) {\n", LL(slice));
    emit_code(e, "const int64_t p = off + i;\n");
    if (!emit_scatter_store(e, x->dtype, "p", arena_printf(e->ctx->arena, "j * %lld + i", LL(slice))))
        return false;
    emit_code(e, "}\n}\n");
    return true;
}

bool emit_reverse_sequence(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[0];
    int ba = norm_axis(attr_int(n, "batch_axis", 1), x->rank), ta = norm_axis(attr_int(n, "time_axis", 0), x->rank);
    if (ba < 0 || ta < 0 || ba == ta)
        return emit_error(e, "bad batch_axis or time_axis");
    int64_t st[DLCC_MAX_RANK];
    strides_of(x->rank, x->dims, st);
    if (value_numel(x) == 0)
        return true;
    open_loops(e, x);
    emit_code(e, "const int64_t len = (int64_t)x1[i%d];\n", ba);
    emit_code(e, "const int64_t k = i%d < len ? len - 1 - i%d : i%d;\n", ta, ta, ta);
    emit_code(e, "y0[o] = x0[%s];\n", offset_with_axis(e->ctx->arena, x->rank, st, ta));
    close_loops(e, x);
    return true;
}

bool emit_compress(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[0], *cond = n->in[1], *y = n->out[0];
    const Attr *aa = node_attr(n, "axis");
    int axis = aa ? norm_axis(aa->i, x->rank) : -1;
    int64_t len = aa ? x->dims[axis] : value_numel(x), cnt = 0;
    int64_t *sel = ARENA_ARRAY(e->ctx->arena, int64_t, len + 1);
    for (int64_t i = 0; i < value_numel(cond) && i < len; i++)
        if (data_get_i64(cond->dtype, cond->data, i))
            sel[cnt++] = i;
    if (value_numel(y) == 0)
        return true;
    emit_i64_array(e, "sel", sel, (int)cnt);
    if (!aa) {
        emit_code(e, "for (int64_t j = 0; j < %lld; j++)\n    y0[j] = x0[sel[j]];\n", LL(cnt));
        return true;
    }
    int64_t outer = prod(x->dims, 0, axis), inner = prod(x->dims, axis + 1, x->rank);
    emit_code(e, "for (int64_t a = 0; a < %lld; a++)\n", LL(outer));
    emit_code(e, "for (int64_t j = 0; j < %lld; j++)\n", LL(cnt));
    emit_code(e, "for (int64_t i = 0; i < %lld; i++)\n", LL(inner));
    emit_code(e, "    y0[(a * %lld + j) * %lld + i] = x0[(a * %lld + sel[j]) * %lld + i];\n", LL(cnt), LL(inner),
          LL(len), LL(inner));
    return true;
}

/* ---------------------------------------------------------------- generators */

/* Shape, Size, NonZero: the output data was computed by the shape function. */
static bool emit_known_i64(Emit *e) {
    const Value *y = e->node->out[0];
    if (!y->data)
        return emit_error(e, "output not known at compile time");
    for (int64_t i = 0; i < value_numel(y); i++)
        emit_code(e, "y0[%lld] = %lld;\n", LL(i), LL(((const int64_t *)y->data)[i]));
    return true;
}

bool emit_shape(Emit *e) { return emit_known_i64(e); }
bool emit_nonzero(Emit *e) { return emit_known_i64(e); }

bool emit_constant_of_shape(Emit *e) {
    const Node *n = e->node;
    const Value *y = n->out[0];
    const Attr *a = node_attr(n, "value");
    const char *lit = "0";
    if (a && a->kind == AT_TENSOR && a->t && a->t->data)
        lit = storage_literal(e->ctx->arena, a->t->dtype, a->t->data, 0);
    if (value_numel(y) > 0)
        emit_code(e, "for (int64_t i = 0; i < %lld; i++)\n    y0[i] = (%s)%s;\n", LL(value_numel(y)), dtype_ctype(y->dtype),
              lit);
    return true;
}

bool emit_range(Emit *e) {
    const Value *y = e->node->out[0];
    const char *t = dtype_ctype(y->dtype);
    if (value_numel(y) > 0)
        emit_code(e, "for (int64_t i = 0; i < %lld; i++)\n    y0[i] = (%s)(x0[0] + (%s)i * x2[0]);\n", LL(value_numel(y)), t,
              t);
    return true;
}

bool emit_onehot(Emit *e) {
    const Node *n = e->node;
    const Value *idx = n->in[0], *y = n->out[0];
    int axis = norm_axis(attr_int(n, "axis", -1), y->rank);
    int64_t depth = y->dims[axis];
    int64_t outer = prod(idx->dims, 0, axis), inner = prod(idx->dims, axis, idx->rank);
    if (value_numel(y) == 0)
        return true;
    emit_code(e, "for (int64_t a = 0; a < %lld; a++)\n", LL(outer));
    emit_code(e, "for (int64_t d = 0; d < %lld; d++)\n", LL(depth));
    emit_code(e, "for (int64_t i = 0; i < %lld; i++) {\n", LL(inner));
    emit_code(e, "int64_t k = (int64_t)x0[a * %lld + i];\n", LL(inner));
    emit_code(e, "if (k < 0) k += %lld;\n", LL(depth));
    emit_code(e, "y0[(a * %lld + d) * %lld + i] = k == d ? x2[1] : x2[0];\n", LL(depth), LL(inner));
    emit_code(e, "}\n");
    return true;
}

bool emit_trilu(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[0];
    if (value_numel(x) == 0)
        return true;
    int64_t R = x->dims[x->rank - 2], C = x->dims[x->rank - 1], B = prod(x->dims, 0, x->rank - 2);
    bool upper = attr_int(n, "upper", 1) != 0;
    if (n->n_in > 1 && n->in[1])
        emit_code(e, "const int64_t kk = (int64_t)x1[0];\n");
    else
        emit_code(e, "const int64_t kk = 0;\n");
    emit_code(e, "for (int64_t b = 0; b < %lld; b++)\n", LL(B));
    emit_code(e, "for (int64_t i = 0; i < %lld; i++)\n", LL(R));
    emit_code(e, "for (int64_t j = 0; j < %lld; j++) {\n", LL(C));
    emit_code(e, "const int64_t p = (b * %lld + i) * %lld + j;\n", LL(R), LL(C));
    emit_code(e, "y0[p] = j - i %s kk ? x0[p] : 0;\n", upper ? ">=" : "<=");
    emit_code(e, "}\n");
    return true;
}

bool emit_eyelike(Emit *e) {
    const Node *n = e->node;
    const Value *y = n->out[0];
    int64_t R = y->dims[0], C = y->dims[1], k = attr_int(n, "k", 0);
    if (R * C == 0)
        return true;
    emit_code(e, "for (int64_t i = 0; i < %lld; i++)\n", LL(R));
    emit_code(e, "for (int64_t j = 0; j < %lld; j++) {\n", LL(C));
    emit_store(e, y->dtype, "y0", arena_printf(e->ctx->arena, "i * %lld + j", LL(C)),
               arena_printf(e->ctx->arena, "j - i == %lld", LL(k)));
    emit_code(e, "}\n");
    return true;
}
