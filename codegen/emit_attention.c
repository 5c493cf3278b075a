/*
 * emit_attention.c: kernel of the ONNX Attention operator (opset 23/24).
 *
 * The kernel first gathers the key and value caches (past_key/past_value
 * followed by the new K/V, converted to the compute type) into scratch as
 * [batch, kv_heads, total_seq, head_size] and copies them to
 * present_key/present_value when those outputs exist.  Then, for every
 * (batch, query head, query position), it computes one row of scores
 * scale * q.k over the total sequence, applies softcap, adds the bias (the
 * attention mask, padded with -inf past its last dimension and broadcast
 * to [batch, q_heads, q_seq, total_seq], the bottom-right aligned causal
 * mask and the nonpad_kv_seqlen padding mask), takes the softmax in place
 * and multiplies by the value rows.  Grouped-query attention maps query
 * head h to kv head h / (q_heads / kv_heads).  The optional
 * qk_matmul_output takes the row at the stage selected by
 * qk_matmul_output_mode, following onnx/reference (softcap comes before
 * the mask, so modes 0 and 1 both give the soft-capped scores).
 * 3-D inputs are addressed in place through per-axis strides.
 */
#include "codegen.h"
#include "../ir/shape_attention.h"

#include <math.h>
#include <string.h>

#define LL(x) ((long long)(x))

/* Strides (batch, head, seq) of a 3-D [b, s, h * d] or 4-D [b, h, s, d] tensor. */
static void attention_strides(int rank, int64_t h, int64_t s, int64_t d, int64_t *st) {
    if (rank == 4) {
        st[0] = h * s * d, st[1] = s * d, st[2] = d;
    } else {
        st[0] = s * h * d, st[1] = d, st[2] = h * d;
    }
}

bool emit_attention(Emit *e) {
    const Node *n = e->node;
    AttnDims a;
    if (!attention_dims(n, &a, e->ctx))
        return false;
    const Value *q = n->in[0], *k = n->in[1], *v = n->in[2];
    const Value *mask = n->n_in > 3 ? n->in[3] : NULL;
    const Value *pk = n->n_in > 4 ? n->in[4] : NULL;
    const Value *pv = n->n_in > 5 ? n->in[5] : NULL;
    const Value *nonpad = n->n_in > 6 ? n->in[6] : NULL;
    if ((pk == NULL) != (pv == NULL) || (pv && pv->dims[2] != a.past))
        return emit_error(e, "past_key and past_value must be given together with the same length");
    DType t = q->dtype;
    const char *T = dtype_ctype_compute(t);
    bool dbl = t == DT_F64;
    int64_t B = a.b, HQ = a.hq, HKV = a.hkv, SQ = a.sq, SKV = a.skv, P = a.past, TT = a.total, D = a.d, DV = a.dv;
    if (value_numel(n->out[0]) == 0)
        return true;
    int64_t qs[3], ks[3], vs[3], ys[3];
    attention_strides(a.rank, HQ, SQ, D, qs);
    attention_strides(a.rank, HKV, SKV, D, ks);
    attention_strides(a.rank, HKV, SKV, DV, vs);
    attention_strides(a.rank, HQ, SQ, DV, ys);
    double scale = node_attr(n, "scale") ? attr_float(n, "scale", 1.0) : 1.0 / sqrt((double)D);
    double softcap = attr_float(n, "softcap", 0.0);
    int64_t mode = attr_int(n, "qk_matmul_output_mode", 0);
    bool causal = attr_int(n, "is_causal", 0) != 0;
    bool want_qk = n->n_out > 3 && n->out[3] && n->out[3]->rank == 4;

    size_t esz = dbl ? sizeof(double) : sizeof(float);
    size_t kc_n = (size_t)(B * HKV * TT * D), vc_n = (size_t)(B * HKV * TT * DV);
    const char *ws = emit_scratch(e, (kc_n + vc_n + (size_t)TT) * esz + 128);
    emitf(e, "%s *restrict kc = (%s *)%s;\n", T, T, ws);
    emitf(e, "%s *restrict vc = kc + %lldLL;\n", T, LL(kc_n));
    emitf(e, "%s *restrict sc = vc + %lldLL;\n", T, LL(vc_n));
    emitf(e, "(void)sc;\n");

    /* Key and value caches. */
    for (int w = 0; w < 2; w++) {
        int64_t hd = w ? DV : D;
        const int64_t *st = w ? vs : ks;
        const char *cache = w ? "vc" : "kc", *past = w ? "x5" : "x4", *cur = w ? "x2" : "x1";
        DType ct = w ? v->dtype : k->dtype;
        emitf(e, "for (int64_t b = 0; b < %lldLL; b++)\n", LL(B));
        emitf(e, "    for (int64_t h = 0; h < %lldLL; h++)\n", LL(HKV));
        emitf(e, "        for (int64_t j = 0; j < %lldLL; j++)\n", LL(TT));
        emitf(e, "            for (int64_t d = 0; d < %lldLL; d++) {\n", LL(hd));
        emitf(e, "                const int64_t o = ((b * %lldLL + h) * %lldLL + j) * %lldLL + d;\n", LL(HKV), LL(TT), LL(hd));
        if (P > 0) {
            emitf(e, "                if (j < %lldLL) {\n", LL(P));
            emitf(e, "                    const int64_t pi = ((b * %lldLL + h) * %lldLL + j) * %lldLL + d;\n", LL(HKV), LL(P), LL(hd));
            emitf(e, "                    %s[o] = (%s)%s;\n", cache, T, emit_load(e, (w ? pv : pk)->dtype, past, "pi"));
            emitf(e, "                    continue;\n                }\n");
        }
        emitf(e, "                const int64_t ci = b * %lldLL + h * %lldLL + (j - %lldLL) * %lldLL + d;\n", LL(st[0]), LL(st[1]), LL(P),
              LL(st[2]));
        emitf(e, "                %s[o] = (%s)%s;\n", cache, T, emit_load(e, ct, cur, "ci"));
        emitf(e, "            }\n");
        if (n->n_out > 1 + w && n->out[1 + w] && n->out[1 + w]->rank == 4) {
            const char *y = w ? "y2" : "y1";
            emitf(e, "if (%s) {\n", y);
            emitf(e, "    for (int64_t o = 0; o < %lldLL; o++) {\n", LL(w ? vc_n : kc_n));
            e->indent = 2;
            emit_store(e, n->out[1 + w]->dtype, y, "o", arena_printf(e->ctx->arena, "%s[o]", cache));
            e->indent = 0;
            emitf(e, "    }\n}\n");
        }
    }

    /* Mask strides over [B, HQ, SQ, total]. */
    int64_t mst[4] = {0, 0, 0, 0}, mlast = 0;
    bool mbool = false;
    if (mask) {
        int mr = mask->rank;
        if (mr < 1 || mr > 4)
            return emit_error(e, "attn_mask must have rank 1 to 4");
        mbool = mask->dtype == DT_BOOL;
        int64_t cst[DLCC_MAX_RANK];
        int64_t s = 1;
        for (int i = mr - 1; i >= 0; i--) {
            cst[i] = s;
            s *= mask->dims[i];
        }
        int64_t tgt[4] = {B, HQ, SQ, TT};
        for (int i = 0; i < 4; i++) {
            int ax = i - (4 - mr);
            if (ax < 0)
                continue;
            int64_t md = mask->dims[ax];
            if (i < 3 && md != 1 && md != tgt[i])
                return emit_error(e, "attn_mask does not broadcast to [batch, q_heads, q_seq, total_seq]");
            if (i == 3 && md > TT)
                return emit_error(e, "attn_mask's last dimension exceeds the total sequence length");
            mst[i] = (i < 3 && md == 1) ? 0 : cst[ax];
        }
        mlast = mask->dims[mr - 1];
        if (value_numel(mask) == 0)
            mlast = 0;
    }

    const char *ninf = dbl ? "(-(double)INFINITY)" : "(-INFINITY)";
    emitf(e, "for (int64_t b = 0; b < %lldLL; b++) {\n", LL(B));
    if (causal) {
        if (!pk && nonpad)
            emitf(e, "    const int64_t off = (int64_t)x6[b] - %lldLL;\n", LL(SQ));
        else
            emitf(e, "    const int64_t off = %lldLL;\n", LL(P));
    }
    if (nonpad)
        emitf(e, "    const int64_t valid = (int64_t)x6[b];\n");
    emitf(e, "    for (int64_t h = 0; h < %lldLL; h++) {\n", LL(HQ));
    emitf(e, "        const %s *restrict kh = kc + (b * %lldLL + h / %lldLL) * %lldLL;\n", T, LL(HKV), LL(HQ / HKV), LL(TT * D));
    emitf(e, "        const %s *restrict vh = vc + (b * %lldLL + h / %lldLL) * %lldLL;\n", T, LL(HKV), LL(HQ / HKV), LL(TT * DV));
    emitf(e, "        for (int64_t i = 0; i < %lldLL; i++) {\n", LL(SQ));
    emitf(e, "            const int64_t qb = b * %lldLL + h * %lldLL + i * %lldLL;\n", LL(qs[0]), LL(qs[1]), LL(qs[2]));
    if (want_qk)
        emitf(e, "            const int64_t ob = ((b * %lldLL + h) * %lldLL + i) * %lldLL;\n", LL(HQ), LL(SQ), LL(TT));
    emitf(e, "            %s mx = %s;\n", T, ninf);
    emitf(e, "            for (int64_t j = 0; j < %lldLL; j++) {\n", LL(TT));
    emitf(e, "                %s acc = 0;\n", T);
    emitf(e, "                for (int64_t d = 0; d < %lldLL; d++) {\n", LL(D));
    emitf(e, "                    const int64_t qi = qb + d;\n");
    emitf(e, "                    acc += (%s)%s * kh[j * %lldLL + d];\n", T, emit_load(e, t, "x0", "qi"), LL(D));
    emitf(e, "                }\n");
    emitf(e, "                acc *= %s;\n", emit_literal(e, t, scale));
    if (softcap > 0)
        emitf(e, "                acc = %s * %s(acc / %s);\n", emit_literal(e, t, softcap), dbl ? "tanh" : "tanhf", emit_literal(e, t, softcap));
    if (want_qk && (mode == 0 || mode == 1)) {
        e->indent = 4;
        emit_store(e, t, "y3", "ob + j", "acc");
        e->indent = 0;
    }
    if (mask) {
        emitf(e, "                if (j >= %lldLL) {\n", LL(mlast));
        emitf(e, "                    acc += %s;\n", ninf);
        emitf(e, "                } else {\n");
        emitf(e, "                    const int64_t mi = b * %lldLL + h * %lldLL + i * %lldLL + j * %lldLL;\n", LL(mst[0]), LL(mst[1]), LL(mst[2]),
              LL(mst[3]));
        if (mbool)
            emitf(e, "                    if (!x3[mi]) acc += %s;\n", ninf);
        else
            emitf(e, "                    acc += (%s)%s;\n", T, emit_load(e, mask->dtype, "x3", "mi"));
        emitf(e, "                }\n");
    }
    if (causal)
        emitf(e, "                if (j > i + off) acc += %s;\n", ninf);
    if (nonpad)
        emitf(e, "                if (j >= valid) acc += %s;\n", ninf);
    if (want_qk && mode == 2) {
        e->indent = 4;
        emit_store(e, t, "y3", "ob + j", "acc");
        e->indent = 0;
    }
    emitf(e, "                sc[j] = acc;\n");
    emitf(e, "                if (acc > mx) mx = acc;\n");
    emitf(e, "            }\n");
    emitf(e, "            %s sum = 0;\n", T);
    emitf(e, "            for (int64_t j = 0; j < %lldLL; j++) {\n", LL(TT));
    emitf(e, "                sc[j] = %s(sc[j] - mx);\n", dbl ? "exp" : "expf");
    emitf(e, "                sum += sc[j];\n");
    emitf(e, "            }\n");
    emitf(e, "            for (int64_t j = 0; j < %lldLL; j++) {\n", LL(TT));
    emitf(e, "                sc[j] /= sum;\n");
    if (want_qk && mode == 3) {
        e->indent = 4;
        emit_store(e, t, "y3", "ob + j", "sc[j]");
        e->indent = 0;
    }
    emitf(e, "            }\n");
    emitf(e, "            const int64_t yb = b * %lldLL + h * %lldLL + i * %lldLL;\n", LL(ys[0]), LL(ys[1]), LL(ys[2]));
    emitf(e, "            for (int64_t d = 0; d < %lldLL; d++) {\n", LL(DV));
    emitf(e, "                %s o = 0;\n", T);
    emitf(e, "                for (int64_t j = 0; j < %lldLL; j++)\n", LL(TT));
    emitf(e, "                    o += sc[j] * vh[j * %lldLL + d];\n", LL(DV));
    e->indent = 4;
    emit_store(e, n->out[0]->dtype, "y0", "yb + d", "o");
    e->indent = 0;
    emitf(e, "            }\n");
    emitf(e, "        }\n    }\n}\n");
    return true;
}
