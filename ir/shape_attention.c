/*
 * shape_attention.c: shape inference of the ONNX Attention operator
 * (opset 23/24).
 *
 * Q, K and V are either 4-D [batch, heads, seq, head_size] or 3-D
 * [batch, seq, heads * head_size], in which case q_num_heads and
 * kv_num_heads give the head counts.  attention_dims() resolves both forms
 * into one AttnDims record (shared with codegen/emit_attention.c); the
 * outputs are Y (same rank as Q), present_key/present_value (past
 * concatenated with K/V on the sequence axis, always 4-D) and the optional
 * qk_matmul_output [batch, q_heads, q_seq, total_seq].
 */
#include "ir.h"
#include "shape_attention.h"

bool attention_dims(const Node *n, AttnDims *a, Ctx *c) {
    const Value *q = n->in[0], *k = n->in[1], *v = n->in[2];
    const Value *pk = n->n_in > 4 ? n->in[4] : NULL;
    if (q->rank != k->rank || q->rank != v->rank || (q->rank != 3 && q->rank != 4))
        return c ? node_error(c, n, "Q, K and V must all be 3-D or all 4-D") : false;
    a->rank = q->rank;
    a->b = q->dims[0];
    if (q->rank == 4) {
        a->hq = q->dims[1];
        a->sq = q->dims[2];
        a->d = q->dims[3];
        a->hkv = k->dims[1];
        a->skv = k->dims[2];
        a->dv = v->dims[3];
    } else {
        a->hq = attr_int(n, "q_num_heads", 0);
        a->hkv = attr_int(n, "kv_num_heads", 0);
        if (a->hq <= 0 || a->hkv <= 0 || q->dims[2] % a->hq || k->dims[2] % a->hkv || v->dims[2] % a->hkv)
            return c ? node_error(c, n, "3-D inputs need q_num_heads and kv_num_heads dividing the hidden sizes") : false;
        a->sq = q->dims[1];
        a->d = q->dims[2] / a->hq;
        a->skv = k->dims[1];
        a->dv = v->dims[2] / a->hkv;
    }
    if (a->hkv <= 0 || a->hq % a->hkv)
        return c ? node_error(c, n, "q heads must be a multiple of kv heads") : false;
    a->past = pk ? pk->dims[2] : 0;
    a->total = a->past + a->skv;
    return true;
}

bool shape_attention(Node *n, Ctx *c) {
    AttnDims a;
    if (!attention_dims(n, &a, c))
        return false;
    DType t = n->in[0]->dtype;
    if (!dtype_is_float(t))
        return node_error(c, n, "Q must be a float tensor");
    int64_t d[4];
    if (a.rank == 4) {
        d[0] = a.b, d[1] = a.hq, d[2] = a.sq, d[3] = a.dv;
        value_set_shape(n->out[0], t, 4, d);
    } else {
        d[0] = a.b, d[1] = a.sq, d[2] = a.hq * a.dv;
        value_set_shape(n->out[0], t, 3, d);
    }
    if (n->n_out > 1 && n->out[1]) {
        d[0] = a.b, d[1] = a.hkv, d[2] = a.total, d[3] = a.d;
        value_set_shape(n->out[1], n->in[1]->dtype, 4, d);
    }
    if (n->n_out > 2 && n->out[2]) {
        d[0] = a.b, d[1] = a.hkv, d[2] = a.total, d[3] = a.dv;
        value_set_shape(n->out[2], n->in[2]->dtype, 4, d);
    }
    if (n->n_out > 3 && n->out[3]) {
        d[0] = a.b, d[1] = a.hq, d[2] = a.sq, d[3] = a.total;
        value_set_shape(n->out[3], t, 4, d);
    }
    return true;
}
