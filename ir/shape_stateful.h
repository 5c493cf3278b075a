/*
 * shape_stateful.h: the recurrent sequence operators with a carried state
 * (LinearAttention, CausalConvWithState, ONNX opset 27), resolved against
 * their input shapes.  Shared by the shape functions (ir/shape_stateful.c)
 * and the emitters (codegen/emit_stateful.c).
 */
#ifndef DLCC_SHAPE_STATEFUL_H
#define DLCC_SHAPE_STATEFUL_H

#include "ir.h"

/* LinearAttention: query [B, T, HQ*DK], key [B, T, HKV*DK], value
 * [B, T, HKV*DV], past_state [B, HKV, DK, DV]; decay [B, T, HKV*DK] or
 * [B, T, HKV]; beta [B, T, HKV] or [B, T, 1]; erase_gate [B, T, HKV*DK]. */
typedef struct LinAttnDims {
    int64_t b, t, hq, hkv, dk, dv;
    bool gating, delta;  /* update_rule: gated / gated_delta; delta / gated_delta */
    int64_t decay_last;  /* HKV*DK (per key dim) or HKV (per head); 0 without decay */
    int64_t beta_last;   /* HKV or 1; 0 without beta */
    double scale;        /* the scale attribute, or 1/sqrt(DK) when absent or 0 */
    DType state_dtype;   /* present_state: past_state's dtype, else query's */
} LinAttnDims;

bool linear_attention_dims(const Node *n, LinAttnDims *a, Ctx *c);

/* CausalConvWithState: input [B, C, L], weight [C, 1, K], bias [C],
 * past_state [B, C, K-1]. */
typedef struct CausalConvDims {
    int64_t b, ch, len, k;
    bool silu;           /* activation "silu" or "swish" */
} CausalConvDims;

bool causal_conv_dims(const Node *n, CausalConvDims *a, Ctx *c);

#endif
