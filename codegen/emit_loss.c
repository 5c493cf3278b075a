/*
 * emit_loss.c: kernels of the class losses SoftmaxCrossEntropyLoss and
 * NegativeLogLikelihoodLoss (ir/ops_nn.def).
 *
 * The scores are viewed as [N, C, S] (S the product of the trailing dims)
 * and the labels as [N, S].  For every position (n, s) the kernel reads the
 * label; SoftmaxCrossEntropyLoss first computes the log-sum-exp over the C
 * classes (max-shifted) and, when asked, writes log_prob = x - lse for
 * every class.  A label equal to ignore_index contributes nothing (loss 0,
 * weight 0); any other label outside [0, C) makes the kernel return
 * -DLCC_ERR_INDEX.  The loss at a position is -logp[label] * w[label]
 * (w = 1 without weights); "sum" adds them, "mean" divides the sum by the
 * sum of the weights used (the count of positions not ignored when there
 * are no weights), as the ONNX operator documents specify.
 */
#include <string.h>

#include "emit_nn.h"

static bool emit_class_loss(Emit *e, bool softmax) {
    const Node *n = e->node;
    const Value *x = n->in[0], *lab = n->in[1];
    DType t = x->dtype;
    Arena *ar = e->ctx->arena;
    const char *CT = dtype_ctype_compute(t);
    int64_t N = x->dims[0], C = x->dims[1], S = nn_prod(x->dims, 2, x->rank);
    bool has_w = n->n_in > 2 && n->in[2];
    bool has_lp = softmax && n->n_out > 1 && n->out[1];
    const char *red = attr_string(n, "reduction", "mean");
    bool none = strcmp(red, "none") == 0, mean = strcmp(red, "mean") == 0;
    bool has_ii = node_attr(n, "ignore_index") != NULL;
    int64_t ii = attr_int(n, "ignore_index", 0);
    (void)lab;
    if (!none) {
        emitf(e, "    %s sum = 0, wsum = 0;\n", CT);
        emitf(e, "    (void)wsum;\n");
    }
    emitf(e, "    for (int64_t n = 0; n < %lld; n++)\n", LL(N));
    emitf(e, "        for (int64_t s = 0; s < %lld; s++) {\n", LL(S));
    emitf(e, "            const int64_t l = (int64_t)x1[n * %lld + s];\n", LL(S));
    emitf(e, "            const int64_t base = n * %lld + s;\n", LL(C * S));
    const char *xc = emit_load(e, t, "x0", arena_printf(ar, "base + c * %lld", LL(S)));
    if (softmax) {
        const char *ex = nn_math_fn(e, t, "exp"), *lg = nn_math_fn(e, t, "log");
        emitf(e, "            %s mx = %s;\n", CT, emit_load(e, t, "x0", "base"));
        emitf(e, "            for (int64_t c = 1; c < %lld; c++) { %s v = %s; if (v > mx) mx = v; }\n", LL(C), CT, xc);
        emitf(e, "            %s se = 0;\n", CT);
        emitf(e, "            for (int64_t c = 0; c < %lld; c++) se += %s(%s - mx);\n", LL(C), ex, xc);
        emitf(e, "            const %s lse = mx + %s(se);\n", CT, lg);
        if (has_lp) {
            emitf(e, "            for (int64_t c = 0; c < %lld; c++) {\n", LL(C));
            e->indent = 4;
            emit_store(e, t, "y1", arena_printf(ar, "base + c * %lld", LL(S)), arena_printf(ar, "%s - lse", xc));
            e->indent = 1;
            emitf(e, "            }\n");
        }
    }
    if (has_ii) {
        emitf(e, "            if (l == %lld) {\n", LL(ii));
        if (none) {
            e->indent = 4;
            emit_store(e, t, "y0", arena_printf(ar, "n * %lld + s", LL(S)), emit_literal(e, t, 0.0));
            e->indent = 1;
        }
        emitf(e, "                continue;\n            }\n");
    }
    emitf(e, "            if (l < 0 || l >= %lld) return -DLCC_ERR_INDEX;\n", LL(C));
    const char *xl = emit_load(e, t, "x0", arena_printf(ar, "base + l * %lld", LL(S)));
    emitf(e, "            const %s w = %s;\n", CT, has_w ? emit_load(e, t, "x2", "l") : emit_literal(e, t, 1.0));
    emitf(e, "            const %s v = -(%s%s) * w;\n", CT, xl, softmax ? " - lse" : "");
    if (none) {
        e->indent = 3;
        emit_store(e, t, "y0", arena_printf(ar, "n * %lld + s", LL(S)), "v");
        e->indent = 1;
    } else {
        emitf(e, "            sum += v;\n            wsum += w;\n");
    }
    emitf(e, "        }\n");
    if (!none) {
        e->indent = 1;
        emit_store(e, t, "y0", "0", mean ? "sum / wsum" : "sum");
    }
    return true;
}

bool emit_sce_loss(Emit *e) { return emit_class_loss(e, true); }
bool emit_nll_loss(Emit *e) { return emit_class_loss(e, false); }
