/*
 * shape_spatial.c: shape functions of GridSample, AffineGrid and Col2Im
 * (ir/ops_nn.def).
 *
 * GridSample: X [N, C, d1..dr] sampled at grid [N, o1..or, r] gives
 * [N, C, o1..or].  AffineGrid: theta [N, 2, 3] (or [N, 3, 4]) and the
 * constant size [N, C, H, W] (or [N, C, D, H, W]) give the grid
 * [N, H, W, 2] (or [N, D, H, W, 3]).  Col2Im: columns [N, C*prod(block), L]
 * with constant image_shape and block_shape give [N, C, image...]; L must be
 * the number of block positions that dilations, strides and pads allow.
 * Constant size inputs are required (the error names them, so a caller can
 * bind them with --const-input).
 */
#include "shape_spatial.h"

#include <string.h>

int spatial_const_ints(const Node *n, int i, int64_t *out, int max) {
    const Value *v = i < n->n_in ? n->in[i] : NULL;
    if (!v || !v->data || v->rank > 1 || (v->dtype != DT_I64 && v->dtype != DT_I32))
        return -1;
    int64_t k = value_numel(v);
    if (k > max)
        return -1;
    for (int64_t j = 0; j < k; j++)
        out[j] = v->dtype == DT_I64 ? ((const int64_t *)v->data)[j] : ((const int32_t *)v->data)[j];
    return (int)k;
}

bool shape_gridsample(Node *n, Ctx *c) {
    const Value *x = n->in[0], *g = n->in[1];
    int r = x->rank - 2;
    if (r < 1 || g->rank != x->rank || g->dims[g->rank - 1] != r || g->dims[0] != x->dims[0])
        return node_error(c, n, "grid %s does not fit X %s (expected [N, out..., %d])", value_type_str(c->arena, g),
                          value_type_str(c->arena, x), r);
    if (!dtype_is_float(x->dtype) || !dtype_is_float(g->dtype))
        return node_error(c, n, "X and grid must be float tensors");
    int64_t d[DLCC_MAX_RANK];
    d[0] = x->dims[0], d[1] = x->dims[1];
    for (int i = 0; i < r; i++)
        d[2 + i] = g->dims[1 + i];
    value_set_shape(n->out[0], x->dtype, x->rank, d);
    return true;
}

bool shape_affinegrid(Node *n, Ctx *c) {
    const Value *th = n->in[0];
    int64_t sz[8];
    int k = spatial_const_ints(n, 1, sz, 8);
    if (k < 0)
        return node_error(c, n, "size (input 1) must be a compile-time constant");
    if ((k != 4 && k != 5) || th->rank != 3 || th->dims[0] != sz[0] || th->dims[1] != k - 2 || th->dims[2] != k - 1)
        return node_error(c, n, "theta %s does not fit size of %d elements", value_type_str(c->arena, th), k);
    int64_t d[DLCC_MAX_RANK];
    d[0] = sz[0];
    for (int i = 2; i < k; i++)
        d[i - 1] = sz[i];
    d[k - 1] = k - 2;
    value_set_shape(n->out[0], th->dtype, k, d);
    return true;
}

bool spatial_col2im_geom(const Node *n, Col2ImGeom *g, Ctx *c) {
    memset(g, 0, sizeof *g);
    int a = spatial_const_ints(n, 1, g->img, DLCC_MAX_RANK), b = spatial_const_ints(n, 2, g->blk, DLCC_MAX_RANK);
    if (a < 0 || b < 0)
        return c ? node_error(c, n, "image_shape (input 1) and block_shape (input 2) must be compile-time constants") : false;
    if (a != b || a < 1 || a > DLCC_MAX_RANK - 2)
        return c ? node_error(c, n, "image_shape and block_shape differ in length") : false;
    g->nsp = a;
    int64_t tmp[2 * DLCC_MAX_RANK];
    for (int i = 0; i < a; i++)
        g->dil[i] = g->str[i] = 1;
    if (attr_ints(n, "dilations", tmp, a) == a)
        memcpy(g->dil, tmp, sizeof(int64_t) * (size_t)a);
    if (attr_ints(n, "strides", tmp, a) == a)
        memcpy(g->str, tmp, sizeof(int64_t) * (size_t)a);
    if (attr_ints(n, "pads", tmp, 2 * a) == 2 * a)
        for (int i = 0; i < a; i++)
            g->pb[i] = tmp[i], g->pe[i] = tmp[a + i];
    for (int i = 0; i < a; i++) {
        int64_t ext = g->dil[i] * (g->blk[i] - 1) + 1;
        if (g->str[i] <= 0 || g->blk[i] <= 0 || g->img[i] + g->pb[i] + g->pe[i] < ext)
            return c ? node_error(c, n, "block does not fit the padded image on axis %d", i) : false;
        g->cnt[i] = (g->img[i] + g->pb[i] + g->pe[i] - ext) / g->str[i] + 1;
    }
    return true;
}

bool shape_col2im(Node *n, Ctx *c) {
    const Value *x = n->in[0];
    Col2ImGeom g;
    if (!spatial_col2im_geom(n, &g, c))
        return false;
    int64_t bp = 1, L = 1;
    for (int i = 0; i < g.nsp; i++)
        bp *= g.blk[i], L *= g.cnt[i];
    if (x->rank != 3 || x->dims[1] % bp || x->dims[2] != L)
        return node_error(c, n, "input %s does not fit blocks of %lld elements at %lld positions",
                          value_type_str(c->arena, x), (long long)bp, (long long)L);
    int64_t d[DLCC_MAX_RANK];
    d[0] = x->dims[0], d[1] = x->dims[1] / bp;
    for (int i = 0; i < g.nsp; i++)
        d[2 + i] = g.img[i];
    value_set_shape(n->out[0], x->dtype, 2 + g.nsp, d);
    return true;
}
