/*
 * shape_sequence.h: compile-time sequences and optionals (ir/shape_sequence.c,
 * passes/sequence.c).  A sequence- or optional-typed value is the output of
 * a sequence op; its contents (the tensor Values it holds) are a SeqList in
 * the producing node's aux from shape inference until pass_sequence rewrites
 * the sequence ops away.
 */
#ifndef DLCC_SHAPE_SEQUENCE_H
#define DLCC_SHAPE_SEQUENCE_H

#include "ir.h"

typedef struct SeqList {
    int n;              /* number of elements */
    Value **elem;       /* elem[i]; all NULL-free when known */
    bool known;         /* every element's Value (type and shape) is known */
    DType dtype;        /* element type */
    bool optional;      /* an Optional: n is 0 (empty) or 1 (elem[0], a tensor or a sequence) */
    /* SplitToSequence only: elements are placeholders (not in the graph)
     * until pass_sequence materialises a Split */
    Value *split_src;
    int split_axis;
    bool split_squeeze;
} SeqList;

/* The list of a sequence/optional value, or NULL when v is not one.  It
 * looks through Identity and OptionalGetElement, which pass a sequence on. */
SeqList *seq_list_of(const Value *v);
bool seq_op_is_producer(OpKind op);

#endif
