/*
 * shape_modern.c: shape inference of the operators of recent opsets
 * (ir/ops_modern.def): RMSNormalization, RotaryEmbedding, Swish, CumProd,
 * BitCast, TensorScatter, and dlcc.RMSNormalizationGrad.
 *
 * All of them keep the shape of their first input; what they check is the
 * agreement of the other inputs with it (the scale of RMSNormalization
 * broadcasts to X, the cos/sin caches of RotaryEmbedding hold half the
 * rotated width, the update of TensorScatter fits into the cache along
 * `axis`) and the element types.  Only BitCast changes the dtype (to its
 * `to` attribute, of the same storage size), and RMSNormalization gives Y
 * the type of its scale, as the ONNX function does.
 */
#include "ir.h"

#include <string.h>

/* Whether b broadcasts to exactly the shape of a (unidirectional). */
static bool broadcasts_to(const Value *b, const Value *a) {
    int r;
    int64_t dims[DLCC_MAX_RANK];
    if (b->rank > a->rank || !broadcast_dims(a->rank, a->dims, b->rank, b->dims, &r, dims))
        return false;
    for (int i = 0; i < r; i++)
        if (dims[i] != a->dims[i])
            return false;
    return true;
}

/* ---------------------------------------------------------------- RMSNormalization */

static bool rmsnorm_check(Node *n, Ctx *c, const Value *x, const Value *sc) {
    if (!dtype_is_float(x->dtype) || !dtype_is_float(sc->dtype))
        return node_error(c, n, "X and Scale must be float tensors, got %s and %s",
                          value_type_str(c->arena, x), value_type_str(c->arena, sc));
    int axis = norm_axis(attr_int(n, "axis", -1), x->rank);
    if (axis < 0 || x->rank == 0)
        return node_error(c, n, "axis %lld out of range for %s", (long long)attr_int(n, "axis", -1),
                          value_type_str(c->arena, x));
    if (!broadcasts_to(sc, x))
        return node_error(c, n, "Scale %s does not broadcast to X %s", value_type_str(c->arena, sc),
                          value_type_str(c->arena, x));
    /* The scale applies to the normalised dimensions only. */
    for (int i = 0; i < sc->rank; i++)
        if (sc->rank - i > x->rank - axis && sc->dims[i] != 1)
            return node_error(c, n, "Scale %s has more dimensions than the normalised shape",
                              value_type_str(c->arena, sc));
    int64_t st = attr_int(n, "stash_type", 1);
    if (st != 1 && st != 11 && st != 10 && st != 16)
        return node_error(c, n, "unsupported stash_type %lld", (long long)st);
    return true;
}

bool shape_rmsnorm(Node *n, Ctx *c) {
    const Value *x = n->in[0], *sc = n->in[1];
    if (!rmsnorm_check(n, c, x, sc))
        return false;
    value_set_shape(n->out[0], sc->dtype, x->rank, x->dims);
    return true;
}

/* dlcc.RMSNormalizationGrad(dY, X, Scale) -> dX (like X), dScale before the
 * reduction to Scale's shape (like X, in Scale's type). */
bool shape_rmsnorm_grad(Node *n, Ctx *c) {
    const Value *dy = n->in[0], *x = n->in[1], *sc = n->in[2];
    if (!rmsnorm_check(n, c, x, sc))
        return false;
    if (!value_same_shape(dy, x))
        return node_error(c, n, "dY %s does not match X %s", value_type_str(c->arena, dy),
                          value_type_str(c->arena, x));
    value_set_shape(n->out[0], x->dtype, x->rank, x->dims);
    value_set_shape(n->out[1], sc->dtype, x->rank, x->dims);
    return true;
}

/* ---------------------------------------------------------------- RotaryEmbedding */

bool shape_rotary_embedding(Node *n, Ctx *c) {
    const Value *x = n->in[0], *cs = n->in[1], *sn = n->in[2];
    const Value *pos = n->n_in > 3 ? n->in[3] : NULL;
    Arena *a = c->arena;
    if (!dtype_is_float(x->dtype))
        return node_error(c, n, "input must be a float tensor, got %s", value_type_str(a, x));
    if (cs->dtype != x->dtype || sn->dtype != x->dtype)
        return node_error(c, n, "cos_cache %s and sin_cache %s must have the input's type %s",
                          value_type_str(a, cs), value_type_str(a, sn), dtype_name(x->dtype));
    int64_t heads = attr_int(n, "num_heads", 0), B, S, head;
    if (x->rank == 4) {
        B = x->dims[0];
        S = x->dims[2];
        head = x->dims[3];
        if (heads && heads != x->dims[1])
            return node_error(c, n, "num_heads=%lld does not match input %s", (long long)heads,
                              value_type_str(a, x));
    } else if (x->rank == 3) {
        if (heads <= 0)
            return node_error(c, n, "a 3-D input [batch, seq, hidden] needs the num_heads attribute");
        if (x->dims[2] % heads)
            return node_error(c, n, "hidden size %lld is not a multiple of num_heads=%lld",
                              (long long)x->dims[2], (long long)heads);
        B = x->dims[0];
        S = x->dims[1];
        head = x->dims[2] / heads;
    } else {
        return node_error(c, n, "input must be 3-D or 4-D, got %s", value_type_str(a, x));
    }
    int64_t rot = attr_int(n, "rotary_embedding_dim", 0);
    if (rot == 0)
        rot = head;
    if (rot < 0 || rot > head || rot % 2)
        return node_error(c, n, "rotary_embedding_dim %lld must be even and at most the head size %lld",
                          (long long)rot, (long long)head);
    if (!value_same_shape(cs, sn))
        return node_error(c, n, "cos_cache %s and sin_cache %s differ", value_type_str(a, cs),
                          value_type_str(a, sn));
    if (pos) {
        if (pos->dtype != DT_I64 && pos->dtype != DT_I32)
            return node_error(c, n, "position_ids must be int64, got %s", value_type_str(a, pos));
        if (pos->rank != 2 || pos->dims[0] != B || pos->dims[1] != S)
            return node_error(c, n, "position_ids %s must be [%lld, %lld]", value_type_str(a, pos),
                              (long long)B, (long long)S);
        if (cs->rank != 2 || cs->dims[1] != rot / 2)
            return node_error(c, n, "cos_cache %s must be [max_position, %lld]", value_type_str(a, cs),
                              (long long)(rot / 2));
    } else if (cs->rank != 3 || cs->dims[0] != B || cs->dims[1] != S || cs->dims[2] != rot / 2) {
        return node_error(c, n, "without position_ids, cos_cache %s must be [%lld, %lld, %lld]",
                          value_type_str(a, cs), (long long)B, (long long)S, (long long)(rot / 2));
    }
    value_set_shape(n->out[0], x->dtype, x->rank, x->dims);
    return true;
}

/* ---------------------------------------------------------------- Swish, CumProd, BitCast */

bool shape_swish(Node *n, Ctx *c) {
    const Value *x = n->in[0];
    if (!dtype_is_float(x->dtype))
        return node_error(c, n, "input must be a float tensor, got %s", value_type_str(c->arena, x));
    value_set_shape(n->out[0], x->dtype, x->rank, x->dims);
    return true;
}

bool shape_cumprod(Node *n, Ctx *c) {
    const Value *x = n->in[0], *ax = n->in[1];
    if (!dtype_is_float(x->dtype) && !dtype_is_int(x->dtype))
        return node_error(c, n, "unsupported element type %s", dtype_name(x->dtype));
    if ((ax->dtype != DT_I64 && ax->dtype != DT_I32) || value_numel(ax) != 1 || ax->rank > 1)
        return node_error(c, n, "axis must be an int32 or int64 scalar, got %s", value_type_str(c->arena, ax));
    if (x->rank == 0)
        return node_error(c, n, "input must have rank >= 1");
    if (ax->data && norm_axis(data_get_i64(ax->dtype, ax->data, 0), x->rank) < 0)
        return node_error(c, n, "axis %lld out of range for %s", (long long)data_get_i64(ax->dtype, ax->data, 0),
                          value_type_str(c->arena, x));
    value_set_shape(n->out[0], x->dtype, x->rank, x->dims);
    return true;
}

static bool bitcast_type_ok(DType t) {
    return t != DT_STRING && t != DT_U4 && t != DT_I4 && t != DT_F4E2M1 && t > DT_UNDEF && t < DT_COUNT &&
           dtype_size(t) > 0;
}

bool shape_bitcast(Node *n, Ctx *c) {
    const Value *x = n->in[0];
    const Attr *to = node_attr(n, "to");
    if (!to || to->kind != AT_INT)
        return node_error(c, n, "missing int attribute 'to'");
    DType t = to->i > DT_UNDEF && to->i < DT_COUNT ? (DType)to->i : DT_UNDEF;
    if (!bitcast_type_ok(x->dtype) || !bitcast_type_ok(t))
        return node_error(c, n, "cannot reinterpret %s as type %lld", dtype_name(x->dtype), (long long)to->i);
    if (dtype_size(t) != dtype_size(x->dtype))
        return node_error(c, n, "%s and %s differ in size", dtype_name(x->dtype), dtype_name(t));
    value_set_shape(n->out[0], t, x->rank, x->dims);
    return true;
}

/* ---------------------------------------------------------------- TensorScatter */

bool shape_tensor_scatter(Node *n, Ctx *c) {
    const Value *cache = n->in[0], *up = n->in[1], *wi = n->n_in > 2 ? n->in[2] : NULL;
    Arena *a = c->arena;
    int axis = norm_axis(attr_int(n, "axis", -2), cache->rank);
    if (cache->rank < 2 || axis < 1)
        return node_error(c, n, "axis %lld must name a dimension after the batch of %s",
                          (long long)attr_int(n, "axis", -2), value_type_str(a, cache));
    const char *mode = attr_string(n, "mode", "linear");
    if (strcmp(mode, "linear") && strcmp(mode, "circular"))
        return node_error(c, n, "unknown mode \"%s\"", mode);
    if (up->dtype != cache->dtype || up->rank != cache->rank)
        return node_error(c, n, "update %s does not match past_cache %s", value_type_str(a, up),
                          value_type_str(a, cache));
    for (int i = 0; i < cache->rank; i++)
        if (i == axis ? up->dims[i] > cache->dims[i] : up->dims[i] != cache->dims[i])
            return node_error(c, n, "update %s does not fit past_cache %s", value_type_str(a, up),
                              value_type_str(a, cache));
    if (wi && (wi->dtype != DT_I64 || wi->rank != 1 || wi->dims[0] != cache->dims[0]))
        return node_error(c, n, "write_indices %s must be int64[%lld]", value_type_str(a, wi),
                          (long long)cache->dims[0]);
    value_set_shape(n->out[0], cache->dtype, cache->rank, cache->dims);
    return true;
}
