/*
 * shape_vision.c: shape functions of RoiAlign, DeformConv and FlexAttention.
 *
 * RoiAlign and DeformConv read their attributes into one record each
 * (roi_align_resolve, deform_conv_resolve), checked against the input
 * shapes, which the emitters reuse.  DeformConv is 2-D: its output size
 * follows the convolution formula and must match the offset's spatial
 * dimensions.
 *
 * FlexAttention carries up to three GRAPH attributes (score_mod, mask_mod,
 * prob_mod), each a function of the whole [batch, q_heads, q_seq, kv_seq]
 * score tensor.  They are handled like control-flow bodies (see
 * passes/subgraph.c): the body's formal input gets that shape and the
 * score dtype (f64 for f64 inputs, else f32, the precision of the softmax),
 * its captured inputs the outer values they stand for, and pass_shape runs
 * on it; the output must keep the shape and dtype.  Shape, Range and the
 * like inside a body then fold to constants, so a causal mask becomes one
 * constant Where.
 */
#include "shape_vision.h"
#include "../passes/passes.h"

#include <math.h>
#include <string.h>

/* ---------------------------------------------------------------- RoiAlign */

bool roi_align_resolve(const Node *n, Ctx *c, RoiAlignInfo *ri) {
    const Value *x = n->in[0], *rois = n->in[1], *bi = n->in[2];
    if (x->rank != 4)
        return node_error(c, n, "X must be 4-D [N, C, H, W], is %s", value_type_str(c->arena, x));
    if (rois->rank != 2 || rois->dims[1] != 4)
        return node_error(c, n, "rois must be [num_rois, 4], is %s", value_type_str(c->arena, rois));
    if (bi->rank != 1 || bi->dims[0] != rois->dims[0])
        return node_error(c, n, "batch_indices must be [num_rois] (%lld), is %s", (long long)rois->dims[0],
                          value_type_str(c->arena, bi));
    if (!dtype_is_float(x->dtype) || !dtype_is_float(rois->dtype))
        return node_error(c, n, "X and rois must be float tensors");
    if (!dtype_is_int(bi->dtype))
        return node_error(c, n, "batch_indices must be an integer tensor");
    ri->n = x->dims[0], ri->c = x->dims[1], ri->h = x->dims[2], ri->w = x->dims[3];
    ri->r = rois->dims[0];
    ri->oh = attr_int(n, "output_height", 1);
    ri->ow = attr_int(n, "output_width", 1);
    if (ri->oh <= 0 || ri->ow <= 0)
        return node_error(c, n, "output_height and output_width must be positive");
    ri->sampling_ratio = attr_int(n, "sampling_ratio", 0);
    ri->spatial_scale = attr_float(n, "spatial_scale", 1.0);
    /* opset 10 has no coordinate_transformation_mode and behaves as output_half_pixel */
    const char *ctm = attr_string(n, "coordinate_transformation_mode", n->opset >= 16 ? "half_pixel" : "output_half_pixel");
    if (!strcmp(ctm, "half_pixel"))
        ri->half_pixel = true;
    else if (!strcmp(ctm, "output_half_pixel"))
        ri->half_pixel = false;
    else
        return node_error(c, n, "unknown coordinate_transformation_mode '%s'", ctm);
    const char *mode = attr_string(n, "mode", "avg");
    if (!strcmp(mode, "avg"))
        ri->max_mode = false;
    else if (!strcmp(mode, "max"))
        ri->max_mode = true;
    else
        return node_error(c, n, "unknown mode '%s'", mode);
    return true;
}

bool shape_roi_align(Node *n, Ctx *c) {
    RoiAlignInfo ri;
    if (!roi_align_resolve(n, c, &ri))
        return false;
    int64_t d[4] = {ri.r, ri.c, ri.oh, ri.ow};
    value_set_shape(n->out[0], n->in[0]->dtype, 4, d);
    return true;
}

/* ---------------------------------------------------------------- DeformConv */

/* A 2-element attribute (strides, dilations), `dflt` for each when absent. */
static bool pair_attr(const Node *n, Ctx *c, const char *name, int64_t dflt, int64_t *a, int64_t *b) {
    int64_t v[8];
    int k = attr_ints(n, name, v, 8);
    if (k < 0) {
        *a = *b = dflt;
        return true;
    }
    if (k != 2)
        return node_error(c, n, "%s must have 2 values for a 2-D DeformConv, has %d", name, k);
    *a = v[0], *b = v[1];
    return true;
}

bool deform_conv_resolve(const Node *n, Ctx *c, DeformConvInfo *di) {
    const Value *x = n->in[0], *w = n->in[1], *off = n->in[2];
    const Value *b = n->n_in > 3 ? n->in[3] : NULL, *m = n->n_in > 4 ? n->in[4] : NULL;
    if (x->rank != 4)
        return node_error(c, n, "only 2-D DeformConv is supported: X must be [N, C, H, W], is %s",
                          value_type_str(c->arena, x));
    if (w->rank != 4 || off->rank != 4)
        return node_error(c, n, "W and offset must be 4-D, are %s and %s", value_type_str(c->arena, w),
                          value_type_str(c->arena, off));
    if (!dtype_is_float(x->dtype))
        return node_error(c, n, "X must be a float tensor");
    di->n = x->dims[0], di->c = x->dims[1], di->h = x->dims[2], di->w = x->dims[3];
    di->oc = w->dims[0];
    di->group = attr_int(n, "group", 1);
    di->offset_group = attr_int(n, "offset_group", 1);
    if (di->group <= 0 || di->offset_group <= 0)
        return node_error(c, n, "group and offset_group must be positive");
    if (w->dims[1] * di->group != di->c || di->oc % di->group)
        return node_error(c, n, "W %s does not fit %lld input channels in %lld groups", value_type_str(c->arena, w),
                          (long long)di->c, (long long)di->group);
    if (di->c % di->offset_group)
        return node_error(c, n, "offset_group %lld does not divide the %lld input channels", (long long)di->offset_group,
                          (long long)di->c);
    int64_t ks[8];
    int nk = attr_ints(n, "kernel_shape", ks, 8);
    if (nk < 0)
        ks[0] = w->dims[2], ks[1] = w->dims[3];
    else if (nk != 2)
        return node_error(c, n, "kernel_shape must have 2 values, has %d", nk);
    if (ks[0] != w->dims[2] || ks[1] != w->dims[3])
        return node_error(c, n, "kernel_shape does not match W %s", value_type_str(c->arena, w));
    di->kh = ks[0], di->kw = ks[1];
    if (!pair_attr(n, c, "strides", 1, &di->sh, &di->sw) || !pair_attr(n, c, "dilations", 1, &di->dh, &di->dw))
        return false;
    if (di->sh <= 0 || di->sw <= 0 || di->dh <= 0 || di->dw <= 0)
        return node_error(c, n, "strides and dilations must be positive");
    int64_t pads[8] = {0, 0, 0, 0};
    int np = attr_ints(n, "pads", pads, 8);
    if (np >= 0 && np != 4)
        return node_error(c, n, "pads must have 4 values, has %d", np);
    di->ph = pads[0], di->pw = pads[1];
    int64_t eh = (di->kh - 1) * di->dh + 1, ew = (di->kw - 1) * di->dw + 1;
    int64_t sh = di->h + pads[0] + pads[2] - eh, sw = di->w + pads[1] + pads[3] - ew;
    if (sh < 0 || sw < 0)
        return node_error(c, n, "the dilated kernel is larger than the padded input");
    di->oh = sh / di->sh + 1;
    di->ow = sw / di->sw + 1;
    int64_t kk = di->kh * di->kw;
    if (off->dims[0] != di->n || off->dims[1] != di->offset_group * kk * 2 || off->dims[2] != di->oh ||
        off->dims[3] != di->ow)
        return node_error(c, n, "offset must be [%lld, %lld, %lld, %lld], is %s", (long long)di->n,
                          (long long)(di->offset_group * kk * 2), (long long)di->oh, (long long)di->ow,
                          value_type_str(c->arena, off));
    if (b && (value_numel(b) != di->oc || b->rank != 1))
        return node_error(c, n, "B must be [%lld], is %s", (long long)di->oc, value_type_str(c->arena, b));
    if (m && (m->rank != 4 || m->dims[0] != di->n || m->dims[1] != di->offset_group * kk || m->dims[2] != di->oh ||
              m->dims[3] != di->ow))
        return node_error(c, n, "mask must be [%lld, %lld, %lld, %lld], is %s", (long long)di->n,
                          (long long)(di->offset_group * kk), (long long)di->oh, (long long)di->ow,
                          value_type_str(c->arena, m));
    return true;
}

bool shape_deform_conv(Node *n, Ctx *c) {
    DeformConvInfo di;
    if (!deform_conv_resolve(n, c, &di))
        return false;
    int64_t d[4] = {di.n, di.oc, di.oh, di.ow};
    value_set_shape(n->out[0], n->in[0]->dtype, 4, d);
    return true;
}

/* ---------------------------------------------------------------- FlexAttention */

const char *const flex_mod_names[FLEX_N_MODS] = {"score_mod", "mask_mod", "prob_mod"};

Graph *flex_attention_mod(const Node *n, const char *name) {
    const Attr *a = node_attr(n, name);
    return a && a->kind == AT_GRAPH ? a->g : NULL;
}

bool flex_attention_resolve(const Node *n, Ctx *c, FlexAttnInfo *fi) {
    int nexp = n->n_in - subgraph_n_captured(n);
    if (nexp != 3)
        return node_error(c, n, "expects 3 inputs (Q, K, V), got %d", nexp);
    const Value *q = n->in[0], *k = n->in[1], *v = n->in[2];
    if (!q || !k || !v)
        return node_error(c, n, "Q, K and V are required");
    if (q->rank != 4 || k->rank != 4 || v->rank != 4)
        return node_error(c, n, "Q, K and V must be 4-D, are %s, %s and %s", value_type_str(c->arena, q),
                          value_type_str(c->arena, k), value_type_str(c->arena, v));
    if (!dtype_is_float(q->dtype) || !dtype_is_float(k->dtype) || !dtype_is_float(v->dtype))
        return node_error(c, n, "Q, K and V must be float tensors");
    fi->b = q->dims[0], fi->hq = q->dims[1], fi->l = q->dims[2], fi->d = q->dims[3];
    fi->hkv = k->dims[1], fi->s = k->dims[2], fi->dv = v->dims[3];
    if (k->dims[0] != fi->b || v->dims[0] != fi->b || k->dims[3] != fi->d || v->dims[1] != fi->hkv ||
        v->dims[2] != fi->s)
        return node_error(c, n, "Q %s, K %s and V %s do not fit together", value_type_str(c->arena, q),
                          value_type_str(c->arena, k), value_type_str(c->arena, v));
    if (fi->hkv <= 0 || fi->hq % fi->hkv)
        return node_error(c, n, "the %lld query heads are not a multiple of the %lld key/value heads",
                          (long long)fi->hq, (long long)fi->hkv);
    fi->score = q->dtype == DT_F64 ? DT_F64 : DT_F32;
    fi->scale = node_attr(n, "scale") ? attr_float(n, "scale", 1.0) : 1.0 / sqrt((double)(fi->d > 0 ? fi->d : 1));
    return true;
}

bool shape_flex_attention(Node *n, Ctx *c) {
    FlexAttnInfo fi;
    if (!flex_attention_resolve(n, c, &fi))
        return false;
    int ncap = subgraph_n_captured(n);
    int64_t sd[4] = {fi.b, fi.hq, fi.l, fi.s};
    for (int m = 0; m < FLEX_N_MODS; m++) {
        const char *name = flex_mod_names[m];
        const Attr *a = node_attr(n, name);
        if (!a)
            continue;
        Graph *body = a->kind == AT_GRAPH ? a->g : NULL;
        if (!body)
            return node_error(c, n, "attribute '%s' must be a graph", name);
        if (body->n_inputs != 1 + ncap || body->n_outputs != 1)
            return node_error(c, n, "%s must have one input and one output, has %d and %d", name,
                              body->n_inputs - ncap, body->n_outputs);
        Value *in = body->inputs[0];
        value_set_shape(in, fi.score, 4, sd);
        in->kind = VK_INPUT;
        in->data = NULL;
        subgraph_bind(body, 1, n->in + (n->n_in - ncap), ncap, c);
        if (!pass_shape(body, c))
            return false;
        const Value *out = body->outputs[0];
        if (out->dtype != fi.score || out->rank != 4 || memcmp(out->dims, sd, sizeof sd))
            return node_error(c, n, "%s must return the %s[%lld, %lld, %lld, %lld] tensor it gets, returns %s", name,
                              dtype_name(fi.score), (long long)sd[0], (long long)sd[1], (long long)sd[2],
                              (long long)sd[3], value_type_str(c->arena, out));
    }
    int64_t d[4] = {fi.b, fi.hq, fi.l, fi.dv};
    value_set_shape(n->out[0], n->in[2]->dtype, 4, d);
    return true;
}
