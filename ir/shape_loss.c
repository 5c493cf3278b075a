/*
 * shape_loss.c: shape function of the class losses SoftmaxCrossEntropyLoss
 * and NegativeLogLikelihoodLoss (ir/ops_nn.def).
 *
 * Both take scores (or log-probabilities) [N, C, d1...dk], integer labels
 * [N, d1...dk] and optional class weights [C].  The loss is [N, d1...dk]
 * under reduction "none" and a scalar under "sum" and "mean" (the
 * default); SoftmaxCrossEntropyLoss's optional second output log_prob has
 * the scores' shape.
 */
#include "ir.h"

#include <string.h>

bool shape_class_loss(Node *n, Ctx *c) {
    const Value *x = n->in[0], *l = n->in[1], *w = n->n_in > 2 ? n->in[2] : NULL;
    if (x->rank < 2)
        return node_error(c, n, "scores must have rank >= 2 ([N, C, ...]), got %s", value_type_str(c->arena, x));
    if (!dtype_is_float(x->dtype))
        return node_error(c, n, "scores must be a float tensor, got %s", value_type_str(c->arena, x));
    if (l->dtype != DT_I32 && l->dtype != DT_I64)
        return node_error(c, n, "labels must be int32 or int64, got %s", value_type_str(c->arena, l));
    bool ok = l->rank == x->rank - 1 && l->dims[0] == x->dims[0];
    for (int i = 1; ok && i < l->rank; i++)
        ok = l->dims[i] == x->dims[i + 1];
    if (!ok)
        return node_error(c, n, "labels %s do not fit scores %s", value_type_str(c->arena, l),
                          value_type_str(c->arena, x));
    if (w && (w->rank != 1 || w->dims[0] != x->dims[1] || w->dtype != x->dtype))
        return node_error(c, n, "weights %s must be [C] = [%lld] of the scores' type", value_type_str(c->arena, w),
                          (long long)x->dims[1]);
    const char *red = attr_string(n, "reduction", "mean");
    if (strcmp(red, "none") == 0)
        value_set_shape(n->out[0], x->dtype, l->rank, l->dims);
    else if (strcmp(red, "sum") == 0 || strcmp(red, "mean") == 0)
        value_set_shape(n->out[0], x->dtype, 0, NULL);
    else
        return node_error(c, n, "unknown reduction '%s' (none, sum, mean)", red);
    if (n->n_out > 1 && n->out[1])
        value_set_shape(n->out[1], x->dtype, x->rank, x->dims);
    return true;
}
