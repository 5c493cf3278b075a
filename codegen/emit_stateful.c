/*
 * emit_stateful.c: kernels of LinearAttention and CausalConvWithState
 * (ONNX opset 27), the recurrent operators with a carried state.
 *
 * LinearAttention runs the recurrence token by token, as
 * onnx/reference/ops/op_linear_attention.py does: the state [B, HKV, DK, DV]
 * lives in scratch in the compute type (float, double for f64), starts as
 * past_state or zeros, and for every (batch, token) each kv head is decayed
 * by exp(decay) (gated rules), gets the delta correction
 * u = beta * (v - S^T (erase * k)) (delta rules; u = v otherwise) and the
 * rank-one write S += k u^T; then every query head h reads o = scale q^T S
 * from kv head h / (HQ / HKV).  Q, K, V, decay and beta are addressed in
 * their packed [B, T, H*D] layout directly.  present_state is the final
 * state, converted to its storage type.
 *
 * CausalConvWithState is a depthwise 1-D convolution over the sequence
 * past_state ++ input (zeros in place of a missing past_state) with valid
 * padding, plus bias and an optional SiLU; present_state is the last K-1
 * positions of that sequence.  Like the reference, the convolution result
 * is rounded to the storage type (f16/bf16) before the activation.
 */
#include "codegen.h"
#include "../ir/shape_stateful.h"

#include <string.h>

#define LL(x) ((long long)(x))

static const Value *opt_in(const Node *n, int i) { return i < n->n_in ? n->in[i] : NULL; }

/* ---------------------------------------------------------------- LinearAttention */

bool emit_linear_attention(Emit *e) {
    const Node *n = e->node;
    LinAttnDims a;
    if (!linear_attention_dims(n, &a, e->ctx))
        return false;
    const Value *q = n->in[0], *past = opt_in(n, 3), *decay = opt_in(n, 4), *beta = opt_in(n, 5),
                *erase = opt_in(n, 6);
    DType t = q->dtype;
    bool dbl = t == DT_F64 || a.state_dtype == DT_F64;
    const char *C = dbl ? "double" : "float", *EXP = dbl ? "exp" : "expf";
    DType ct = dbl ? DT_F64 : DT_F32;
    int64_t B = a.b, T = a.t, HQ = a.hq, HKV = a.hkv, DK = a.dk, DV = a.dv, G = a.hq / a.hkv;
    int64_t ns = B * HKV * DK * DV;
    size_t esz = dbl ? sizeof(double) : sizeof(float);
    const char *ws = emit_scratch(e, ((size_t)ns + (size_t)DV + 1) * esz);
    emitf(e, "%s *restrict st = (%s *)%s;\n", C, C, ws);
    emitf(e, "%s *restrict u = st + %lldLL;\n", C, LL(ns));
    emitf(e, "(void)u;\n");
    emitf(e, "for (int64_t i = 0; i < %lldLL; i++)\n", LL(ns));
    if (past)
        emitf(e, "    st[i] = (%s)%s;\n", C, emit_load(e, past->dtype, "x3", "i"));
    else
        emitf(e, "    st[i] = 0;\n");
    emitf(e, "for (int64_t b = 0; b < %lldLL; b++)\n", LL(B));
    emitf(e, "    for (int64_t t = 0; t < %lldLL; t++) {\n", LL(T));
    emitf(e, "        const int64_t bt = b * %lldLL + t;\n", LL(T));
    emitf(e, "        for (int64_t h = 0; h < %lldLL; h++) {\n", LL(HKV));
    emitf(e, "            %s *restrict s = st + (b * %lldLL + h) * %lldLL;\n", C, LL(HKV), LL(DK * DV));
    emitf(e, "            const int64_t kb = bt * %lldLL + h * %lldLL;\n", LL(HKV * DK), LL(DK));
    emitf(e, "            const int64_t vb = bt * %lldLL + h * %lldLL;\n", LL(HKV * DV), LL(DV));
    if (a.gating) {
        emitf(e, "            for (int64_t d = 0; d < %lldLL; d++) {\n", LL(DK));
        if (a.decay_last != HKV * DK) /* one decay per head */
            emitf(e, "                const int64_t gi = bt * %lldLL + h;\n", LL(HKV));
        else
            emitf(e, "                const int64_t gi = kb + d;\n");
        emitf(e, "                const %s g = %s((%s)%s);\n", C, EXP, C, emit_load(e, decay->dtype, "x4", "gi"));
        emitf(e, "                for (int64_t m = 0; m < %lldLL; m++)\n", LL(DV));
        emitf(e, "                    s[d * %lldLL + m] *= g;\n", LL(DV));
        emitf(e, "            }\n");
    }
    if (a.delta) {
        if (a.beta_last == 1)
            emitf(e, "            const int64_t bi = bt;\n");
        else
            emitf(e, "            const int64_t bi = bt * %lldLL + h;\n", LL(HKV));
        emitf(e, "            const %s be = (%s)%s;\n", C, C, emit_load(e, beta->dtype, "x5", "bi"));
        emitf(e, "            for (int64_t m = 0; m < %lldLL; m++) {\n", LL(DV));
        emitf(e, "                %s r = 0;\n", C);
        emitf(e, "                for (int64_t d = 0; d < %lldLL; d++) {\n", LL(DK));
        emitf(e, "                    const int64_t ki = kb + d;\n");
        if (erase)
            emitf(e, "                    r += s[d * %lldLL + m] * ((%s)%s * (%s)%s);\n", LL(DV), C,
                  emit_load(e, erase->dtype, "x6", "ki"), C, emit_load(e, t, "x1", "ki"));
        else
            emitf(e, "                    r += s[d * %lldLL + m] * (%s)%s;\n", LL(DV), C, emit_load(e, t, "x1", "ki"));
        emitf(e, "                }\n");
        emitf(e, "                const int64_t vi = vb + m;\n");
        emitf(e, "                u[m] = be * ((%s)%s - r);\n", C, emit_load(e, t, "x2", "vi"));
        emitf(e, "            }\n");
    } else {
        emitf(e, "            for (int64_t m = 0; m < %lldLL; m++) {\n", LL(DV));
        emitf(e, "                const int64_t vi = vb + m;\n");
        emitf(e, "                u[m] = (%s)%s;\n", C, emit_load(e, t, "x2", "vi"));
        emitf(e, "            }\n");
    }
    emitf(e, "            for (int64_t d = 0; d < %lldLL; d++) {\n", LL(DK));
    emitf(e, "                const int64_t ki = kb + d;\n");
    emitf(e, "                const %s kd = (%s)%s;\n", C, C, emit_load(e, t, "x1", "ki"));
    emitf(e, "                for (int64_t m = 0; m < %lldLL; m++)\n", LL(DV));
    emitf(e, "                    s[d * %lldLL + m] += kd * u[m];\n", LL(DV));
    emitf(e, "            }\n");
    emitf(e, "        }\n");
    emitf(e, "        for (int64_t h = 0; h < %lldLL; h++) {\n", LL(HQ));
    emitf(e, "            const %s *restrict s = st + (b * %lldLL + h / %lldLL) * %lldLL;\n", C, LL(HKV), LL(G),
          LL(DK * DV));
    emitf(e, "            const int64_t qb = bt * %lldLL + h * %lldLL;\n", LL(HQ * DK), LL(DK));
    emitf(e, "            const int64_t ob = bt * %lldLL + h * %lldLL;\n", LL(HQ * DV), LL(DV));
    emitf(e, "            for (int64_t m = 0; m < %lldLL; m++) {\n", LL(DV));
    emitf(e, "                %s acc = 0;\n", C);
    emitf(e, "                for (int64_t d = 0; d < %lldLL; d++) {\n", LL(DK));
    emitf(e, "                    const int64_t qi = qb + d;\n");
    emitf(e, "                    acc += (%s)%s * s[d * %lldLL + m];\n", C, emit_load(e, t, "x0", "qi"), LL(DV));
    emitf(e, "                }\n");
    e->indent = 4;
    emit_store(e, t, "y0", "ob + m", arena_printf(e->ctx->arena, "%s * acc", emit_literal(e, ct, a.scale)));
    e->indent = 0;
    emitf(e, "            }\n");
    emitf(e, "        }\n");
    emitf(e, "    }\n");
    if (n->n_out > 1 && n->out[1]) {
        emitf(e, "if (y1) {\n");
        emitf(e, "    for (int64_t i = 0; i < %lldLL; i++) {\n", LL(ns));
        e->indent = 2;
        emit_store(e, a.state_dtype, "y1", "i", "st[i]");
        e->indent = 0;
        emitf(e, "    }\n");
        emitf(e, "}\n");
    }
    return true;
}

/* ---------------------------------------------------------------- CausalConvWithState */

/* The expression that rounds float v to t (f16 or bf16) and back (the
 * convolution result is rounded before the activation, as the reference does). */
static const char *round_to_storage(Emit *e, DType t, const char *v) {
    emit_use_runtime(e, "half");
    const char *s = t == DT_F16 ? "f16" : "bf16";
    return arena_printf(e->ctx->arena, "dlcc_%s_to_f32(dlcc_f32_to_%s(%s))", s, s, v);
}

bool emit_causal_conv_with_state(Emit *e) {
    const Node *n = e->node;
    CausalConvDims a;
    if (!causal_conv_dims(n, &a, e->ctx))
        return false;
    const Value *x = n->in[0], *bias = opt_in(n, 2), *past = opt_in(n, 3);
    DType t = x->dtype;
    const char *C = dtype_ctype_compute(t);
    bool dbl = t == DT_F64;
    int64_t B = a.b, CH = a.ch, L = a.len, K = a.k, P = a.k - 1;
    if (B * CH == 0)
        return true;
    /* seq(j), j in [0, L + P): past_state (or 0) for j < P, then the input. */
    const char *past_at = past ? emit_load(e, past->dtype, "x3", "pi") : NULL;
    const char *x_at = emit_load(e, t, "x0", "xi");
    emitf(e, "for (int64_t bc = 0; bc < %lldLL; bc++) {\n", LL(B * CH));
    emitf(e, "    const int64_t c = bc %% %lldLL;\n", LL(CH));
    emitf(e, "    (void)c;\n");
    emitf(e, "    for (int64_t l = 0; l < %lldLL; l++) {\n", LL(L));
    if (bias)
        emitf(e, "        %s acc = (%s)%s;\n", C, C, emit_load(e, t, "x2", "c"));
    else
        emitf(e, "        %s acc = 0;\n", C);
    emitf(e, "        for (int64_t k = 0; k < %lldLL; k++) {\n", LL(K));
    emitf(e, "            const int64_t j = l + k;\n");
    emitf(e, "            const int64_t wi = c * %lldLL + k;\n", LL(K));
    emitf(e, "            %s sv;\n", C);
    emitf(e, "            if (j < %lldLL) {\n", LL(P));
    if (past) {
        emitf(e, "                const int64_t pi = bc * %lldLL + j;\n", LL(P));
        emitf(e, "                sv = (%s)%s;\n", C, past_at);
    } else {
        emitf(e, "                sv = 0;\n");
    }
    emitf(e, "            } else {\n");
    emitf(e, "                const int64_t xi = bc * %lldLL + j - %lldLL;\n", LL(L), LL(P));
    emitf(e, "                sv = (%s)%s;\n", C, x_at);
    emitf(e, "            }\n");
    emitf(e, "            acc += (%s)%s * sv;\n", C, emit_load(e, t, "x1", "wi"));
    emitf(e, "        }\n");
    if (a.silu) {
        if (t == DT_F16 || t == DT_BF16)
            emitf(e, "        acc = %s;\n", round_to_storage(e, t, "acc"));
        emitf(e, "        acc = acc / (%s + %s(-acc));\n", emit_literal(e, t, 1.0), dbl ? "exp" : "expf");
    }
    e->indent = 2;
    emit_store(e, t, "y0", arena_printf(e->ctx->arena, "bc * %lldLL + l", LL(L)), "acc");
    e->indent = 0;
    emitf(e, "    }\n");
    if (n->n_out > 1 && n->out[1] && P > 0) {
        /* present_state[j] = seq(L + j): the past (when L < P) then the input's tail */
        emitf(e, "    if (y1) {\n");
        emitf(e, "        for (int64_t q = 0; q < %lldLL; q++) {\n", LL(P));
        emitf(e, "            const int64_t j = q + %lldLL;\n", LL(L));
        emitf(e, "            const int64_t oi = bc * %lldLL + q;\n", LL(P));
        emitf(e, "            if (j < %lldLL) {\n", LL(P));
        if (past) {
            emitf(e, "                const int64_t pi = bc * %lldLL + j;\n", LL(P));
            emitf(e, "                y1[oi] = x3[pi];\n");
        } else {
            emitf(e, "                y1[oi] = 0;\n");
        }
        emitf(e, "            } else {\n");
        emitf(e, "                const int64_t xi = bc * %lldLL + j - %lldLL;\n", LL(L), LL(P));
        emitf(e, "                y1[oi] = x0[xi];\n");
        emitf(e, "            }\n");
        emitf(e, "        }\n");
        emitf(e, "    }\n");
    }
    emitf(e, "}\n");
    return true;
}
