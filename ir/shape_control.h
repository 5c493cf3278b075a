/*
 * shape_control.h: Scan's attributes resolved against its input shapes,
 * shared by the shape function (ir/shape_control.c) and the emitter
 * (codegen/emit_control.c).
 */
#ifndef DLCC_SHAPE_CONTROL_H
#define DLCC_SHAPE_CONTROL_H

#include "ir.h"

#define SCAN_MAX 64

typedef struct ScanInfo {
    Graph *body;
    bool v8;               /* opset 8: input 0 is sequence_lens, axis 0 is the batch */
    int first;             /* index of the first state input (1 in opset 8) */
    int N, M, K;           /* states, scan inputs, scan outputs */
    int64_t len;           /* sequence length */
    int64_t batch;         /* opset 8: batch size; else 1 */
    int in_axis[SCAN_MAX]; /* axis of each scan input (1 in opset 8) */
    bool in_rev[SCAN_MAX], out_rev[SCAN_MAX];
    int64_t out_axis_raw[SCAN_MAX]; /* scan_output_axes as given (may be negative) */
} ScanInfo;

bool scan_resolve(const Node *n, Ctx *c, ScanInfo *s);

#endif
