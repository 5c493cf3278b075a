/*
 * shape_grad_extra.c: shape functions of the backward helper operators of
 * ir/ops_grad_extra.def.  ClassLossWeightGrad gives the shape of its
 * weights operand (in[3], [C]).
 */
#include "ir.h"

bool shape_class_loss_weight_grad(Node *n, Ctx *c) {
    const Value *x = n->in[1], *w = n->in[3];
    if (!w || !x || x->rank < 2)
        return node_error(c, n, "needs scores of rank 2 or more and weights");
    if (w->rank != 1 || w->dims[0] != x->dims[1])
        return node_error(c, n, "weights must be [C] = [%lld]", (long long)x->dims[1]);
    value_set_shape(n->out[0], w->dtype, 1, w->dims);
    return true;
}
