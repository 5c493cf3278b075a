/*
 * shape_spatial.h: helpers shared by the spatial shape functions
 * (ir/shape_spatial.c) and their emitters (codegen/emit_spatial.c).
 */
#ifndef DLCC_SHAPE_SPATIAL_H
#define DLCC_SHAPE_SPATIAL_H

#include "ir.h"

/* Reads the elements of constant integer input i of n (i32 or i64) into
 * out[0..max); returns the count, or -1 when the input is not a constant
 * 1-D integer tensor of at most max elements. */
int spatial_const_ints(const Node *n, int i, int64_t *out, int max);

/* Col2Im geometry: image and block sizes, dilations, strides, begin/end
 * pads and the number of block positions per axis. */
typedef struct Col2ImGeom {
    int nsp;
    int64_t img[DLCC_MAX_RANK], blk[DLCC_MAX_RANK], dil[DLCC_MAX_RANK], str[DLCC_MAX_RANK];
    int64_t pb[DLCC_MAX_RANK], pe[DLCC_MAX_RANK], cnt[DLCC_MAX_RANK];
} Col2ImGeom;

bool spatial_col2im_geom(const Node *n, Col2ImGeom *g, Ctx *c);

#endif
