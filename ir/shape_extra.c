/*
 * shape_extra.c: shape inference of the random-number operators
 * (RandomUniform, RandomNormal and their *Like forms, Multinomial,
 * Bernoulli).
 *
 * RandomUniform/RandomNormal take their shape from the `shape` attribute
 * and their dtype from `dtype` (float by default); the *Like forms copy the
 * input's shape and default to its dtype.  Multinomial maps [batch, classes]
 * to [batch, sample_size] of int32 (or `dtype`); Bernoulli keeps the
 * input's shape with `dtype` defaulting to the input's.  These ops are
 * flagged OPF_RANDOM, so they are never folded even when their inputs are
 * constant.
 */
#include "ir.h"

bool shape_random(Node *n, Ctx *c) {
    DType t = (DType)attr_int(n, "dtype", DT_F32);
    if (!dtype_is_float(t))
        return node_error(c, n, "dtype must be a float type");
    int64_t dims[DLCC_MAX_RANK];
    int r = attr_ints(n, "shape", dims, DLCC_MAX_RANK);
    if (r < 0)
        return node_error(c, n, "missing attribute shape (at most %d dims)", DLCC_MAX_RANK);
    for (int i = 0; i < r; i++)
        if (dims[i] < 0)
            return node_error(c, n, "negative dimension in shape");
    value_set_shape(n->out[0], t, r, dims);
    return true;
}

bool shape_random_like(Node *n, Ctx *c) {
    const Value *x = n->in[0];
    DType t = (DType)attr_int(n, "dtype", x->dtype);
    if (!dtype_is_float(t))
        return node_error(c, n, "dtype must be a float type");
    value_set_shape(n->out[0], t, x->rank, x->dims);
    return true;
}

bool shape_multinomial(Node *n, Ctx *c) {
    const Value *x = n->in[0];
    if (x->rank != 2 || !dtype_is_float(x->dtype))
        return node_error(c, n, "input must be float [batch, classes]");
    DType t = (DType)attr_int(n, "dtype", DT_I32);
    if (t != DT_I32 && t != DT_I64)
        return node_error(c, n, "dtype must be int32 or int64");
    int64_t s = attr_int(n, "sample_size", 1);
    if (s < 0)
        return node_error(c, n, "sample_size must be >= 0");
    int64_t d[2] = {x->dims[0], s};
    value_set_shape(n->out[0], t, 2, d);
    return true;
}

bool shape_bernoulli(Node *n, Ctx *c) {
    const Value *x = n->in[0];
    if (!dtype_is_float(x->dtype))
        return node_error(c, n, "input must be float probabilities");
    DType t = (DType)attr_int(n, "dtype", x->dtype);
    value_set_shape(n->out[0], t, x->rank, x->dims);
    return true;
}

/* MaxUnpool: the output shape implied by kernel_shape/strides/pads (the
 * space the indices I refer to); shared with codegen/emit_extra.c. */
bool max_unpool_default_dims(const Node *n, int64_t *dims, Ctx *c);
bool max_unpool_default_dims(const Node *n, int64_t *dims, Ctx *c) {
    const Value *x = n->in[0];
    if (x->rank < 3)
        return c ? node_error(c, n, "X must be [N, C, D1, ...]") : false;
    int sp = x->rank - 2;
    int64_t ks[DLCC_MAX_RANK], st[DLCC_MAX_RANK], pd[2 * DLCC_MAX_RANK];
    if (attr_ints(n, "kernel_shape", ks, DLCC_MAX_RANK) != sp)
        return c ? node_error(c, n, "kernel_shape must have %d values", sp) : false;
    for (int i = 0; i < sp; i++)
        st[i] = 1, pd[i] = pd[sp + i] = 0;
    if (attr_ints(n, "strides", st, DLCC_MAX_RANK) > sp || attr_ints(n, "pads", pd, 2 * DLCC_MAX_RANK) > 2 * sp)
        return c ? node_error(c, n, "too many strides or pads") : false;
    dims[0] = x->dims[0], dims[1] = x->dims[1];
    for (int i = 0; i < sp; i++)
        dims[2 + i] = (x->dims[2 + i] - 1) * st[i] - pd[i] - pd[sp + i] + ks[i];
    return true;
}

/* MaxUnpool: the default shape, or the constant output_shape input when
 * given (the indices still refer to the default shape). */
bool shape_max_unpool(Node *n, Ctx *c) {
    const Value *x = n->in[0];
    const Value *os = n->n_in > 2 ? n->in[2] : NULL;
    int64_t dims[DLCC_MAX_RANK];
    if (!max_unpool_default_dims(n, dims, c))
        return false;
    if (os) {
        if (!os->data)
            return node_error(c, n, "output_shape must be a constant");
        if (value_numel(os) != x->rank)
            return node_error(c, n, "output_shape must have %d values", x->rank);
        for (int i = 0; i < x->rank; i++)
            dims[i] = data_get_i64(os->dtype, os->data, i);
    }
    for (int i = 0; i < x->rank; i++)
        if (dims[i] < 0)
            return node_error(c, n, "negative output dimension");
    value_set_shape(n->out[0], x->dtype, x->rank, dims);
    return true;
}
