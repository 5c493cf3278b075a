/*
 * shape_vision.h: attributes of RoiAlign, DeformConv and FlexAttention
 * resolved against their input shapes, shared by the shape functions
 * (ir/shape_vision.c) and the emitters (codegen/emit_vision.c).
 */
#ifndef DLCC_SHAPE_VISION_H
#define DLCC_SHAPE_VISION_H

#include "ir.h"

/* RoiAlign: X [n, c, h, w], rois [r, 4], batch_indices [r] -> [r, c, oh, ow]. */
typedef struct RoiAlignInfo {
    int64_t n, c, h, w, r, oh, ow;
    int64_t sampling_ratio; /* <= 0: adaptive, ceil(roi size / output size) */
    double spatial_scale;
    bool half_pixel;        /* coordinate_transformation_mode "half_pixel" */
    bool max_mode;          /* mode "max" */
} RoiAlignInfo;

bool roi_align_resolve(const Node *n, Ctx *c, RoiAlignInfo *ri);

/* DeformConv (2-D): X [n, c, h, w], W [oc, c / group, kh, kw],
 * offset [n, offset_group * kh * kw * 2, oh, ow], B [oc],
 * mask [n, offset_group * kh * kw, oh, ow] -> [n, oc, oh, ow]. */
typedef struct DeformConvInfo {
    int64_t n, c, h, w, oc, kh, kw, oh, ow;
    int64_t group, offset_group;
    int64_t sh, sw, dh, dw, ph, pw; /* strides, dilations, leading pads */
} DeformConvInfo;

bool deform_conv_resolve(const Node *n, Ctx *c, DeformConvInfo *di);

/* FlexAttention: Q [b, hq, l, d], K [b, hkv, s, d], V [b, hkv, s, dv]
 * -> [b, hq, l, dv]; the score tensors that the subgraphs see are
 * [b, hq, l, s] of dtype `score` (f64 for f64 Q, else f32). */
typedef struct FlexAttnInfo {
    int64_t b, hq, hkv, l, s, d, dv;
    DType score;
    double scale;
} FlexAttnInfo;

#define FLEX_N_MODS 3
/* The subgraph attributes in the order they apply. */
extern const char *const flex_mod_names[FLEX_N_MODS]; /* score_mod, mask_mod, prob_mod */

bool flex_attention_resolve(const Node *n, Ctx *c, FlexAttnInfo *fi);
/* The body of subgraph attribute `name`, or NULL when absent. */
Graph *flex_attention_mod(const Node *n, const char *name);

#endif
