/*
 * shape_reduce.c: shape functions of reductions and arg-reductions.
 *
 * The reduced axes come from the `axes` attribute (ReduceSum before opset
 * 13, the others before 18) or from a constant input 1 after; no axes
 * means every axis, or none when noop_with_empty_axes is set.  keepdims
 * (default 1) keeps reduced axes as size 1.
 */
#include "ir.h"

bool reduce_resolve_axes(const Node *n, Ctx *c, bool *reduced) {
    const Value *x = n->in[0];
    int64_t axes[DLCC_MAX_RANK];
    int k;
    if (n->n_in > 1 && n->in[1]) {
        const Value *a = n->in[1];
        if (!value_is_const(a) || !a->data)
            return node_error(c, n, "axes (input 1) must be a compile-time constant");
        k = (int)value_numel(a);
        if (k > DLCC_MAX_RANK)
            return node_error(c, n, "too many axes");
        for (int i = 0; i < k; i++)
            axes[i] = data_get_i64(a->dtype, a->data, i);
    } else {
        k = attr_ints(n, "axes", axes, DLCC_MAX_RANK);
        if (k < 0)
            k = 0;
    }
    bool all = k == 0 && !attr_int(n, "noop_with_empty_axes", 0);
    for (int d = 0; d < x->rank; d++)
        reduced[d] = all;
    for (int i = 0; i < k; i++) {
        int a = norm_axis(axes[i], x->rank);
        if (a < 0 || a >= x->rank)
            return node_error(c, n, "axis %lld out of range for rank %d", (long long)axes[i], x->rank);
        reduced[a] = true;
    }
    return true;
}

bool shape_reduce(Node *n, Ctx *c) {
    const Value *x = n->in[0];
    bool red[DLCC_MAX_RANK];
    if (!reduce_resolve_axes(n, c, red))
        return false;
    bool keep = attr_int(n, "keepdims", 1) != 0;
    int64_t d[DLCC_MAX_RANK];
    int r = 0;
    for (int i = 0; i < x->rank; i++) {
        if (!red[i])
            d[r++] = x->dims[i];
        else if (keep)
            d[r++] = 1;
    }
    value_set_shape(n->out[0], x->dtype, r, d);
    return true;
}

bool shape_argreduce(Node *n, Ctx *c) {
    const Value *x = n->in[0];
    int axis = norm_axis(attr_int(n, "axis", 0), x->rank);
    if (axis < 0 || x->rank == 0)
        return node_error(c, n, "bad axis");
    if (x->dims[axis] == 0)
        return node_error(c, n, "cannot take the arg-extremum of an empty axis");
    bool keep = attr_int(n, "keepdims", 1) != 0;
    int64_t d[DLCC_MAX_RANK];
    int r = 0;
    for (int i = 0; i < x->rank; i++) {
        if (i != axis)
            d[r++] = x->dims[i];
        else if (keep)
            d[r++] = 1;
    }
    value_set_shape(n->out[0], DT_I64, r, d);
    return true;
}
