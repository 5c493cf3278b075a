/*
 * grad_modern.c: gradient rules of the operators of recent opsets
 * (ir/ops_modern.def).
 *
 * RMSNormalization's rule emits one dlcc.RMSNormalizationGrad node, which
 * recomputes the row's 1/rms from X (cheaper to keep than to store) and
 * gives dX and the per-element product dY * X / rms; grad_add sums the
 * latter over the broadcast dimensions down to Scale's shape.
 */
#include "passes.h"

bool grad_rmsnorm(GradCtx *gc) {
    Node *n = gc->node;
    if (!gc->dy[0] || (!grad_wants(gc, 0) && !grad_wants(gc, 1)))
        return true;
    Value *x = n->in[0];
    int axis = norm_axis(attr_int(n, "axis", -1), x->rank);
    if (axis < 0)
        return node_error(gc->c, n, "axis out of range");
    Value *in[3] = {gc->dy[0], x, n->in[1]};
    Node *d = grad_node(gc, OP_RMSNORMGRAD, in, 3, 2);
    node_set_attr_int(gc->g, d, "axis", axis);
    node_set_attr_float(gc->g, d, "epsilon", attr_float(n, "epsilon", 1e-5));
    if (!grad_infer(gc, d))
        return false;
    if (grad_wants(gc, 0))
        grad_add(gc, 0, d->out[0]);
    if (grad_wants(gc, 1))
        grad_add(gc, 1, d->out[1]);
    return true;
}
