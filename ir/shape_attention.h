/*
 * shape_attention.h: the resolved dimensions of an Attention node, shared
 * by ir/shape_attention.c and codegen/emit_attention.c.
 */
#ifndef DLCC_SHAPE_ATTENTION_H
#define DLCC_SHAPE_ATTENTION_H

#include "ir.h"

typedef struct AttnDims {
    int rank;                 /* 3 or 4 (rank of Q, K, V) */
    int64_t b, hq, hkv;       /* batch, query heads, key/value heads */
    int64_t sq, skv, past;    /* query, new key/value and past sequence lengths */
    int64_t total;            /* past + skv */
    int64_t d, dv;            /* head sizes of Q/K and of V */
} AttnDims;

/* Resolves the dimensions of Attention node n; false (with an error when c
 * is not NULL) when the shapes are inconsistent. */
bool attention_dims(const Node *n, AttnDims *a, Ctx *c);

#endif
