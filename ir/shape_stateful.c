/*
 * shape_stateful.c: shape inference of the recurrent operators that carry a
 * state from one call to the next (ONNX opset 27): LinearAttention and
 * CausalConvWithState.
 *
 * Both take packed 3-D activations and an optional past state, and return
 * the output plus the state to feed the next call.  The resolvers below
 * check every input shape against the attributes once and record the sizes
 * in a small struct (shape_stateful.h) that the emitters reuse, so the
 * kernels only see shapes that were validated here.
 *   - LinearAttention: output [B, T, HQ*DV] in query's dtype, present_state
 *     [B, HKV, DK, DV] in past_state's dtype (query's when there is none).
 *     update_rule picks which of decay (gated rules) and beta (delta rules)
 *     must be present.
 *   - CausalConvWithState: output like input, present_state [B, C, K-1].
 */
#include "shape_stateful.h"

#include <math.h>
#include <string.h>

static const Value *opt_in(const Node *n, int i) { return i < n->n_in ? n->in[i] : NULL; }

static bool is_3d(const Value *v, int64_t b, int64_t t) {
    return v->rank == 3 && v->dims[0] == b && v->dims[1] == t;
}

bool linear_attention_dims(const Node *n, LinAttnDims *a, Ctx *c) {
    memset(a, 0, sizeof *a);
    const Value *q = n->in[0], *k = n->in[1], *v = n->in[2];
    const Value *past = opt_in(n, 3), *decay = opt_in(n, 4), *beta = opt_in(n, 5), *erase = opt_in(n, 6);
    if (!q || !k || !v)
        return node_error(c, n, "query, key and value are required");
    const char *rule = attr_string(n, "update_rule", "gated_delta");
    if (!strcmp(rule, "linear"))
        a->gating = false, a->delta = false;
    else if (!strcmp(rule, "gated"))
        a->gating = true, a->delta = false;
    else if (!strcmp(rule, "delta"))
        a->gating = false, a->delta = true;
    else if (!strcmp(rule, "gated_delta"))
        a->gating = true, a->delta = true;
    else
        return node_error(c, n, "update_rule '%s' is not one of linear, gated, delta, gated_delta", rule);
    a->hq = attr_int(n, "q_num_heads", 0);
    a->hkv = attr_int(n, "kv_num_heads", 0);
    if (a->hq <= 0 || a->hkv <= 0 || a->hq % a->hkv)
        return node_error(c, n, "q_num_heads (%lld) must be a positive multiple of kv_num_heads (%lld)",
                          (long long)a->hq, (long long)a->hkv);
    if (q->rank != 3)
        return node_error(c, n, "query must be 3-D [batch, seq, q_num_heads * head_size]");
    a->b = q->dims[0];
    a->t = q->dims[1];
    if (q->dims[2] % a->hq)
        return node_error(c, n, "query's last dimension %lld is not a multiple of q_num_heads", (long long)q->dims[2]);
    a->dk = q->dims[2] / a->hq;
    if (!is_3d(k, a->b, a->t) || k->dims[2] != a->hkv * a->dk)
        return node_error(c, n, "key must be [%lld, %lld, %lld], is %s", (long long)a->b, (long long)a->t,
                          (long long)(a->hkv * a->dk), value_type_str(c->arena, k));
    if (!is_3d(v, a->b, a->t) || v->dims[2] % a->hkv)
        return node_error(c, n, "value must be [%lld, %lld, kv_num_heads * v_head_size], is %s", (long long)a->b,
                          (long long)a->t, value_type_str(c->arena, v));
    a->dv = v->dims[2] / a->hkv;
    if (!dtype_is_float(q->dtype) || k->dtype != q->dtype || v->dtype != q->dtype)
        return node_error(c, n, "query, key and value must be float tensors of one dtype");
    if (a->gating != (decay != NULL))
        return node_error(c, n, "update_rule '%s' %s the decay input", rule, a->gating ? "needs" : "forbids");
    if (a->delta != (beta != NULL))
        return node_error(c, n, "update_rule '%s' %s the beta input", rule, a->delta ? "needs" : "forbids");
    if (erase && !a->delta)
        return node_error(c, n, "update_rule '%s' forbids the erase_gate input", rule);
    if (decay) {
        a->decay_last = decay->rank == 3 ? decay->dims[2] : -1;
        if (!is_3d(decay, a->b, a->t) || (a->decay_last != a->hkv && a->decay_last != a->hkv * a->dk) ||
            !dtype_is_float(decay->dtype))
            return node_error(c, n, "decay must be a float [%lld, %lld, %lld or %lld], is %s", (long long)a->b,
                              (long long)a->t, (long long)a->hkv, (long long)(a->hkv * a->dk),
                              value_type_str(c->arena, decay));
    }
    if (beta) {
        a->beta_last = beta->rank == 3 ? beta->dims[2] : -1;
        if (!is_3d(beta, a->b, a->t) || (a->beta_last != a->hkv && a->beta_last != 1) || !dtype_is_float(beta->dtype))
            return node_error(c, n, "beta must be a float [%lld, %lld, %lld or 1], is %s", (long long)a->b,
                              (long long)a->t, (long long)a->hkv, value_type_str(c->arena, beta));
    }
    if (erase && (!is_3d(erase, a->b, a->t) || erase->dims[2] != a->hkv * a->dk || !dtype_is_float(erase->dtype)))
        return node_error(c, n, "erase_gate must be a float [%lld, %lld, %lld], is %s", (long long)a->b,
                          (long long)a->t, (long long)(a->hkv * a->dk), value_type_str(c->arena, erase));
    if (past) {
        const int64_t want[4] = {a->b, a->hkv, a->dk, a->dv};
        if (past->rank != 4 || memcmp(past->dims, want, sizeof want) || !dtype_is_float(past->dtype))
            return node_error(c, n, "past_state must be a float [%lld, %lld, %lld, %lld], is %s", (long long)a->b,
                              (long long)a->hkv, (long long)a->dk, (long long)a->dv,
                              value_type_str(c->arena, past));
    }
    a->state_dtype = past ? past->dtype : q->dtype;
    double s = attr_float(n, "scale", 0.0);
    a->scale = s != 0.0 ? s : (a->dk > 0 ? 1.0 / sqrt((double)a->dk) : 1.0);
    return true;
}

bool shape_linear_attention(Node *n, Ctx *c) {
    LinAttnDims a;
    if (!linear_attention_dims(n, &a, c))
        return false;
    int64_t d[4] = {a.b, a.t, a.hq * a.dv, 0};
    value_set_shape(n->out[0], n->in[0]->dtype, 3, d);
    if (n->n_out > 1 && n->out[1]) {
        int64_t s[4] = {a.b, a.hkv, a.dk, a.dv};
        value_set_shape(n->out[1], a.state_dtype, 4, s);
    }
    return true;
}

bool causal_conv_dims(const Node *n, CausalConvDims *a, Ctx *c) {
    memset(a, 0, sizeof *a);
    const Value *x = n->in[0], *w = n->in[1], *bias = opt_in(n, 2), *past = opt_in(n, 3);
    if (!x || !w)
        return node_error(c, n, "input and weight are required");
    const char *act = attr_string(n, "activation", "none");
    if (!strcmp(act, "silu") || !strcmp(act, "swish"))
        a->silu = true;
    else if (strcmp(act, "none"))
        return node_error(c, n, "activation '%s' is not one of none, silu, swish", act);
    if (x->rank != 3 || !dtype_is_float(x->dtype))
        return node_error(c, n, "input must be a float [batch, channels, length], is %s", value_type_str(c->arena, x));
    a->b = x->dims[0];
    a->ch = x->dims[1];
    a->len = x->dims[2];
    if (w->rank != 3 || w->dims[0] != a->ch || w->dims[1] != 1 || w->dims[2] < 1 || w->dtype != x->dtype)
        return node_error(c, n, "weight must be [%lld, 1, k] with k >= 1 of the input's dtype, is %s", (long long)a->ch,
                          value_type_str(c->arena, w));
    a->k = w->dims[2];
    if (bias && (bias->rank != 1 || bias->dims[0] != a->ch || bias->dtype != x->dtype))
        return node_error(c, n, "bias must be [%lld] of the input's dtype, is %s", (long long)a->ch,
                          value_type_str(c->arena, bias));
    if (past && (past->rank != 3 || past->dims[0] != a->b || past->dims[1] != a->ch || past->dims[2] != a->k - 1 ||
                 past->dtype != x->dtype))
        return node_error(c, n, "past_state must be [%lld, %lld, %lld] of the input's dtype, is %s", (long long)a->b,
                          (long long)a->ch, (long long)(a->k - 1), value_type_str(c->arena, past));
    return true;
}

bool shape_causal_conv_with_state(Node *n, Ctx *c) {
    CausalConvDims a;
    if (!causal_conv_dims(n, &a, c))
        return false;
    value_set_shape(n->out[0], n->in[0]->dtype, 3, n->in[0]->dims);
    if (n->n_out > 1 && n->out[1]) {
        int64_t d[3] = {a.b, a.ch, a.k - 1};
        value_set_shape(n->out[1], n->in[0]->dtype, 3, d);
    }
    return true;
}
