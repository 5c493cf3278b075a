/*
 * emit_grad_extra.c: kernels of the backward helper operators of
 * ir/ops_grad_extra.def.
 *
 * ClassLossWeightGrad: with nll_r the unweighted loss of position r
 * (-log_softmax(scores)[label] or -input[label]) and the loss
 * sum_r w[l_r] nll_r (divided by W = sum_r w[l_r] for "mean"), the
 * gradient of weight c is the sum of dloss nll_r over the positions whose
 * label is c ("none": dloss per position); for "mean" it is
 * dloss (sum_{l_r = c} (nll_r - L)) / W, L the loss.  Positions labelled
 * ignore_index take no part.  Computed in the scores' type (f32 or f64).
 */
#include <string.h>

#include "codegen.h"

bool emit_class_loss_weight_grad(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[1];
    DType t = x->dtype;
    if (t != DT_F32 && t != DT_F64)
        return emit_error(e, "training in %s is not supported (f32 and f64 are)", dtype_name(t));
    if (x->rank < 2)
        return emit_error(e, "scores must have rank 2 or more");
    const char *T = dtype_ctype(t);
    bool softmax = attr_int(n, "softmax", 0) != 0;
    const char *red = attr_string(n, "reduction", "mean");
    bool none = !strcmp(red, "none"), mean = !strcmp(red, "mean");
    const Attr *ig = node_attr(n, "ignore_index");
    int64_t N = x->dims[0], C = x->dims[1], D = value_numel(x) / (N * C != 0 ? N * C : 1);
    emitf(e, "    const int64_t C = %lld, D = %lld;\n", (long long)C, (long long)D);
    emitf(e, "    %s wsum = 0, lsum = 0;\n    (void)wsum;\n    (void)lsum;\n", T);
    emitf(e, "    for (int64_t c = 0; c < C; c++)\n        y0[c] = 0;\n");
    emitf(e, "    for (int64_t r = 0; r < %lld; r++) {\n", (long long)(N * D));
    emitf(e, "        const int64_t l = (int64_t)x2[r];\n");
    if (ig)
        emitf(e, "        if (l == %lld)\n            continue;\n", (long long)ig->i);
    emitf(e, "        if (l < 0 || l >= C)\n            return -DLCC_ERR_INDEX;\n");
    emitf(e, "        const %s *s = x1 + (r / D) * C * D + r %% D;\n", T);
    if (softmax) {
        emitf(e, "        %s mx = s[0], se = 0;\n", T);
        emitf(e, "        for (int64_t c = 1; c < C; c++)\n            mx = s[c * D] > mx ? s[c * D] : mx;\n");
        emitf(e, "        for (int64_t c = 0; c < C; c++)\n            se += exp(s[c * D] - mx);\n");
        emitf(e, "        const %s nll = mx + log(se) - s[l * D];\n", T);
    } else {
        emitf(e, "        const %s nll = -s[l * D];\n", T);
    }
    if (none)
        emitf(e, "        y0[l] += x0[r] * nll;\n");
    else if (!mean)
        emitf(e, "        y0[l] += x0[0] * nll;\n");
    else
        emitf(e, "        y0[l] += nll;\n        wsum += x3[l];\n        lsum += x3[l] * nll;\n");
    emitf(e, "    }\n");
    if (mean) {
        emitf(e, "    const %s L = lsum / wsum;\n", T);
        emitf(e, "    for (int64_t r = 0; r < %lld; r++) {\n", (long long)(N * D));
        emitf(e, "        const int64_t l = (int64_t)x2[r];\n");
        if (ig)
            emitf(e, "        if (l == %lld)\n            continue;\n", (long long)ig->i);
        emitf(e, "        y0[l] -= L;\n    }\n");
        emitf(e, "    for (int64_t c = 0; c < C; c++)\n        y0[c] *= x0[0] / wsum;\n");
    }
    return true;
}
