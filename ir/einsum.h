/*
 * einsum.h: the parsed form of an Einsum equation, shared by its shape
 * function (ir/shape_einsum.c) and its emitter (codegen/emit_einsum.c).
 */
#ifndef DLCC_EINSUM_H
#define DLCC_EINSUM_H

#include "ir.h"

#define EINSUM_MAX_OPS 16
#define EINSUM_MAX_LABELS 64

/* Labels are numbered: the output's first (in output order), then the
 * summed ones.  stride[k][l] is operand k's element stride for label l
 * (summed over repeated occurrences, which gives diagonals; 0 when the
 * label is absent or broadcast). */
typedef struct Einsum {
    int n_ops;
    int n_labels, n_out;              /* labels in all; the first n_out are the output's */
    int64_t size[EINSUM_MAX_LABELS];
    int64_t stride[EINSUM_MAX_OPS][EINSUM_MAX_LABELS];
    int64_t out_stride[EINSUM_MAX_LABELS];
    int out_rank;
    int64_t out_dims[DLCC_MAX_RANK];
} Einsum;

/* Parses n's equation against its operands' shapes; reports errors with
 * node_error when c is non-NULL. */
bool einsum_parse(const Node *n, Einsum *es, Ctx *c);
/* The node's equation without white space, in buf (cap bytes, truncated);
 * NULL when the attribute is missing. */
const char *einsum_equation(const Node *n, char *buf, size_t cap);

#endif
