/*
 * shape_grad.c: shape functions of the backward helper operators
 * (ir/ops_grad.def).  Most produce the shape of their first non-gradient
 * operand; SumTo and ExpandTo take the target shape from their `shape`
 * attribute; optimizer updates return the shapes of the param and of each
 * state operand present, in order.
 */
#include "ir.h"

static bool shape_from_attr(Node *n, Ctx *c) {
    int64_t dims[DLCC_MAX_RANK];
    int r = attr_ints(n, "shape", dims, DLCC_MAX_RANK);
    if (r < 0 || r > DLCC_MAX_RANK)
        return node_error(c, n, "missing or bad 'shape' attribute");
    value_set_shape(n->out[0], n->in[0]->dtype, r, dims);
    return true;
}

bool shape_sum_to(Node *n, Ctx *c) {
    const Value *x = n->in[0];
    int64_t dims[DLCC_MAX_RANK];
    int r = attr_ints(n, "shape", dims, DLCC_MAX_RANK);
    if (r < 0 || r > x->rank)
        return node_error(c, n, "bad 'shape' attribute");
    for (int i = 0; i < r; i++) {
        int64_t xd = x->dims[x->rank - r + i];
        if (dims[i] != xd && dims[i] != 1)
            return node_error(c, n, "cannot sum %s down to dimension %lld", value_type_str(c->arena, x),
                              (long long)dims[i]);
    }
    return shape_from_attr(n, c);
}

bool shape_expand_to(Node *n, Ctx *c) {
    const Value *x = n->in[0];
    int64_t dims[DLCC_MAX_RANK];
    int r = attr_ints(n, "shape", dims, DLCC_MAX_RANK);
    if (r < 0 || r < x->rank)
        return node_error(c, n, "bad 'shape' attribute");
    for (int i = 0; i < x->rank; i++) {
        int64_t xd = x->dims[i];
        if (xd != dims[r - x->rank + i] && xd != 1)
            return node_error(c, n, "cannot broadcast %s", value_type_str(c->arena, x));
    }
    return shape_from_attr(n, c);
}

/* The gradient of an operand has the operand's shape: dy's for elementwise
 * grads (BinaryGrad's result is reduced afterwards by SumTo). */
bool shape_unary_grad(Node *n, Ctx *c) {
    const Value *dy = n->in[0];
    value_set_shape(n->out[0], dy->dtype, dy->rank, dy->dims);
    return true;
}

/* Loss grads: the gradient of the scores/input operand (in[1]). */
bool shape_loss_grad(Node *n, Ctx *c) {
    const Value *x = n->in[1];
    value_set_shape(n->out[0], x->dtype, x->rank, x->dims);
    return true;
}

bool shape_clip_coef(Node *n, Ctx *c) {
    value_set_shape(n->out[0], n->in[0]->dtype, 0, NULL);
    return true;
}

bool shape_optim_update(Node *n, Ctx *c) {
    const Value *p = n->in[0], *g = n->in[1];
    if (!g || !value_same_shape(p, g))
        return node_error(c, n, "gradient shape differs from the parameter's");
    value_set_shape(n->out[0], p->dtype, p->rank, p->dims);
    int k = 1;
    for (int i = 3; i < n->n_in; i++) {
        if (!n->in[i])
            continue;
        if (k >= n->n_out)
            return node_error(c, n, "more state operands than results");
        value_set_shape(n->out[k++], n->in[i]->dtype, n->in[i]->rank, n->in[i]->dims);
    }
    if (k != n->n_out)
        return node_error(c, n, "state operands and results differ in number");
    return true;
}

/* Gather backward: the data operand's shape, from the `shape` attribute. */
bool shape_scatter_grad(Node *n, Ctx *c) { return shape_from_attr(n, c); }
