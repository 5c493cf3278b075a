/*
 * shape_elementwise.c: shape functions of the elementwise family beyond
 * shape_unary and shape_broadcast (ir/shape_common.c).
 *
 * They all start from ONNX multidirectional broadcasting of some inputs and
 * differ in the output dtype: bool for comparisons and predicates, the base
 * type for Pow (whose exponent may have another type), input 1's type for
 * Where, the `to` attribute for Cast.  PRelu broadcasts its slope one way
 * only, to the shape of X.
 */
#include "ir.h"

#include <string.h>

/* Broadcasts the shapes of inputs [first, last) that are present. */
static bool broadcast_inputs(Node *n, Ctx *c, int first, int last, int *rank, int64_t *dims) {
    *rank = 0;
    for (int i = first; i < last && i < n->n_in; i++) {
        const Value *v = n->in[i];
        if (!v)
            continue;
        int64_t out[DLCC_MAX_RANK];
        if (!broadcast_dims(*rank, dims, v->rank, v->dims, rank, out))
            return node_error(c, n, "input %d of shape %s does not broadcast with the others", i,
                              value_type_str(c->arena, v));
        memcpy(dims, out, sizeof out);
    }
    return true;
}

static bool same_dtype(Node *n, Ctx *c, int first, int last) {
    for (int i = first + 1; i < last && i < n->n_in; i++)
        if (n->in[i] && n->in[first] && n->in[i]->dtype != n->in[first]->dtype)
            return node_error(c, n, "operand types differ (%s vs %s)", dtype_name(n->in[first]->dtype),
                              dtype_name(n->in[i]->dtype));
    return true;
}

bool shape_pow(Node *n, Ctx *c) {
    int rank;
    int64_t dims[DLCC_MAX_RANK];
    if (!broadcast_inputs(n, c, 0, 2, &rank, dims))
        return false;
    value_set_shape(n->out[0], n->in[0]->dtype, rank, dims);
    return true;
}

bool shape_compare(Node *n, Ctx *c) {
    int rank;
    int64_t dims[DLCC_MAX_RANK];
    if (!same_dtype(n, c, 0, 2) || !broadcast_inputs(n, c, 0, 2, &rank, dims))
        return false;
    value_set_shape(n->out[0], DT_BOOL, rank, dims);
    return true;
}

bool shape_logical(Node *n, Ctx *c) {
    for (int i = 0; i < 2; i++)
        if (n->in[i]->dtype != DT_BOOL)
            return node_error(c, n, "input %d must be bool, not %s", i, dtype_name(n->in[i]->dtype));
    return shape_compare(n, c);
}

bool shape_prelu(Node *n, Ctx *c) {
    const Value *x = n->in[0], *slope = n->in[1];
    int rank;
    int64_t dims[DLCC_MAX_RANK];
    if (!same_dtype(n, c, 0, 2))
        return false;
    /* Before opset 7 a 1-D slope of C values is per channel (axis 1), not
     * broadcast from the right: a constant slope is given the shape
     * [C, 1, ...] that broadcasts that way (its bytes stay the same). */
    if (n->opset < 7 && slope->rank == 1 && x->rank >= 3 && slope->dims[0] > 1 && slope->dims[0] == x->dims[1] &&
        slope->kind != VK_INPUT && value_is_const(slope)) {
        Value *s = n->in[1];
        s->rank = x->rank - 1;
        for (int i = 1; i < s->rank; i++) {
            s->dims[i] = 1;
            s->sym[i] = NULL;
        }
    }
    if (!broadcast_dims(x->rank, x->dims, slope->rank, slope->dims, &rank, dims) || rank != x->rank ||
        memcmp(dims, x->dims, sizeof(int64_t) * (size_t)rank))
        return node_error(c, n, "slope %s does not broadcast to X %s", value_type_str(c->arena, slope),
                          value_type_str(c->arena, x));
    value_set_shape(n->out[0], x->dtype, x->rank, x->dims);
    return true;
}

bool shape_where(Node *n, Ctx *c) {
    int rank;
    int64_t dims[DLCC_MAX_RANK];
    if (n->in[0]->dtype != DT_BOOL)
        return node_error(c, n, "condition must be bool, not %s", dtype_name(n->in[0]->dtype));
    if (!same_dtype(n, c, 1, 3) || !broadcast_inputs(n, c, 0, 3, &rank, dims))
        return false;
    value_set_shape(n->out[0], n->in[1]->dtype, rank, dims);
    return true;
}

bool shape_isnan(Node *n, Ctx *c) {
    if (!dtype_is_float(n->in[0]->dtype))
        return node_error(c, n, "input must be a float type, not %s", dtype_name(n->in[0]->dtype));
    value_set_shape(n->out[0], DT_BOOL, n->in[0]->rank, n->in[0]->dims);
    return true;
}

bool shape_dropout(Node *n, Ctx *c) {
    const Value *x = n->in[0];
    value_set_shape(n->out[0], x->dtype, x->rank, x->dims);
    if (n->n_out > 1)
        value_set_shape(n->out[1], DT_BOOL, x->rank, x->dims);
    return true;
}

bool shape_cast(Node *n, Ctx *c) {
    const Value *x = n->in[0];
    DType to = n->n_in > 1 && n->in[1] ? n->in[1]->dtype : (DType)attr_int(n, "to", 0);
    if (to <= DT_UNDEF || to >= DT_COUNT || to == DT_C64 || to == DT_C128 || !dtype_size(to))
        return node_error(c, n, "unsupported target type %d", (int)to);
    if (x->dtype == DT_C64 || x->dtype == DT_C128)
        return node_error(c, n, "unsupported source type %s", dtype_name(x->dtype));
    const char *mode = attr_string(n, "round_mode", "up");
    if (strcmp(mode, "up") && strcmp(mode, "down") && strcmp(mode, "nearest"))
        return node_error(c, n, "round_mode must be \"up\", \"down\" or \"nearest\", not \"%s\"", mode);
    value_set_shape(n->out[0], to, x->rank, x->dims);
    return true;
}
