/*
 * shape_quant.c: shape functions of the quantization operators
 * (ops_quant.def) and the layout helpers their emitters share
 * (shape_misc.h).
 *
 * A scale (and zero point) applies per tensor (one element), per axis (a
 * 1-D tensor as long as the axis) or per block (same rank as the data, the
 * axis divided into ceil(len / block_size) blocks).  quant_layout() views
 * the data as [outer, len, inner] around the axis so that every case is one
 * index formula.  The output type of QuantizeLinear is output_dtype, else
 * the zero point's type, else uint8 (integers down to int2/uint2, the float8
 * types and float4e2m1); DequantizeLinear produces the scale's type.  The matrix products broadcast batch dimensions like MatMul and
 * produce int32 (MatMulInteger) or the output zero point's type.
 */
#include "shape_misc.h"
#include "shape_nn.h"

#include <string.h>

static int64_t prod_dims(const int64_t *d, int from, int to) {
    int64_t p = 1;
    for (int i = from; i < to; i++)
        p *= d[i];
    return p;
}

int quant_f8_kind(DType t) {
    switch (t) {
    case DT_F8E4M3FN: return 0;
    case DT_F8E4M3FNUZ: return 1;
    case DT_F8E5M2: return 2;
    case DT_F8E5M2FNUZ: return 3;
    default: return -1;
    }
}

void quant_int_range(DType t, int64_t *lo, int64_t *hi) {
    switch (t) {
    case DT_U8: *lo = 0; *hi = 255; break;
    case DT_I8: *lo = -128; *hi = 127; break;
    case DT_U16: *lo = 0; *hi = 65535; break;
    case DT_I16: *lo = -32768; *hi = 32767; break;
    case DT_I32: *lo = INT32_MIN; *hi = INT32_MAX; break;
    case DT_U4: *lo = 0; *hi = 15; break;
    case DT_I4: *lo = -8; *hi = 7; break;
    case DT_U2: *lo = 0; *hi = 3; break;
    case DT_I2: *lo = -2; *hi = 1; break;
    default: *lo = 0; *hi = 0; break;
    }
}

bool quant_type_ok(DType t) {
    switch (t) {
    case DT_U8: case DT_I8: case DT_U16: case DT_I16: case DT_I32: case DT_U4: case DT_I4:
    case DT_U2: case DT_I2: case DT_F4E2M1:
        return true;
    default:
        return quant_f8_kind(t) >= 0;
    }
}

bool quant_layout(const Node *n, const Value *x, const Value *scale, QuantLayout *q, Ctx *c) {
    memset(q, 0, sizeof *q);
    int64_t block = attr_int(n, "block_size", 0);
    if (scale->rank == 0 || x->rank == 0 || (value_numel(scale) == 1 && block <= 0)) {
        q->kind = 0;
        q->outer = q->inner = 1;
        q->len = value_numel(x);
        return true;
    }
    int axis = norm_axis(attr_int(n, "axis", 1), x->rank);
    if (axis < 0)
        return c ? node_error(c, n, "axis %lld out of range for rank %d", (long long)attr_int(n, "axis", 1), x->rank)
                 : false;
    q->axis = axis;
    q->outer = prod_dims(x->dims, 0, axis);
    q->len = x->dims[axis];
    q->inner = prod_dims(x->dims, axis + 1, x->rank);
    if (block > 0) {
        if (scale->rank != x->rank)
            return c ? node_error(c, n, "blocked quantization needs a scale of rank %d", x->rank) : false;
        q->kind = 2;
        q->block = block;
        q->nblk = (q->len + block - 1) / block;
        for (int d = 0; d < x->rank; d++)
            if (scale->dims[d] != (d == axis ? q->nblk : x->dims[d]))
                return c ? node_error(c, n, "scale shape %s does not match blocks of %lld along axis %d",
                                      value_type_str(c->arena, scale), (long long)block, axis)
                         : false;
        return true;
    }
    if (scale->rank != 1 || scale->dims[0] != q->len)
        return c ? node_error(c, n, "scale shape %s does not match axis %d of %s", value_type_str(c->arena, scale),
                              axis, value_type_str(c->arena, x))
                 : false;
    q->kind = 1;
    return true;
}

bool shape_quantize_linear(Node *n, Ctx *c) {
    const Value *x = n->in[0], *scale = n->in[1], *zp = n->n_in > 2 ? n->in[2] : NULL;
    DType t = (DType)attr_int(n, "output_dtype", 0);
    if (t == DT_UNDEF)
        t = zp ? zp->dtype : DT_U8;
    if (zp && zp->dtype != t)
        return node_error(c, n, "output_dtype %s differs from the zero point's type %s", dtype_name(t),
                          dtype_name(zp->dtype));
    if (!quant_type_ok(t))
        return node_error(c, n, "unsupported quantized type %s", dtype_name(t));
    if (!dtype_is_float(x->dtype) && x->dtype != DT_I32)
        return node_error(c, n, "unsupported input type %s", dtype_name(x->dtype));
    QuantLayout q;
    if (!quant_layout(n, x, scale, &q, c))
        return false;
    if (zp && value_numel(zp) != value_numel(scale))
        return node_error(c, n, "zero point and scale shapes differ");
    value_set_shape(n->out[0], t, x->rank, x->dims);
    return true;
}

bool shape_dequantize_linear(Node *n, Ctx *c) {
    const Value *x = n->in[0], *scale = n->n_in > 1 ? n->in[1] : NULL, *zp = n->n_in > 2 ? n->in[2] : NULL;
    if (!scale)
        return node_error(c, n, "x_scale is required");
    if (!quant_type_ok(x->dtype))
        return node_error(c, n, "unsupported quantized type %s", dtype_name(x->dtype));
    if (zp && zp->dtype != x->dtype)
        return node_error(c, n, "zero point type %s differs from x's type %s", dtype_name(zp->dtype),
                          dtype_name(x->dtype));
    if (!dtype_is_float(scale->dtype))
        return node_error(c, n, "scale must be a float tensor");
    QuantLayout q;
    if (!quant_layout(n, x, scale, &q, c))
        return false;
    if (zp && value_numel(zp) != value_numel(scale))
        return node_error(c, n, "zero point and scale shapes differ");
    DType t = (DType)attr_int(n, "output_dtype", 0);
    value_set_shape(n->out[0], t != DT_UNDEF ? t : scale->dtype, x->rank, x->dims);
    return true;
}

bool shape_dynamic_quantize_linear(Node *n, Ctx *c) {
    const Value *x = n->in[0];
    if (!dtype_is_float(x->dtype))
        return node_error(c, n, "input must be a float tensor");
    value_set_shape(n->out[0], DT_U8, x->rank, x->dims);
    value_set_shape(n->out[1], DT_F32, 0, NULL);
    value_set_shape(n->out[2], DT_U8, 0, NULL);
    return true;
}

bool quant_matmul_geom(const Node *n, const Value *a, const Value *b, MatGeom *g, Arena *arena, Ctx *c) {
    memset(g, 0, sizeof *g);
    int64_t ka = a->dims[a->rank - 1];
    int64_t kb = b->rank == 1 ? b->dims[0] : b->dims[b->rank - 2];
    if (a->rank < 1 || b->rank < 1 || ka != kb)
        return c ? node_error(c, n, "inner dimensions differ: %s x %s", value_type_str(c->arena, a),
                              value_type_str(c->arena, b))
                 : false;
    g->k = ka;
    g->m = a->rank >= 2 ? a->dims[a->rank - 2] : 1;
    g->n = b->rank >= 2 ? b->dims[b->rank - 1] : 1;
    int ra = a->rank > 2 ? a->rank - 2 : 0, rb = b->rank > 2 ? b->rank - 2 : 0;
    int rank;
    int64_t dims[DLCC_MAX_RANK];
    if (!broadcast_dims(ra, a->dims, rb, b->dims, &rank, dims))
        return c ? node_error(c, n, "batch dimensions do not broadcast") : false;
    g->batch = prod_dims(dims, 0, rank);
    if (arena) {
        g->a_off = ARENA_ARRAY(arena, int64_t, g->batch + 1);
        g->b_off = ARENA_ARRAY(arena, int64_t, g->batch + 1);
        for (int64_t bi = 0; bi < g->batch; bi++) {
            int64_t rem = bi, oa = 0, ob = 0, sa = 1, sb = 1;
            for (int d = rank - 1; d >= 0; d--) {
                int64_t idx = rem % dims[d];
                rem /= dims[d];
                int da = d - (rank - ra), db = d - (rank - rb);
                if (da >= 0) {
                    oa += (a->dims[da] == 1 ? 0 : idx) * sa;
                    sa *= a->dims[da];
                }
                if (db >= 0) {
                    ob += (b->dims[db] == 1 ? 0 : idx) * sb;
                    sb *= b->dims[db];
                }
            }
            g->a_off[bi] = oa * g->m * g->k;
            g->b_off[bi] = ob * g->k * g->n;
        }
    }
    if (a->rank >= 2)
        dims[rank++] = g->m;
    if (b->rank >= 2)
        dims[rank++] = g->n;
    g->rank = rank;
    memcpy(g->dims, dims, sizeof dims);
    return true;
}

static bool is_q8(DType t) { return t == DT_U8 || t == DT_I8; }

bool shape_matmul_integer(Node *n, Ctx *c) {
    const Value *a = n->in[0], *b = n->in[1];
    if (!is_q8(a->dtype) || !is_q8(b->dtype))
        return node_error(c, n, "operands must be int8 or uint8");
    MatGeom g;
    if (!quant_matmul_geom(n, a, b, &g, NULL, c))
        return false;
    value_set_shape(n->out[0], DT_I32, g.rank, g.dims);
    return true;
}

bool shape_qlinear_matmul(Node *n, Ctx *c) {
    const Value *a = n->in[0], *b = n->in[3], *yzp = n->in[7];
    if (!is_q8(a->dtype) || !is_q8(b->dtype) || !is_q8(yzp->dtype))
        return node_error(c, n, "operands must be int8 or uint8");
    MatGeom g;
    if (!quant_matmul_geom(n, a, b, &g, NULL, c))
        return false;
    value_set_shape(n->out[0], yzp->dtype, g.rank, g.dims);
    return true;
}

static bool shape_conv_q(Node *n, Ctx *c, const Value *x, const Value *w, DType out) {
    if (!is_q8(x->dtype) || !is_q8(w->dtype))
        return node_error(c, n, "operands must be int8 or uint8");
    if (w->rank != x->rank)
        return node_error(c, n, "weights rank %d differs from input rank %d", w->rank, x->rank);
    NNWindow win;
    if (!nn_window(n, x, w->dims + 2, false, &win, c))
        return false;
    int64_t group = attr_int(n, "group", 1);
    if (group < 1 || x->dims[1] != w->dims[1] * group || w->dims[0] % group)
        return node_error(c, n, "channels do not match: %s with weights %s, group %lld", value_type_str(c->arena, x),
                          value_type_str(c->arena, w), (long long)group);
    int64_t dims[DLCC_MAX_RANK] = {x->dims[0], w->dims[0]};
    for (int i = 0; i < win.nsp; i++)
        dims[2 + i] = win.out[i];
    value_set_shape(n->out[0], out, x->rank, dims);
    return true;
}

bool shape_conv_integer(Node *n, Ctx *c) { return shape_conv_q(n, c, n->in[0], n->in[1], DT_I32); }

bool shape_qlinear_conv(Node *n, Ctx *c) {
    if (!n->in[7])
        return node_error(c, n, "y_zero_point is required");
    return shape_conv_q(n, c, n->in[0], n->in[3], n->in[7]->dtype);
}
