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
    if (!gc->dy[0] || (!grad_wants(gc, 0) && !grad_wants(gc, 1)))
        return true;
    Node *d = grad_norm_node(gc, OP_RMSNORMGRAD, 2);
    if (!d)
        return false;
    if (grad_wants(gc, 0))
        grad_add(gc, 0, d->out[0]);
    if (grad_wants(gc, 1))
        grad_add(gc, 1, d->out[1]);
    return true;
}
