/*
 * shape_nn.c: shape functions of the neural-network operators (ops_nn.def):
 * matrix products, convolution, pooling and normalisation.
 *
 * Convolution and pooling share nn_window(), which turns the ONNX
 * attributes (kernel_shape, strides, dilations, pads, auto_pad, ceil_mode)
 * into explicit begin/end pads and output sizes; the emitters call it again
 * so that the kernel and the shape never disagree.  Output sizes follow the
 * ONNX operator documents: floor((in + pads - dilated_kernel) / stride) + 1,
 * with ceil instead of floor under ceil_mode (dropping a last window that
 * would start in the end padding), and ceil(in / stride) under SAME_*.
 */
#include "shape_nn.h"

#include <string.h>

static int64_t div_floor(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
static int64_t div_ceil(int64_t a, int64_t b) { return -div_floor(-a, b); }

bool nn_window(const Node *n, const Value *x, const int64_t *kernel, bool ceil_mode, NNWindow *w, Ctx *c) {
    memset(w, 0, sizeof *w);
    if (x->rank < 3)
        return c ? node_error(c, n, "input must have rank >= 3 ([N, C, spatial...]), got %s",
                              value_type_str(c->arena, x))
                 : false;
    int nsp = x->rank - 2;
    w->nsp = nsp;
    for (int i = 0; i < nsp; i++) {
        w->in[i] = x->dims[i + 2];
        w->s[i] = w->d[i] = 1;
    }
    if (kernel) {
        memcpy(w->k, kernel, sizeof(int64_t) * (size_t)nsp);
    } else if (attr_ints(n, "kernel_shape", w->k, nsp) != nsp) {
        return c ? node_error(c, n, "kernel_shape must have %d values", nsp) : false;
    }
    int64_t tmp[2 * NN_MAX_SPATIAL];
    int cnt = attr_ints(n, "strides", tmp, nsp);
    if (cnt >= 0 && cnt != nsp)
        return c ? node_error(c, n, "strides must have %d values", nsp) : false;
    if (cnt == nsp)
        memcpy(w->s, tmp, sizeof(int64_t) * (size_t)nsp);
    cnt = attr_ints(n, "dilations", tmp, nsp);
    if (cnt >= 0 && cnt != nsp)
        return c ? node_error(c, n, "dilations must have %d values", nsp) : false;
    if (cnt == nsp)
        memcpy(w->d, tmp, sizeof(int64_t) * (size_t)nsp);
    for (int i = 0; i < nsp; i++)
        if (w->k[i] < 1 || w->s[i] < 1 || w->d[i] < 1)
            return c ? node_error(c, n, "kernel sizes, strides and dilations must be positive") : false;

    const char *auto_pad = attr_string(n, "auto_pad", "NOTSET");
    bool same_upper = !strcmp(auto_pad, "SAME_UPPER"), same_lower = !strcmp(auto_pad, "SAME_LOWER");
    if (same_upper || same_lower) {
        for (int i = 0; i < nsp; i++) {
            int64_t dk = (w->k[i] - 1) * w->d[i] + 1;
            w->out[i] = div_ceil(w->in[i], w->s[i]);
            int64_t total = (w->out[i] - 1) * w->s[i] + dk - w->in[i];
            if (total < 0)
                total = 0;
            w->pb[i] = same_upper ? total / 2 : total - total / 2;
            w->pe[i] = total - w->pb[i];
        }
        return true;
    }
    if (!strcmp(auto_pad, "VALID")) {
        /* pads are zero */
    } else if (!strcmp(auto_pad, "NOTSET") || !*auto_pad) {
        cnt = attr_ints(n, "pads", tmp, 2 * nsp);
        if (cnt >= 0 && cnt != 2 * nsp)
            return c ? node_error(c, n, "pads must have %d values", 2 * nsp) : false;
        if (cnt == 2 * nsp)
            for (int i = 0; i < nsp; i++) {
                w->pb[i] = tmp[i];
                w->pe[i] = tmp[i + nsp];
                if (w->pb[i] < 0 || w->pe[i] < 0)
                    return c ? node_error(c, n, "negative pads are not supported") : false;
            }
    } else {
        return c ? node_error(c, n, "unknown auto_pad '%s'", auto_pad) : false;
    }
    for (int i = 0; i < nsp; i++) {
        int64_t dk = (w->k[i] - 1) * w->d[i] + 1;
        int64_t span = w->in[i] + w->pb[i] + w->pe[i] - dk;
        if (span < 0)
            return c ? node_error(c, n, "kernel (%lld, dilated) is larger than the padded input (%lld)",
                                  (long long)dk, (long long)(w->in[i] + w->pb[i] + w->pe[i]))
                     : false;
        if (ceil_mode) {
            w->out[i] = div_ceil(span, w->s[i]) + 1;
            if ((w->out[i] - 1) * w->s[i] >= w->in[i] + w->pb[i])
                w->out[i]--;
        } else {
            w->out[i] = span / w->s[i] + 1;
        }
    }
    return true;
}

static bool check_float(Node *n, Ctx *c, const Value *v) {
    if (!dtype_is_float(v->dtype) && !dtype_is_int(v->dtype))
        return node_error(c, n, "unsupported element type %s", dtype_name(v->dtype));
    return true;
}

/* MatMul: numpy semantics.  1-D operands are promoted (A to [1, K], B to
 * [K, 1]) and the promoted dim removed again; batch dims broadcast. */
bool shape_matmul(Node *n, Ctx *c) {
    const Value *a = n->in[0], *b = n->in[1];
    if (a->rank < 1 || b->rank < 1)
        return node_error(c, n, "operands must have rank >= 1");
    if (a->dtype != b->dtype)
        return node_error(c, n, "operand types differ (%s vs %s)", dtype_name(a->dtype), dtype_name(b->dtype));
    if (!check_float(n, c, a))
        return false;
    int64_t ka = a->dims[a->rank - 1];
    int64_t kb = b->rank == 1 ? b->dims[0] : b->dims[b->rank - 2];
    if (ka != kb)
        return node_error(c, n, "inner dimensions differ: %s x %s", value_type_str(c->arena, a),
                          value_type_str(c->arena, b));
    int ra = a->rank > 2 ? a->rank - 2 : 0, rb = b->rank > 2 ? b->rank - 2 : 0;
    int rank;
    int64_t dims[DLCC_MAX_RANK];
    if (!broadcast_dims(ra, a->dims, rb, b->dims, &rank, dims))
        return node_error(c, n, "batch dimensions do not broadcast: %s x %s", value_type_str(c->arena, a),
                          value_type_str(c->arena, b));
    if (a->rank >= 2)
        dims[rank++] = a->dims[a->rank - 2];
    if (b->rank >= 2)
        dims[rank++] = b->dims[b->rank - 1];
    value_set_shape(n->out[0], a->dtype, rank, dims);
    return true;
}

/* Gemm: Y[M, N] = alpha * A' B' + beta * C, C broadcast to [M, N]. */
bool shape_gemm(Node *n, Ctx *c) {
    const Value *a = n->in[0], *b = n->in[1];
    const Value *cc = n->n_in > 2 ? n->in[2] : NULL;
    if (a->rank != 2 || b->rank != 2)
        return node_error(c, n, "A and B must be 2-D, got %s and %s", value_type_str(c->arena, a),
                          value_type_str(c->arena, b));
    if (a->dtype != b->dtype)
        return node_error(c, n, "operand types differ (%s vs %s)", dtype_name(a->dtype), dtype_name(b->dtype));
    if (!check_float(n, c, a))
        return false;
    bool ta = attr_int(n, "transA", 0) != 0, tb = attr_int(n, "transB", 0) != 0;
    int64_t m = a->dims[ta ? 1 : 0], k = a->dims[ta ? 0 : 1];
    int64_t kb = b->dims[tb ? 1 : 0], nn = b->dims[tb ? 0 : 1];
    if (k != kb)
        return node_error(c, n, "inner dimensions differ: %lld vs %lld", (long long)k, (long long)kb);
    if (cc) {
        if (cc->rank > 2)
            return node_error(c, n, "C must have rank <= 2");
        int64_t cm = cc->rank == 2 ? cc->dims[0] : 1, cn = cc->rank >= 1 ? cc->dims[cc->rank - 1] : 1;
        if ((cm != 1 && cm != m) || (cn != 1 && cn != nn))
            return node_error(c, n, "C %s does not broadcast to [%lld, %lld]", value_type_str(c->arena, cc),
                              (long long)m, (long long)nn);
    }
    int64_t dims[2] = {m, nn};
    value_set_shape(n->out[0], a->dtype, 2, dims);
    return true;
}

bool shape_conv(Node *n, Ctx *c) {
    const Value *x = n->in[0], *w = n->in[1];
    const Value *b = n->n_in > 2 ? n->in[2] : NULL;
    if (x->rank < 3 || w->rank != x->rank)
        return node_error(c, n, "X %s and W %s must have the same rank >= 3", value_type_str(c->arena, x),
                          value_type_str(c->arena, w));
    if (!check_float(n, c, x))
        return false;
    int64_t group = attr_int(n, "group", 1);
    if (group < 1 || x->dims[1] != w->dims[1] * group || w->dims[0] % group)
        return node_error(c, n, "channels do not match: X %s, W %s, group %lld", value_type_str(c->arena, x),
                          value_type_str(c->arena, w), (long long)group);
    int64_t kernel[NN_MAX_SPATIAL];
    int nsp = x->rank - 2;
    int64_t ks[NN_MAX_SPATIAL];
    int cnt = attr_ints(n, "kernel_shape", ks, nsp);
    for (int i = 0; i < nsp; i++) {
        kernel[i] = w->dims[i + 2];
        if (cnt == nsp && ks[i] != kernel[i])
            return node_error(c, n, "kernel_shape does not match W %s", value_type_str(c->arena, w));
    }
    if (b && (b->rank != 1 || b->dims[0] != w->dims[0]))
        return node_error(c, n, "bias must be [%lld], got %s", (long long)w->dims[0], value_type_str(c->arena, b));
    NNWindow win;
    if (!nn_window(n, x, kernel, false, &win, c))
        return false;
    int64_t dims[DLCC_MAX_RANK] = {x->dims[0], w->dims[0]};
    memcpy(dims + 2, win.out, sizeof(int64_t) * (size_t)nsp);
    value_set_shape(n->out[0], x->dtype, x->rank, dims);
    return true;
}

/* MaxPool, AveragePool, LpPool.  MaxPool's optional second output holds
 * i64 indices into the flattened input. */
bool shape_pool(Node *n, Ctx *c) {
    const Value *x = n->in[0];
    if (!check_float(n, c, x))
        return false;
    NNWindow win;
    if (!nn_window(n, x, NULL, attr_int(n, "ceil_mode", 0) != 0, &win, c))
        return false;
    int64_t dims[DLCC_MAX_RANK] = {x->dims[0], x->dims[1]};
    memcpy(dims + 2, win.out, sizeof(int64_t) * (size_t)win.nsp);
    value_set_shape(n->out[0], x->dtype, x->rank, dims);
    if (n->n_out > 1 && n->out[1])
        value_set_shape(n->out[1], DT_I64, x->rank, dims);
    return true;
}

bool shape_global_pool(Node *n, Ctx *c) {
    const Value *x = n->in[0];
    if (x->rank < 2)
        return node_error(c, n, "input must have rank >= 2");
    if (!check_float(n, c, x))
        return false;
    int64_t dims[DLCC_MAX_RANK];
    for (int i = 0; i < x->rank; i++)
        dims[i] = i < 2 ? x->dims[i] : 1;
    value_set_shape(n->out[0], x->dtype, x->rank, dims);
    return true;
}

/* BatchNormalization: Y like X; the optional running/saved statistics
 * outputs (training) are [C]. */
bool shape_batchnorm(Node *n, Ctx *c) {
    const Value *x = n->in[0];
    if (x->rank < 1)
        return node_error(c, n, "input must have rank >= 1");
    if (!dtype_is_float(x->dtype))
        return node_error(c, n, "unsupported element type %s", dtype_name(x->dtype));
    int64_t ch = x->rank > 1 ? x->dims[1] : 1;
    for (int i = 1; i < 5; i++) {
        const Value *p = n->in[i];
        if (!p || p->rank != 1 || p->dims[0] != ch)
            return node_error(c, n, "input %d must be [%lld]", i, (long long)ch);
    }
    value_set_shape(n->out[0], x->dtype, x->rank, x->dims);
    for (int i = 1; i < n->n_out; i++)
        if (n->out[i])
            value_set_shape(n->out[i], n->in[3]->dtype, 1, &ch);
    return true;
}

/* LayerNormalization: Y like X; the optional Mean and InvStdDev keep the
 * leading dims and have 1 from `axis` on, in the stash type (f32). */
bool shape_layernorm(Node *n, Ctx *c) {
    const Value *x = n->in[0];
    if (!dtype_is_float(x->dtype))
        return node_error(c, n, "unsupported element type %s", dtype_name(x->dtype));
    int axis = norm_axis(attr_int(n, "axis", -1), x->rank);
    if (axis < 0)
        return node_error(c, n, "axis out of range for %s", value_type_str(c->arena, x));
    int64_t inner = 1;
    for (int i = axis; i < x->rank; i++)
        inner *= x->dims[i];
    for (int i = 1; i < n->n_in; i++)
        if (n->in[i] && value_numel(n->in[i]) != inner && value_numel(n->in[i]) != 1)
            return node_error(c, n, "input %d %s does not match the normalised shape", i,
                              value_type_str(c->arena, n->in[i]));
    value_set_shape(n->out[0], x->dtype, x->rank, x->dims);
    int64_t dims[DLCC_MAX_RANK];
    for (int i = 0; i < x->rank; i++)
        dims[i] = i < axis ? x->dims[i] : 1;
    DType st = attr_int(n, "stash_type", 1) == 11 ? DT_F64 : DT_F32;
    for (int i = 1; i < n->n_out; i++)
        if (n->out[i])
            value_set_shape(n->out[i], st, x->rank, dims);
    return true;
}

bool shape_instancenorm(Node *n, Ctx *c) {
    const Value *x = n->in[0];
    if (x->rank < 3 || !dtype_is_float(x->dtype))
        return node_error(c, n, "input must be a float tensor [N, C, spatial...], got %s", value_type_str(c->arena, x));
    for (int i = 1; i < 3; i++)
        if (n->in[i]->rank != 1 || n->in[i]->dims[0] != x->dims[1])
            return node_error(c, n, "input %d must be [%lld]", i, (long long)x->dims[1]);
    value_set_shape(n->out[0], x->dtype, x->rank, x->dims);
    return true;
}

bool nn_convtranspose_window(const Node *n, const Value *x, const Value *w, NNWindow *win, Ctx *c) {
    if (x->rank < 3 || w->rank != x->rank)
        return node_error(c, n, "X %s and W %s must have the same rank >= 3", value_type_str(c->arena, x),
                          value_type_str(c->arena, w));
    int nsp = x->rank - 2;
    memset(win, 0, sizeof *win);
    win->nsp = nsp;
    int64_t tmp[2 * NN_MAX_SPATIAL], op[NN_MAX_SPATIAL] = {0}, os[NN_MAX_SPATIAL];
    for (int i = 0; i < nsp; i++) {
        win->in[i] = x->dims[i + 2];
        win->k[i] = w->dims[i + 2];
        win->s[i] = win->d[i] = 1;
    }
    if (attr_ints(n, "strides", tmp, nsp) == nsp)
        memcpy(win->s, tmp, sizeof(int64_t) * (size_t)nsp);
    if (attr_ints(n, "dilations", tmp, nsp) == nsp)
        memcpy(win->d, tmp, sizeof(int64_t) * (size_t)nsp);
    if (attr_ints(n, "output_padding", tmp, nsp) == nsp)
        memcpy(op, tmp, sizeof(int64_t) * (size_t)nsp);
    const char *auto_pad = attr_string(n, "auto_pad", "NOTSET");
    bool upper = !strcmp(auto_pad, "SAME_UPPER"), same = upper || !strcmp(auto_pad, "SAME_LOWER");
    int nos = attr_ints(n, "output_shape", tmp, 2 * NN_MAX_SPATIAL);
    if (nos >= nsp) {
        memcpy(os, tmp + (nos - nsp), sizeof(int64_t) * (size_t)nsp);
    } else if (same) {
        for (int i = 0; i < nsp; i++)
            os[i] = win->in[i] * win->s[i];
    }
    if (nos >= nsp || same) {
        for (int i = 0; i < nsp; i++) {
            int64_t total = win->s[i] * (win->in[i] - 1) + op[i] + (win->k[i] - 1) * win->d[i] + 1 - os[i];
            if (total < 0)
                total = 0;
            win->pb[i] = upper ? total / 2 : total - total / 2;
            win->pe[i] = total - win->pb[i];
            win->out[i] = os[i];
        }
        return true;
    }
    int cnt = attr_ints(n, "pads", tmp, 2 * nsp);
    if (cnt >= 0 && cnt != 2 * nsp)
        return node_error(c, n, "pads must have %d values", 2 * nsp);
    for (int i = 0; i < nsp; i++) {
        if (cnt == 2 * nsp) {
            win->pb[i] = tmp[i];
            win->pe[i] = tmp[i + nsp];
        }
        win->out[i] = win->s[i] * (win->in[i] - 1) + op[i] + (win->k[i] - 1) * win->d[i] + 1 - win->pb[i] - win->pe[i];
        if (win->out[i] < 0)
            return node_error(c, n, "negative output size");
    }
    return true;
}

bool shape_convtranspose(Node *n, Ctx *c) {
    const Value *x = n->in[0], *w = n->in[1];
    if (!check_float(n, c, x))
        return false;
    int64_t group = attr_int(n, "group", 1);
    if (x->rank < 3 || group < 1 || w->rank != x->rank || x->dims[1] != w->dims[0] || w->dims[0] % group)
        return node_error(c, n, "channels do not match: X %s, W %s, group %lld", value_type_str(c->arena, x),
                          value_type_str(c->arena, w), (long long)group);
    NNWindow win;
    if (!nn_convtranspose_window(n, x, w, &win, c))
        return false;
    int64_t dims[DLCC_MAX_RANK] = {x->dims[0], w->dims[1] * group};
    memcpy(dims + 2, win.out, sizeof(int64_t) * (size_t)win.nsp);
    value_set_shape(n->out[0], x->dtype, x->rank, dims);
    return true;
}
