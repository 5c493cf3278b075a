/*
 * fuse.c: folds inference BatchNormalization into the Conv before it and
 * fuses an activation after a Conv into the Conv's kernel.
 *
 * One forward sweep over the nodes (topological order, so a Conv, its
 * BatchNormalization and its activation are met in that order and a chain
 * Conv -> BN -> Relu ends as one Conv).  Both rewrites need the Conv's
 * output to have exactly one use, the node being rewritten, and not to be a
 * graph output, so no value the program can see disappears.
 *
 * - BN folding: BatchNormalization with one output and training_mode 0 on
 *   the output of a Conv whose weight (and bias, if any) and whose BN
 *   scale, B, mean and var are compile-time constants.  With
 *   s = scale / sqrt(var + eps), computed in double, the Conv gets the new
 *   constants W'[m] = W[m] * s[m] and b'[m] = (b[m] - mean[m]) * s[m] + B[m]
 *   (stored in W's dtype, f32 or f64 only: rounding the scaled weights to
 *   f16 costs more precision than the unfused kernels lose; the shared
 *   originals are not touched and dce drops them when unused).  The BN node is deleted and its output value
 *   becomes the Conv's output, so names (and graph outputs) stay.
 * - Activation epilogue: Relu, LeakyRelu or Clip with constant finite
 *   bounds after a Conv become the internal attributes `__act` ("relu",
 *   "leaky_relu", "clip"), `__act_alpha`, `__act_lo`, `__act_hi` of the
 *   Conv, which codegen/emit_conv.c applies where it writes each output
 *   element; the activation node is deleted the same way.
 *
 * Training builds are left alone: their weights are trainable and the
 * backward needs the pre-activation values.  Runs at -O1 and up.
 */
#include "passes.h"

#include <math.h>
#include <string.h>

static bool fuse_float_dtype(DType t) { return t == DT_F32 || t == DT_F64 || t == DT_F16 || t == DT_BF16; }

/* The Conv defining v when v may be rewritten into it: one use, not a graph
 * output, not folded, no activation fused yet. */
static Node *fuse_conv_producer(const Graph *g, const Value *v) {
    if (!v || v->kind != VK_NODE || !v->def || v->def->op != OP_CONV || v->data || v->n_uses != 1)
        return NULL;
    for (int i = 0; i < g->n_outputs; i++)
        if (g->outputs[i] == v)
            return NULL;
    if (g->loss == v || node_attr(v->def, "__act"))
        return NULL;
    return v->def;
}

/* Makes n's only output value the output of conv instead and deletes n. */
static void fuse_take_output(Node *conv, Node *n) {
    Value *old = conv->out[0], *v = n->out[0];
    old->def = NULL;
    old->def_index = 0;
    old->n_uses = 0;
    v->def = conv;
    v->def_index = 0;
    conv->out[0] = v;
    n->op = OP_INVALID;
}

static bool fuse_const_data(const Value *v, const Ctx *c) {
    return v && v->data && fold_value_is_const(v, c) && fuse_float_dtype(v->dtype);
}

static bool fuse_batchnorm(Graph *g, Ctx *c, Node *bn) {
    if (bn->n_out != 1 || bn->n_in != 5 || attr_int(bn, "training_mode", 0) != 0)
        return false;
    Node *conv = fuse_conv_producer(g, bn->in[0]);
    if (!conv)
        return false;
    Value *w = conv->in[1], *b = conv->n_in > 2 ? conv->in[2] : NULL;
    if (!fuse_const_data(w, c) || (b && !fuse_const_data(b, c)) || w->rank < 1)
        return false;
    /* f16/bf16 weights rounded after the scaling drift from the unfused
     * result by more than the f16 conformance tolerance: f32/f64 only. */
    if ((w->dtype != DT_F32 && w->dtype != DT_F64) || conv->out[0]->dtype != w->dtype || bn->out[0]->dtype != w->dtype)
        return false;
    int64_t m_count = w->dims[0];
    for (int i = 1; i < 5; i++)
        if (!fuse_const_data(bn->in[i], c) || value_numel(bn->in[i]) != m_count)
            return false;
    if (b && value_numel(b) != m_count)
        return false;
    double eps = attr_float(bn, "epsilon", 1e-5);
    int64_t per = m_count ? value_numel(w) / m_count : 0;
    size_t es = dtype_size(w->dtype);
    void *wd = arena_alloc(g->arena, value_bytes(w) ? value_bytes(w) : 1);
    void *bd = arena_alloc(g->arena, es * (size_t)(m_count ? m_count : 1));
    const Value *scale = bn->in[1], *beta = bn->in[2], *mean = bn->in[3], *var = bn->in[4];
    for (int64_t m = 0; m < m_count; m++) {
        double s = data_get_f64(scale->dtype, scale->data, m) /
                   sqrt(data_get_f64(var->dtype, var->data, m) + eps);
        for (int64_t k = 0; k < per; k++)
            data_set_f64(w->dtype, wd, m * per + k, data_get_f64(w->dtype, w->data, m * per + k) * s);
        double b0 = b ? data_get_f64(b->dtype, b->data, m) : 0.0;
        data_set_f64(w->dtype, bd, m,
                     (b0 - data_get_f64(mean->dtype, mean->data, m)) * s + data_get_f64(beta->dtype, beta->data, m));
    }
    Value *nw = graph_add_const(g, graph_unique_name(g, arena_printf(g->arena, "%s_bn", w->name)), w->dtype, w->rank,
                                w->dims, wd);
    Value *nb = graph_add_const(g, graph_unique_name(g, arena_printf(g->arena, "%s_bn_bias", w->name)), w->dtype, 1,
                                &m_count, bd);
    nw->loc = nb->loc = bn->loc;
    if (conv->n_in < 3) {
        Value **in = ARENA_ARRAY(g->arena, Value *, 3);
        in[0] = conv->in[0];
        conv->in = in;
        conv->n_in = 3;
    }
    conv->in[1] = nw;
    conv->in[2] = nb;
    fuse_take_output(conv, bn);
    return true;
}

/* The scalar value of constant input i of n, or false. */
static bool fuse_scalar(const Node *n, int i, const Ctx *c, double *x) {
    const Value *v = i < n->n_in ? n->in[i] : NULL;
    if (!v || !v->data || !fold_value_is_const(v, c) || value_numel(v) != 1 || !fuse_float_dtype(v->dtype))
        return false;
    *x = data_get_f64(v->dtype, v->data, 0);
    return isfinite(*x);
}

static bool fuse_activation(Graph *g, Ctx *c, Node *act) {
    Node *conv = fuse_conv_producer(g, act->in[0]);
    if (!conv || act->n_out != 1 || act->out[0]->dtype != conv->out[0]->dtype ||
        !fuse_float_dtype(conv->out[0]->dtype))
        return false;
    double lo = 0, hi = 0;
    if (act->op == OP_CLIP) {
        if (act->opset < 11) {
            if (!node_attr(act, "min") || !node_attr(act, "max"))
                return false;
            lo = attr_float(act, "min", 0);
            hi = attr_float(act, "max", 0);
            if (!isfinite(lo) || !isfinite(hi))
                return false;
        } else if (!fuse_scalar(act, 1, c, &lo) || !fuse_scalar(act, 2, c, &hi)) {
            return false;
        }
    }
    switch (act->op) {
    case OP_RELU:
        node_set_attr_string(g, conv, "__act", "relu");
        break;
    case OP_LEAKYRELU:
        node_set_attr_string(g, conv, "__act", "leaky_relu");
        node_set_attr_float(g, conv, "__act_alpha", attr_float(act, "alpha", 0.01));
        break;
    case OP_CLIP:
        node_set_attr_string(g, conv, "__act", "clip");
        node_set_attr_float(g, conv, "__act_lo", lo);
        node_set_attr_float(g, conv, "__act_hi", hi);
        break;
    default:
        return false;
    }
    fuse_take_output(conv, act);
    return true;
}

bool pass_fuse(Graph *g, Ctx *c) {
    if (c->train || g->train)
        return true;
    graph_count_uses(g);
    bool changed = false;
    for (int i = 0; i < g->n_nodes; i++) {
        Node *n = g->nodes[i];
        if (n->op == OP_BATCHNORMALIZATION)
            changed |= fuse_batchnorm(g, c, n);
        else if (n->op == OP_RELU || n->op == OP_LEAKYRELU || n->op == OP_CLIP)
            changed |= fuse_activation(g, c, n);
    }
    if (changed) {
        graph_compact(g);
        graph_count_uses(g);
    }
    return true;
}
