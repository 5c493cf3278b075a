/*
 * shape_tensor.c: shape functions of the tensor-manipulation family.
 *
 * Most of these ops take part of their "shape" from an input (Reshape's
 * shape, Slice's starts, Pad's pads, Tile's repeats...), which must then be
 * constant at compile time: it is read from Value.data with data_get_i64.
 * Ops whose result is known from shapes alone (Shape, Size) or from constant
 * attributes (Constant) also set the output's data, so that the constants
 * they produce flow into later shape functions such as Reshape's.
 */
#include "ir.h"

#include <string.h>

/* Reads constant input i (any integer dtype) into out; returns its length or -1. */
static int const_ints(const Node *n, int i, int64_t *out, int max) {
    if (i >= n->n_in || !n->in[i] || !value_is_const(n->in[i]) || !n->in[i]->data)
        return -1;
    int64_t cnt = value_numel(n->in[i]);
    if (cnt > max)
        return -1;
    for (int64_t k = 0; k < cnt; k++)
        out[k] = data_get_i64(n->in[i]->dtype, n->in[i]->data, k);
    return (int)cnt;
}

/* The error for a shape-giving input i that const_ints could not read:
 * not a compile-time constant, or longer than max entries. */
static bool const_error(const Node *n, Ctx *c, int i, const char *what, int max) {
    const Value *v = i < n->n_in ? n->in[i] : NULL;
    if (v && value_is_const(v) && v->data && value_numel(v) > max)
        return node_error(c, n, "%s (input %d) has %lld entries, more than the supported %d", what, i,
                          (long long)value_numel(v), max);
    return node_error(c, n, "%s (input %d) must be a compile-time constant", what, i);
}

static int64_t prod(const int64_t *d, int from, int to) {
    int64_t p = 1;
    for (int i = from; i < to; i++)
        p *= d[i];
    return p;
}

/* The rank the output would have, checked against DLCC_MAX_RANK. */
static bool check_rank(Node *n, Ctx *c, int rank) {
    if (rank < 0 || rank > DLCC_MAX_RANK)
        return node_error(c, n, "result rank %d exceeds the supported %d", rank, DLCC_MAX_RANK);
    return true;
}

bool shape_constant(Node *n, Ctx *c) {
    Value *y = n->out[0];
    const Attr *a;
    if ((a = node_attr(n, "value")) && a->kind == AT_TENSOR && a->t) {
        if (a->t->dtype == DT_STRING)
            return node_error(c, n, "string constants are not supported");
        value_set_shape(y, a->t->dtype, a->t->rank, a->t->dims);
        y->data = a->t->data;
    } else if ((a = node_attr(n, "value_float"))) {
        float *p = arena_alloc(c->arena, sizeof(float));
        *p = (float)a->f;
        value_set_shape(y, DT_F32, 0, NULL);
        y->data = p;
    } else if ((a = node_attr(n, "value_int"))) {
        int64_t *p = arena_alloc(c->arena, sizeof(int64_t));
        *p = a->i;
        value_set_shape(y, DT_I64, 0, NULL);
        y->data = p;
    } else if ((a = node_attr(n, "value_floats"))) {
        float *p = arena_alloc(c->arena, sizeof(float) * (size_t)(a->n + 1));
        for (int i = 0; i < a->n; i++)
            p[i] = (float)a->floats[i];
        int64_t d = a->n;
        value_set_shape(y, DT_F32, 1, &d);
        y->data = p;
    } else if ((a = node_attr(n, "value_ints"))) {
        int64_t d = a->n;
        value_set_shape(y, DT_I64, 1, &d);
        y->data = arena_memdup(c->arena, a->ints, sizeof(int64_t) * (size_t)(a->n + 1));
    } else {
        return node_error(c, n, "no supported value attribute");
    }
    return true;
}

bool shape_flatten(Node *n, Ctx *c) {
    const Value *x = n->in[0];
    int64_t axis = attr_int(n, "axis", 1);
    if (axis < 0)
        axis += x->rank;
    if (axis < 0 || axis > x->rank)
        return node_error(c, n, "axis %lld out of range for rank %d", (long long)attr_int(n, "axis", 1), x->rank);
    int64_t d[2] = {prod(x->dims, 0, (int)axis), prod(x->dims, (int)axis, x->rank)};
    value_set_shape(n->out[0], x->dtype, 2, d);
    return true;
}

bool shape_reshape(Node *n, Ctx *c) {
    const Value *x = n->in[0];
    int64_t s[DLCC_MAX_RANK + 1];
    int r = const_ints(n, 1, s, DLCC_MAX_RANK + 1);
    if (r < 0)
        return const_error(n, c, 1, "the shape", DLCC_MAX_RANK);
    if (!check_rank(n, c, r))
        return false;
    bool allowzero = attr_int(n, "allowzero", 0) != 0;
    int infer = -1;
    int64_t known = 1;
    for (int i = 0; i < r; i++) {
        if (s[i] == 0 && !allowzero) {
            if (i >= x->rank)
                return node_error(c, n, "shape[%d] = 0 copies a dimension the input does not have", i);
            s[i] = x->dims[i];
        }
        if (s[i] == -1) {
            if (infer >= 0)
                return node_error(c, n, "more than one -1 in the shape");
            infer = i;
        } else if (s[i] < 0) {
            return node_error(c, n, "invalid dimension %lld", (long long)s[i]);
        } else {
            known *= s[i];
        }
    }
    int64_t total = value_numel(x);
    if (infer >= 0) {
        if (known == 0 || total % known)
            return node_error(c, n, "cannot infer -1: %lld elements into blocks of %lld", (long long)total,
                              (long long)known);
        s[infer] = total / known;
    } else if (known != total) {
        return node_error(c, n, "cannot reshape %s (%lld elements) to %lld elements", value_type_str(c->arena, x),
                          (long long)total, (long long)known);
    }
    value_set_shape(n->out[0], x->dtype, r, s);
    return true;
}

/* Axes of Squeeze/Unsqueeze: attribute before opset 13, input 1 after. */
static int squeeze_axes(const Node *n, int64_t *axes) {
    if (n->n_in > 1 && n->in[1])
        return const_ints(n, 1, axes, DLCC_MAX_RANK * 2);
    int k = attr_ints(n, "axes", axes, DLCC_MAX_RANK * 2);
    return k < 0 ? 0 : k;
}

bool shape_squeeze(Node *n, Ctx *c) {
    const Value *x = n->in[0];
    int64_t axes[DLCC_MAX_RANK * 2];
    int k = squeeze_axes(n, axes);
    if (k < 0)
        return const_error(n, c, 1, "axes", DLCC_MAX_RANK * 2);
    bool drop[DLCC_MAX_RANK] = {false};
    for (int i = 0; i < k; i++) {
        int a = norm_axis(axes[i], x->rank);
        if (a < 0 || a >= x->rank || x->dims[a] != 1)
            return node_error(c, n, "cannot squeeze axis %lld of %s", (long long)axes[i], value_type_str(c->arena, x));
        drop[a] = true;
    }
    int64_t d[DLCC_MAX_RANK];
    int r = 0;
    for (int i = 0; i < x->rank; i++)
        if (!(k == 0 ? x->dims[i] == 1 : drop[i]))
            d[r++] = x->dims[i];
    value_set_shape(n->out[0], x->dtype, r, d);
    return true;
}

bool shape_unsqueeze(Node *n, Ctx *c) {
    const Value *x = n->in[0];
    int64_t axes[DLCC_MAX_RANK * 2];
    int k = squeeze_axes(n, axes);
    if (k < 0)
        return const_error(n, c, 1, "axes", DLCC_MAX_RANK * 2);
    if (k == 0)
        return node_error(c, n, "axes must not be empty");
    int r = x->rank + k;
    if (!check_rank(n, c, r))
        return false;
    bool ins[DLCC_MAX_RANK] = {false};
    for (int i = 0; i < k; i++) {
        int a = norm_axis(axes[i], r);
        if (a < 0 || ins[a])
            return node_error(c, n, "bad or repeated axis %lld", (long long)axes[i]);
        ins[a] = true;
    }
    int64_t d[DLCC_MAX_RANK];
    for (int i = 0, j = 0; i < r; i++)
        d[i] = ins[i] ? 1 : x->dims[j++];
    value_set_shape(n->out[0], x->dtype, r, d);
    return true;
}

bool shape_transpose(Node *n, Ctx *c) {
    const Value *x = n->in[0];
    int64_t perm[DLCC_MAX_RANK];
    int k = attr_ints(n, "perm", perm, DLCC_MAX_RANK);
    if (k < 0) {
        k = x->rank;
        for (int i = 0; i < k; i++)
            perm[i] = k - 1 - i;
    }
    if (k != x->rank)
        return node_error(c, n, "perm has %d entries for rank %d", k, x->rank);
    bool seen[DLCC_MAX_RANK] = {false};
    int64_t d[DLCC_MAX_RANK];
    for (int i = 0; i < k; i++) {
        if (perm[i] < 0 || perm[i] >= k || seen[perm[i]])
            return node_error(c, n, "perm is not a permutation");
        seen[perm[i]] = true;
        d[i] = x->dims[perm[i]];
    }
    value_set_shape(n->out[0], x->dtype, k, d);
    return true;
}

bool shape_concat(Node *n, Ctx *c) {
    const Value *x = n->in[0];
    int axis = norm_axis(attr_int(n, "axis", 0), x->rank);
    if (axis < 0 || (!node_attr(n, "axis") && n->opset >= 4))
        return node_error(c, n, "missing or bad axis");
    int64_t d[DLCC_MAX_RANK];
    memcpy(d, x->dims, sizeof(int64_t) * (size_t)x->rank);
    d[axis] = 0;
    for (int i = 0; i < n->n_in; i++) {
        const Value *v = n->in[i];
        if (v->dtype != x->dtype || v->rank != x->rank)
            return node_error(c, n, "input %d is %s, input 0 %s", i, value_type_str(c->arena, v),
                              value_type_str(c->arena, x));
        for (int j = 0; j < x->rank; j++)
            if (j != axis && v->dims[j] != x->dims[j])
                return node_error(c, n, "input %d is %s, input 0 %s", i, value_type_str(c->arena, v),
                                  value_type_str(c->arena, x));
        d[axis] += v->dims[axis];
    }
    value_set_shape(n->out[0], x->dtype, x->rank, d);
    return true;
}

bool shape_shape(Node *n, Ctx *c) {
    const Value *x = n->in[0];
    int64_t r = x->rank, start = attr_int(n, "start", 0), end = attr_int(n, "end", r);
    if (start < 0)
        start += r;
    if (end < 0)
        end += r;
    start = start < 0 ? 0 : start > r ? r : start;
    end = end < 0 ? 0 : end > r ? r : end;
    int64_t len = end > start ? end - start : 0;
    int64_t *data = arena_alloc(c->arena, sizeof(int64_t) * (size_t)(len + 1));
    for (int64_t i = 0; i < len; i++)
        data[i] = x->dims[start + i];
    value_set_shape(n->out[0], DT_I64, 1, &len);
    n->out[0]->data = data;
    return true;
}

bool shape_size(Node *n, Ctx *c) {
    int64_t *data = arena_alloc(c->arena, sizeof(int64_t));
    *data = value_numel(n->in[0]);
    value_set_shape(n->out[0], DT_I64, 0, NULL);
    n->out[0]->data = data;
    return true;
}

bool shape_expand(Node *n, Ctx *c) {
    const Value *x = n->in[0];
    int64_t s[DLCC_MAX_RANK], d[DLCC_MAX_RANK];
    int r = const_ints(n, 1, s, DLCC_MAX_RANK), rank;
    if (r < 0)
        return const_error(n, c, 1, "the shape", DLCC_MAX_RANK);
    if (!broadcast_dims(x->rank, x->dims, r, s, &rank, d))
        return node_error(c, n, "%s does not broadcast to the requested shape", value_type_str(c->arena, x));
    value_set_shape(n->out[0], x->dtype, rank, d);
    return true;
}

bool shape_tile(Node *n, Ctx *c) {
    const Value *x = n->in[0];
    int64_t rep[DLCC_MAX_RANK], d[DLCC_MAX_RANK];
    int r = const_ints(n, 1, rep, DLCC_MAX_RANK);
    if (r < 0)
        return const_error(n, c, 1, "repeats", DLCC_MAX_RANK);
    if (r != x->rank)
        return node_error(c, n, "repeats has %d entries for rank %d", r, x->rank);
    for (int i = 0; i < r; i++) {
        if (rep[i] < 0)
            return node_error(c, n, "negative repeat");
        d[i] = x->dims[i] * rep[i];
    }
    value_set_shape(n->out[0], x->dtype, r, d);
    return true;
}

bool slice_resolve(const Node *n, Ctx *c, int64_t *start, int64_t *step, int64_t *cnt) {
    const Value *x = n->in[0];
    int64_t starts[DLCC_MAX_RANK], ends[DLCC_MAX_RANK], axes[DLCC_MAX_RANK], steps[DLCC_MAX_RANK];
    int k, ke, ka = -1, ks = -1;
    if (n->opset < 10 && n->n_in == 1) {
        k = attr_ints(n, "starts", starts, DLCC_MAX_RANK);
        ke = attr_ints(n, "ends", ends, DLCC_MAX_RANK);
        ka = attr_ints(n, "axes", axes, DLCC_MAX_RANK);
    } else {
        k = const_ints(n, 1, starts, DLCC_MAX_RANK);
        ke = const_ints(n, 2, ends, DLCC_MAX_RANK);
        if (n->n_in > 3 && n->in[3] && (ka = const_ints(n, 3, axes, DLCC_MAX_RANK)) < 0)
            return const_error(n, c, 3, "axes", DLCC_MAX_RANK);
        if (n->n_in > 4 && n->in[4] && (ks = const_ints(n, 4, steps, DLCC_MAX_RANK)) < 0)
            return const_error(n, c, 4, "steps", DLCC_MAX_RANK);
        if (k < 0)
            return const_error(n, c, 1, "starts", DLCC_MAX_RANK);
        if (ke < 0)
            return const_error(n, c, 2, "ends", DLCC_MAX_RANK);
    }
    if (k < 0 || ke != k)
        return node_error(c, n, "starts and ends must have the same length");
    if (ka >= 0 && ka != k)
        return node_error(c, n, "axes has %d entries, starts %d", ka, k);
    if (ks >= 0 && ks != k)
        return node_error(c, n, "steps has %d entries, starts %d", ks, k);
    for (int d = 0; d < x->rank; d++) {
        start[d] = 0;
        step[d] = 1;
    }
    for (int d = 0; d < x->rank; d++)
        cnt[d] = x->dims[d];
    bool seen[DLCC_MAX_RANK] = {false};
    for (int i = 0; i < k; i++) {
        int a = ka >= 0 ? norm_axis(axes[i], x->rank) : i;
        if (a < 0 || a >= x->rank || seen[a])
            return node_error(c, n, "bad or repeated axis");
        seen[a] = true;
        int64_t D = x->dims[a], s = starts[i], e = ends[i], st = ks >= 0 ? steps[i] : 1;
        if (st == 0)
            return node_error(c, n, "step 0");
        if (s < 0)
            s += D;
        if (e < 0)
            e += D;
        if (st > 0) {
            s = s < 0 ? 0 : s > D ? D : s;
            e = e < 0 ? 0 : e > D ? D : e;
        } else {
            s = s < 0 ? 0 : s > D - 1 ? D - 1 : s;
            e = e < -1 ? -1 : e > D - 1 ? D - 1 : e;
        }
        int64_t len = st > 0 ? (e - s + st - 1) / st : (s - e + (-st) - 1) / (-st);
        start[a] = s;
        step[a] = st;
        cnt[a] = len > 0 ? len : 0;
    }
    return true;
}

bool shape_slice(Node *n, Ctx *c) {
    const Value *x = n->in[0];
    int64_t start[DLCC_MAX_RANK], step[DLCC_MAX_RANK], d[DLCC_MAX_RANK];
    if (!slice_resolve(n, c, start, step, d))
        return false;
    value_set_shape(n->out[0], x->dtype, x->rank, d);
    return true;
}

bool shape_split(Node *n, Ctx *c) {
    const Value *x = n->in[0];
    int axis = norm_axis(attr_int(n, "axis", 0), x->rank);
    if (axis < 0)
        return node_error(c, n, "bad axis");
    int64_t split[64];
    int k;
    if (n->n_in > 1 && n->in[1]) {
        if ((k = const_ints(n, 1, split, 64)) < 0)
            return const_error(n, c, 1, "split", 64);
    } else {
        k = attr_ints(n, "split", split, 64);
    }
    int64_t D = x->dims[axis];
    if (k < 0) {
        k = n->n_out;
        int64_t chunk = (D + k - 1) / k;
        if (!node_attr(n, "num_outputs") && D % k)
            return node_error(c, n, "dimension %lld does not split into %d equal parts", (long long)D, k);
        for (int i = 0; i < k; i++) {
            int64_t rest = D - chunk * i;
            split[i] = rest < chunk ? (rest > 0 ? rest : 0) : chunk;
        }
    }
    if (k != n->n_out)
        return node_error(c, n, "%d split sizes for %d outputs", k, n->n_out);
    int64_t total = 0;
    for (int i = 0; i < k; i++)
        total += split[i];
    if (total != D)
        return node_error(c, n, "split sizes add up to %lld, not %lld", (long long)total, (long long)D);
    for (int i = 0; i < k; i++) {
        int64_t d[DLCC_MAX_RANK];
        memcpy(d, x->dims, sizeof(int64_t) * (size_t)x->rank);
        d[axis] = split[i];
        value_set_shape(n->out[i], x->dtype, x->rank, d);
    }
    return true;
}

bool shape_gather(Node *n, Ctx *c) {
    const Value *x = n->in[0], *idx = n->in[1];
    int axis = norm_axis(attr_int(n, "axis", 0), x->rank);
    if (axis < 0 || x->rank == 0)
        return node_error(c, n, "bad axis");
    if (!dtype_is_int(idx->dtype))
        return node_error(c, n, "indices must be integers");
    int r = x->rank - 1 + idx->rank;
    if (!check_rank(n, c, r))
        return false;
    int64_t d[DLCC_MAX_RANK];
    int k = 0;
    for (int i = 0; i < axis; i++)
        d[k++] = x->dims[i];
    for (int i = 0; i < idx->rank; i++)
        d[k++] = idx->dims[i];
    for (int i = axis + 1; i < x->rank; i++)
        d[k++] = x->dims[i];
    value_set_shape(n->out[0], x->dtype, r, d);
    return true;
}

bool shape_gather_elements(Node *n, Ctx *c) {
    const Value *x = n->in[0], *idx = n->in[1];
    if (norm_axis(attr_int(n, "axis", 0), x->rank) < 0 || idx->rank != x->rank)
        return node_error(c, n, "bad axis or indices rank");
    value_set_shape(n->out[0], x->dtype, idx->rank, idx->dims);
    return true;
}

bool shape_gather_nd(Node *n, Ctx *c) {
    const Value *x = n->in[0], *idx = n->in[1];
    int b = (int)attr_int(n, "batch_dims", 0);
    if (idx->rank < 1)
        return node_error(c, n, "indices must have rank >= 1");
    int64_t last = idx->dims[idx->rank - 1];
    if (b < 0 || b >= idx->rank || b + last > x->rank)
        return node_error(c, n, "bad batch_dims or index depth");
    int r = idx->rank - 1 + x->rank - b - (int)last;
    if (!check_rank(n, c, r))
        return false;
    int64_t d[DLCC_MAX_RANK];
    int k = 0;
    for (int i = 0; i < idx->rank - 1; i++)
        d[k++] = idx->dims[i];
    for (int i = b + (int)last; i < x->rank; i++)
        d[k++] = x->dims[i];
    value_set_shape(n->out[0], x->dtype, r, d);
    return true;
}

bool pad_resolve(const Node *n, Ctx *c, int64_t *pads) {
    const Value *x = n->in[0];
    int r = x->rank;
    int64_t p[2 * DLCC_MAX_RANK], axes[DLCC_MAX_RANK];
    int k;
    if (n->opset < 11) {
        k = attr_ints(n, "pads", p, 2 * DLCC_MAX_RANK);
        if (k < 0)
            k = attr_ints(n, "paddings", p, 2 * DLCC_MAX_RANK);
    } else {
        k = const_ints(n, 1, p, 2 * DLCC_MAX_RANK);
        if (k < 0)
            return const_error(n, c, 1, "pads", 2 * DLCC_MAX_RANK);
    }
    if (k < 0)
        return node_error(c, n, "missing pads attribute");
    int na = r;
    for (int i = 0; i < r; i++)
        axes[i] = i;
    if (n->n_in > 3 && n->in[3]) {
        na = const_ints(n, 3, axes, DLCC_MAX_RANK);
        if (na < 0)
            return const_error(n, c, 3, "axes", DLCC_MAX_RANK);
    }
    if (k != 2 * na)
        return node_error(c, n, "%d pads for %d axes", k, na);
    for (int i = 0; i < 2 * r; i++)
        pads[i] = 0;
    for (int i = 0; i < na; i++) {
        int a = norm_axis(axes[i], r);
        if (a < 0)
            return node_error(c, n, "bad axis");
        pads[a] = p[i];
        pads[r + a] = p[na + i];
    }
    return true;
}

bool shape_pad(Node *n, Ctx *c) {
    const Value *x = n->in[0];
    int64_t pads[2 * DLCC_MAX_RANK], d[DLCC_MAX_RANK];
    if (!pad_resolve(n, c, pads))
        return false;
    const char *mode = attr_string(n, "mode", "constant");
    if (strcmp(mode, "constant") && strcmp(mode, "reflect") && strcmp(mode, "edge") && strcmp(mode, "wrap"))
        return node_error(c, n, "unknown mode '%s'", mode);
    for (int i = 0; i < x->rank; i++) {
        d[i] = x->dims[i] + pads[i] + pads[x->rank + i];
        if (d[i] < 0)
            return node_error(c, n, "negative output dimension");
        if (strcmp(mode, "constant") && x->dims[i] == 0 && d[i] > 0)
            return node_error(c, n, "cannot pad an empty dimension in mode %s", mode);
    }
    value_set_shape(n->out[0], x->dtype, x->rank, d);
    return true;
}

bool shape_constant_of_shape(Node *n, Ctx *c) {
    int64_t s[DLCC_MAX_RANK];
    int r = const_ints(n, 0, s, DLCC_MAX_RANK);
    if (r < 0)
        return const_error(n, c, 0, "the shape", DLCC_MAX_RANK);
    const Attr *a = node_attr(n, "value");
    DType dt = a && a->kind == AT_TENSOR && a->t ? a->t->dtype : DT_F32;
    for (int i = 0; i < r; i++)
        if (s[i] < 0)
            return node_error(c, n, "negative dimension");
    value_set_shape(n->out[0], dt, r, s);
    return true;
}

bool shape_range(Node *n, Ctx *c) {
    for (int i = 0; i < 3; i++)
        if (!value_is_const(n->in[i]) || !n->in[i]->data || value_numel(n->in[i]) != 1)
            return node_error(c, n, "%s (input %d) must be a compile-time constant scalar",
                              i == 0 ? "start" : i == 1 ? "limit" : "delta", i);
    DType t = n->in[0]->dtype;
    double s = data_get_f64(t, n->in[0]->data, 0), l = data_get_f64(t, n->in[1]->data, 0),
           dl = data_get_f64(t, n->in[2]->data, 0);
    if (dl == 0)
        return node_error(c, n, "delta is 0");
    double q = (l - s) / dl;
    int64_t cnt = (int64_t)q;
    if ((double)cnt < q)
        cnt++;
    if (dtype_is_int(t)) {
        int64_t si = data_get_i64(t, n->in[0]->data, 0), li = data_get_i64(t, n->in[1]->data, 0),
                di = data_get_i64(t, n->in[2]->data, 0);
        cnt = di > 0 ? (li - si + di - 1) / di : (si - li - di - 1) / (-di);
    }
    if (cnt < 0)
        cnt = 0;
    value_set_shape(n->out[0], t, 1, &cnt);
    return true;
}

bool shape_onehot(Node *n, Ctx *c) {
    const Value *idx = n->in[0];
    if (!value_is_const(n->in[1]) || !n->in[1]->data || value_numel(n->in[1]) != 1)
        return node_error(c, n, "depth (input 1) must be a compile-time constant scalar");
    int64_t depth = (int64_t)data_get_f64(n->in[1]->dtype, n->in[1]->data, 0);
    int r = idx->rank + 1;
    if (!check_rank(n, c, r))
        return false;
    int axis = norm_axis(attr_int(n, "axis", -1), r);
    if (axis < 0 || depth < 0)
        return node_error(c, n, "bad axis or depth");
    int64_t d[DLCC_MAX_RANK];
    for (int i = 0, j = 0; i < r; i++)
        d[i] = i == axis ? depth : idx->dims[j++];
    value_set_shape(n->out[0], n->in[2]->dtype, r, d);
    return true;
}

static bool shape_block(Node *n, Ctx *c, bool to_space) {
    const Value *x = n->in[0];
    int64_t b = attr_int(n, "blocksize", 0);
    if (x->rank != 4 || b <= 0)
        return node_error(c, n, "needs a 4-D input and a positive blocksize");
    int64_t d[4] = {x->dims[0], x->dims[1], x->dims[2], x->dims[3]};
    if (to_space) {
        if (d[1] % (b * b))
            return node_error(c, n, "channels not divisible by blocksize^2");
        d[1] /= b * b;
        d[2] *= b;
        d[3] *= b;
    } else {
        if (d[2] % b || d[3] % b)
            return node_error(c, n, "spatial dims not divisible by blocksize");
        d[1] *= b * b;
        d[2] /= b;
        d[3] /= b;
    }
    value_set_shape(n->out[0], x->dtype, 4, d);
    return true;
}

bool shape_depth_to_space(Node *n, Ctx *c) { return shape_block(n, c, true); }
bool shape_space_to_depth(Node *n, Ctx *c) { return shape_block(n, c, false); }

bool shape_eyelike(Node *n, Ctx *c) {
    const Value *x = n->in[0];
    if (x->rank != 2)
        return node_error(c, n, "input must be 2-D");
    DType t = (DType)attr_int(n, "dtype", x->dtype);
    value_set_shape(n->out[0], t, 2, x->dims);
    return true;
}

bool shape_compress(Node *n, Ctx *c) {
    const Value *x = n->in[0], *cond = n->in[1];
    if (!value_is_const(cond) || !cond->data)
        return node_error(c, n, "condition (input 1) must be a compile-time constant (data-dependent output shape)");
    const Attr *aa = node_attr(n, "axis");
    int64_t len = aa ? x->dims[norm_axis(aa->i, x->rank) < 0 ? 0 : norm_axis(aa->i, x->rank)] : value_numel(x);
    if (aa && norm_axis(aa->i, x->rank) < 0)
        return node_error(c, n, "bad axis");
    int64_t cnt = 0;
    for (int64_t i = 0; i < value_numel(cond) && i < len; i++)
        cnt += data_get_i64(cond->dtype, cond->data, i) != 0;
    if (!aa) {
        value_set_shape(n->out[0], x->dtype, 1, &cnt);
    } else {
        int64_t d[DLCC_MAX_RANK];
        memcpy(d, x->dims, sizeof(int64_t) * (size_t)x->rank);
        d[norm_axis(aa->i, x->rank)] = cnt;
        value_set_shape(n->out[0], x->dtype, x->rank, d);
    }
    return true;
}

bool shape_nonzero(Node *n, Ctx *c) {
    const Value *x = n->in[0];
    if (!value_is_const(x) || !x->data)
        return node_error(c, n, "X (input 0) must be a compile-time constant (data-dependent output shape)");
    int64_t total = value_numel(x), cnt = 0;
    for (int64_t i = 0; i < total; i++)
        cnt += data_get_f64(x->dtype, x->data, i) != 0;
    int r = x->rank ? x->rank : 1;
    int64_t *data = arena_alloc(c->arena, sizeof(int64_t) * (size_t)(r * cnt + 1));
    int64_t k = 0;
    for (int64_t i = 0; i < total; i++) {
        if (data_get_f64(x->dtype, x->data, i) == 0)
            continue;
        int64_t rem = i;
        for (int d = x->rank - 1; d >= 0; d--) {
            data[d * cnt + k] = rem % x->dims[d];
            rem /= x->dims[d];
        }
        if (x->rank == 0)
            data[k] = 0;
        k++;
    }
    int64_t d[2] = {x->rank, cnt};
    value_set_shape(n->out[0], DT_I64, 2, d);
    n->out[0]->data = data;
    return true;
}
