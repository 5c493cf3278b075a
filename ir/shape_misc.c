/*
 * shape_misc.c: shape functions of the miscellaneous operators
 * (ops_misc.def) and the Resize plan shared with codegen/emit_misc.c.
 *
 * Resize and Upsample need their scales / sizes (and the roi of
 * tf_crop_and_resize) as compile-time constants: resize_plan() follows the
 * ONNX reference implementation axis by axis, computing for every output
 * index its source coordinate, the interpolation taps (nearest: 2, linear:
 * 2, cubic: 4, more under antialias) with their weights, edge-clamped input
 * indices and the crop flag; taps with zero weight are dropped and taps on
 * the same clamped index merged, so a kernel only loops over what matters.
 *
 * Ops whose output shape depends on input values (Unique,
 * NonMaxSuppression, the window generators, MelWeightMatrix) are computed
 * here entirely when their inputs are constants (the output data is stored
 * in Value.data and the node folds away); with run-time inputs they are
 * rejected with a "data-dependent output shape" error, since dlcc's code
 * has static shapes.  TopK, DFT, STFT and CenterCropPad need their k /
 * length / axis / shape inputs constant for the same reason.
 */
#include "shape_misc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PI_D 3.14159265358979323846

static bool const_data(const Value *v) { return v && value_is_const(v) && v->data; }

/* Scalar (or first element of) constant input i, as int64; false when absent. */
static bool input_i64(const Node *n, int i, int64_t *out) {
    if (i >= n->n_in || !n->in[i] || !const_data(n->in[i]) || value_numel(n->in[i]) < 1)
        return false;
    *out = data_get_i64(n->in[i]->dtype, n->in[i]->data, 0);
    return true;
}

static bool input_f64(const Node *n, int i, double *out) {
    if (i >= n->n_in || !n->in[i] || !const_data(n->in[i]) || value_numel(n->in[i]) < 1)
        return false;
    *out = data_get_f64(n->in[i]->dtype, n->in[i]->data, 0);
    return true;
}

static bool dep_error(Ctx *c, const Node *n, const char *what) {
    return node_error(c, n, "%s must be a compile-time constant (data-dependent output shape)", what);
}

/* ---------------------------------------------------------------- Resize */

static void resize_coeffs(const char *mode, const char *nearest_mode, bool antialias, double a, double ratio,
                          double scale, double *cf, int *nc) {
    if (!strcmp(mode, "nearest")) {
        *nc = 2;
        bool lo;
        if (ratio == 1.0)
            lo = false;
        else if (!strcmp(nearest_mode, "round_prefer_ceil"))
            lo = ratio < 0.5;
        else if (!strcmp(nearest_mode, "floor"))
            lo = true;
        else if (!strcmp(nearest_mode, "ceil"))
            lo = false;
        else
            lo = ratio <= 0.5;
        cf[0] = lo;
        cf[1] = !lo;
        return;
    }
    if (!strcmp(mode, "linear") || !strcmp(mode, "bilinear") || !strcmp(mode, "trilinear")) {
        if (!antialias) {
            *nc = 2;
            cf[0] = 1 - ratio;
            cf[1] = ratio;
            return;
        }
        double s = scale < 1 ? scale : 1;
        int start = (int)floor(-1 / s) + 1, fp = 2 - 2 * start;
        double sum = 0;
        for (int i = 0; i < fp; i++) {
            double v = 1 - fabs((start + i - ratio) * s);
            cf[i] = v < 0 ? 0 : v > 1 ? 1 : v;
            sum += cf[i];
        }
        for (int i = 0; i < fp; i++)
            cf[i] /= sum;
        *nc = fp;
        return;
    }
    /* cubic */
    if (!antialias) {
        *nc = 4;
        double r = ratio, q = 1 - ratio;
        cf[0] = ((a * (r + 1) - 5 * a) * (r + 1) + 8 * a) * (r + 1) - 4 * a;
        cf[1] = ((a + 2) * r - (a + 3)) * r * r + 1;
        cf[2] = ((a + 2) * q - (a + 3)) * q * q + 1;
        cf[3] = ((a * (q + 1) - 5 * a) * (q + 1) + 8 * a) * (q + 1) - 4 * a;
        return;
    }
    double s = scale < 1 ? scale : 1, sum = 0;
    int start = (int)floor(-2 / s) + 1, end = 2 - start;
    for (int i = start; i < end; i++) {
        double x = fabs(s * (i - ratio)), x2 = x * x, x3 = x2 * x, v;
        if (x <= 1)
            v = (a + 2) * x3 - (a + 3) * x2 + 1;
        else if (x < 2)
            v = a * x3 - 5 * a * x2 + 8 * a * x - 4 * a;
        else
            v = 0;
        cf[i - start] = v;
        sum += v;
    }
    for (int i = 0; i < end - start; i++)
        cf[i] /= sum;
    *nc = end - start;
}

bool resize_plan(const Node *n, Arena *arena, ResizePlan *p, Ctx *c) {
    const Value *x = n->in[0];
    int r = x->rank;
    memset(p, 0, sizeof *p);
    p->rank = r;
    bool upsample = n->op == OP_UPSAMPLE;
    bool v10 = upsample || n->opset < 11;
    const char *mode = attr_string(n, "mode", "nearest");
    const char *ctm = v10 ? "asymmetric" : attr_string(n, "coordinate_transformation_mode", "half_pixel");
    const char *nmode = v10 ? "floor" : attr_string(n, "nearest_mode", "round_prefer_floor");
    double cubic_a = attr_float(n, "cubic_coeff_a", -0.75);
    bool exclude = attr_int(n, "exclude_outside", 0) != 0, antialias = attr_int(n, "antialias", 0) != 0;
    const char *policy = attr_string(n, "keep_aspect_ratio_policy", "stretch");
    p->extrapolation = attr_float(n, "extrapolation_value", 0.0);
    if (strcmp(mode, "nearest") && strcmp(mode, "linear") && strcmp(mode, "cubic") && strcmp(mode, "bilinear") &&
        strcmp(mode, "trilinear"))
        return c ? node_error(c, n, "unsupported mode '%s'", mode) : false;

    int64_t axes[DLCC_MAX_RANK];
    int naxes = attr_ints(n, "axes", axes, DLCC_MAX_RANK);
    if (naxes < 0) {
        naxes = r;
        for (int i = 0; i < r; i++)
            axes[i] = i;
    }
    for (int i = 0; i < naxes; i++) {
        int a = norm_axis(axes[i], r);
        if (a < 0)
            return c ? node_error(c, n, "axis %lld out of range", (long long)axes[i]) : false;
        axes[i] = a;
    }
    double scales[DLCC_MAX_RANK], roi[2 * DLCC_MAX_RANK];
    int64_t out[DLCC_MAX_RANK];
    for (int i = 0; i < r; i++) {
        scales[i] = 1;
        out[i] = x->dims[i];
        roi[i] = 0;
        roi[r + i] = 1;
    }
    const Value *sv = NULL, *zv = NULL, *rv = NULL;
    if (upsample && n->opset < 9) {
        const Attr *at = node_attr(n, "scales");
        if (!at || at->n != r)
            return c ? node_error(c, n, "scales must have %d values", r) : false;
        for (int i = 0; i < r; i++)
            scales[i] = (double)(float)at->floats[i];
    } else if (v10) {
        sv = n->n_in > 1 ? n->in[1] : NULL;
    } else {
        rv = n->n_in > 1 ? n->in[1] : NULL;
        sv = n->n_in > 2 ? n->in[2] : NULL;
        zv = n->n_in > 3 ? n->in[3] : NULL;
    }
    if (sv && value_numel(sv) == 0)
        sv = NULL;
    if (zv && value_numel(zv) == 0)
        zv = NULL;
    if (rv && value_numel(rv) == 0)
        rv = NULL;
    if (!(upsample && n->opset < 9) && !sv && !zv)
        return c ? node_error(c, n, "needs scales or sizes") : false;
    if ((sv && !const_data(sv)) || (zv && !const_data(zv)))
        return c ? dep_error(c, n, sv && !const_data(sv) ? "scales" : "sizes") : false;
    bool crop = !strcmp(ctm, "tf_crop_and_resize");
    if (crop && rv) {
        if (!const_data(rv))
            return c ? dep_error(c, n, "roi") : false;
        if (value_numel(rv) != 2 * naxes)
            return c ? node_error(c, n, "roi must have %d values", 2 * naxes) : false;
        for (int i = 0; i < naxes; i++) {
            roi[axes[i]] = data_get_f64(rv->dtype, rv->data, i);
            roi[r + axes[i]] = data_get_f64(rv->dtype, rv->data, naxes + i);
        }
    }
    if (sv) {
        if (value_numel(sv) != naxes)
            return c ? node_error(c, n, "scales must have %d values", naxes) : false;
        for (int i = 0; i < naxes; i++)
            scales[axes[i]] = data_get_f64(sv->dtype, sv->data, i);
    }
    if (sv || (upsample && n->opset < 9)) {
        for (int i = 0; i < r; i++) {
            if (!(scales[i] > 0))
                return c ? node_error(c, n, "scales must be positive") : false;
            out[i] = (int64_t)floor(scales[i] * (double)x->dims[i]);
        }
    } else {
        if (value_numel(zv) != naxes)
            return c ? node_error(c, n, "sizes must have %d values", naxes) : false;
        for (int i = 0; i < naxes; i++)
            out[axes[i]] = data_get_i64(zv->dtype, zv->data, i);
        for (int i = 0; i < r; i++)
            scales[i] = (double)out[i] / (double)x->dims[i];
        if (strcmp(policy, "stretch")) {
            double s = scales[axes[0]];
            for (int i = 1; i < naxes; i++) {
                double t = scales[axes[i]];
                if (!strcmp(policy, "not_larger") ? t < s : t > s)
                    s = t;
            }
            for (int i = 0; i < naxes; i++) {
                scales[axes[i]] = s;
                out[axes[i]] = (int64_t)(s * (double)x->dims[axes[i]] + 0.5);
            }
        }
    }
    for (int i = 0; i < r; i++) {
        if (out[i] < 0)
            return c ? node_error(c, n, "negative output size") : false;
        p->out_dims[i] = out[i];
    }
    static const char *const ctms[] = {"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric",
                                       "tf_crop_and_resize", "half_pixel_symmetric", "tf_half_pixel_for_nn"};
    bool known = false;
    for (size_t i = 0; i < sizeof ctms / sizeof *ctms; i++)
        known |= !strcmp(ctm, ctms[i]);
    if (!known)
        return c ? node_error(c, n, "unsupported coordinate_transformation_mode '%s'", ctm) : false;
    if (!arena)
        return true;

    for (int d = 0; d < r; d++) {
        ResizeAxis *ax = &p->ax[d];
        int64_t in = x->dims[d], on = out[d];
        ax->in = in;
        ax->out = on;
        int cap = 4;
        if (antialias && scales[d] < 1)
            cap = 2 * ((int)ceil(2 / scales[d]) + 2);
        int64_t *idx = ARENA_ARRAY(arena, int64_t, on * cap + 1);
        double *w = ARENA_ARRAY(arena, double, on * cap + 1);
        double *cf = ARENA_ARRAY(arena, double, cap + 8);
        int *cnt = ARENA_ARRAY(arena, int, on + 1);
        ax->ext = ARENA_ARRAY(arena, unsigned char, on + 1);
        int maxt = 1;
        double scale = scales[d], ow = scale * (double)in;
        for (int64_t o = 0; o < on; o++) {
            double xo = (double)o, xi;
            if (!strcmp(ctm, "align_corners"))
                xi = ow == 1 ? 0 : xo * (double)(in - 1) / (ow - 1);
            else if (!strcmp(ctm, "asymmetric"))
                xi = xo / scale;
            else if (crop) {
                double r0 = roi[d], r1 = roi[r + d];
                xi = ow == 1 ? (r1 - r0) * (double)(in - 1) / 2 : xo * (r1 - r0) * (double)(in - 1) / (ow - 1);
                xi += r0 * (double)(in - 1);
                if (xi < 0 || xi > (double)(in - 1)) {
                    ax->ext[o] = 1;
                    p->any_ext = true;
                }
            } else if (!strcmp(ctm, "pytorch_half_pixel"))
                xi = ow == 1 ? -0.5 : (xo + 0.5) / scale - 0.5;
            else if (!strcmp(ctm, "half_pixel"))
                xi = (xo + 0.5) / scale - 0.5;
            else if (!strcmp(ctm, "tf_half_pixel_for_nn")) /* opset 11-12 only */
                xi = (xo + 0.5) / scale;
            else if (!strcmp(ctm, "half_pixel_symmetric")) {
                double adj = (double)on / ow, center = (double)in / 2;
                xi = center * (1 - adj) + (xo + 0.5) / scale - 0.5;
            } else
                return c ? node_error(c, n, "unsupported coordinate_transformation_mode '%s'", ctm) : false;
            double fl = floor(xi), ratio = xi == fl ? 1.0 : xi - fl;
            int64_t left = xi == fl ? (int64_t)fl - 1 : (int64_t)fl;
            int nc = 0;
            resize_coeffs(mode, nmode, antialias, cubic_a, ratio, scale, cf, &nc);
            if (nc > cap)
                return c ? node_error(c, n, "internal error: too many resize taps") : false;
            int64_t first = left + 1 - nc / 2;
            if (exclude) {
                double sum = 0;
                for (int t = 0; t < nc; t++) {
                    if (first + t < 0 || first + t >= in)
                        cf[t] = 0;
                    sum += cf[t];
                }
                if (sum != 0)
                    for (int t = 0; t < nc; t++)
                        cf[t] /= sum;
            }
            int k = 0;
            for (int t = 0; t < nc; t++) {
                if (cf[t] == 0)
                    continue;
                int64_t ii = first + t;
                ii = ii < 0 ? 0 : ii >= in ? in - 1 : ii;
                int m;
                for (m = 0; m < k; m++)
                    if (idx[o * cap + m] == ii)
                        break;
                if (m < k) {
                    w[o * cap + m] += cf[t];
                } else {
                    idx[o * cap + k] = ii;
                    w[o * cap + k++] = cf[t];
                }
            }
            cnt[o] = k;
            if (k > maxt)
                maxt = k;
        }
        ax->taps = maxt;
        ax->idx = ARENA_ARRAY(arena, int64_t, on * maxt + 1);
        ax->w = ARENA_ARRAY(arena, double, on * maxt + 1);
        for (int64_t o = 0; o < on; o++)
            for (int t = 0; t < cnt[o]; t++) {
                ax->idx[o * maxt + t] = idx[o * cap + t];
                ax->w[o * maxt + t] = w[o * cap + t];
            }
    }
    return true;
}

bool shape_resize(Node *n, Ctx *c) {
    ResizePlan p;
    if (!resize_plan(n, NULL, &p, c))
        return false;
    value_set_shape(n->out[0], n->in[0]->dtype, n->in[0]->rank, p.out_dims);
    return true;
}

/* ---------------------------------------------------------------- TopK */

bool shape_topk(Node *n, Ctx *c) {
    const Value *x = n->in[0];
    int64_t k;
    if (n->n_in > 1 && n->in[1]) {
        if (!input_i64(n, 1, &k))
            return dep_error(c, n, "K");
    } else {
        k = attr_int(n, "k", -1);
    }
    int axis = norm_axis(attr_int(n, "axis", -1), x->rank);
    if (axis < 0)
        return node_error(c, n, "axis out of range");
    if (k < 0 || k > x->dims[axis])
        return node_error(c, n, "k = %lld out of range for axis of length %lld", (long long)k,
                          (long long)x->dims[axis]);
    int64_t d[DLCC_MAX_RANK];
    memcpy(d, x->dims, sizeof(int64_t) * (size_t)x->rank);
    d[axis] = k;
    value_set_shape(n->out[0], x->dtype, x->rank, d);
    value_set_shape(n->out[1], DT_I64, x->rank, d);
    return true;
}

/* ---------------------------------------------------------------- compile-time ops */

static void *out_alloc(Ctx *c, const Value *v) { return arena_alloc(c->arena, value_bytes(v) + 8); }

/* Unique: numpy.unique semantics (sorted) or first-occurrence order. */
typedef struct UniqCtx {
    const Value *x;
    int64_t slice, inner, len, outer;
} UniqCtx;

static double uniq_get(const UniqCtx *u, int64_t s, int64_t k) {
    /* element k (row-major over outer, inner) of slice s along the axis */
    int64_t o = k / u->inner, i = k % u->inner;
    return data_get_f64(u->x->dtype, u->x->data, (o * u->len + s) * u->inner + i);
}

static int uniq_cmp(const UniqCtx *u, int64_t a, int64_t b) {
    for (int64_t k = 0; k < u->slice; k++) {
        double va = uniq_get(u, a, k), vb = uniq_get(u, b, k);
        if (va < vb)
            return -1;
        if (va > vb)
            return 1;
    }
    return 0;
}

bool shape_unique(Node *n, Ctx *c) {
    const Value *x = n->in[0];
    if (!const_data(x))
        return dep_error(c, n, "the input");
    const Attr *aa = node_attr(n, "axis");
    UniqCtx u = {x, 1, 1, value_numel(x), 1};
    int axis = -1;
    if (aa) {
        axis = norm_axis(aa->i, x->rank);
        if (axis < 0)
            return node_error(c, n, "axis out of range");
        u.len = x->dims[axis];
        for (int d = 0; d < x->rank; d++)
            if (d < axis)
                u.outer *= x->dims[d];
            else if (d > axis)
                u.inner *= x->dims[d];
        u.slice = u.outer * u.inner;
    }
    bool sorted = attr_int(n, "sorted", 1) != 0;
    int64_t len = u.len;
    int64_t *order = ARENA_ARRAY(c->arena, int64_t, len + 1); /* candidate order */
    for (int64_t i = 0; i < len; i++)
        order[i] = i;
    if (sorted) /* stable insertion sort: equal slices keep their first occurrence first */
        for (int64_t i = 1; i < len; i++) {
            int64_t v = order[i], j = i;
            while (j > 0 && uniq_cmp(&u, order[j - 1], v) > 0) {
                order[j] = order[j - 1];
                j--;
            }
            order[j] = v;
        }
    int64_t *first = ARENA_ARRAY(c->arena, int64_t, len + 1), *count = ARENA_ARRAY(c->arena, int64_t, len + 1);
    int64_t *inv = ARENA_ARRAY(c->arena, int64_t, len + 1), nu = 0;
    for (int64_t t = 0; t < len; t++) {
        int64_t s = order[t], m;
        for (m = 0; m < nu; m++)
            if (uniq_cmp(&u, first[m], s) == 0)
                break;
        if (m == nu) {
            first[nu] = s;
            count[nu++] = 0;
        } else if (s < first[m]) {
            first[m] = s;
        }
        count[m]++;
        inv[s] = m;
    }
    int64_t d[DLCC_MAX_RANK];
    if (aa) {
        memcpy(d, x->dims, sizeof(int64_t) * (size_t)x->rank);
        d[axis] = nu;
        value_set_shape(n->out[0], x->dtype, x->rank, d);
    } else {
        value_set_shape(n->out[0], x->dtype, 1, &nu);
    }
    Value *y = n->out[0];
    size_t es = dtype_size(x->dtype);
    char *yd = out_alloc(c, y);
    for (int64_t m = 0; m < nu; m++)
        for (int64_t k = 0; k < u.slice; k++) {
            int64_t o = k / u.inner, i = k % u.inner;
            memcpy(yd + ((o * nu + m) * u.inner + i) * (int64_t)es,
                   (const char *)x->data + ((o * u.len + first[m]) * u.inner + i) * (int64_t)es, es);
        }
    y->data = yd;
    int64_t *vals[3] = {first, inv, count}, lens[3] = {nu, len, nu};
    for (int k = 1; k < n->n_out && k < 4; k++) {
        if (!n->out[k])
            continue;
        value_set_shape(n->out[k], DT_I64, 1, &lens[k - 1]);
        n->out[k]->data = arena_memdup(c->arena, vals[k - 1], sizeof(int64_t) * (size_t)(lens[k - 1] + 1));
    }
    return true;
}

/* NonMaxSuppression, greedy per (batch, class) like ONNX Runtime. */
static double nms_iou(const float *a, const float *b, bool center) {
    double ay1, ax1, ay2, ax2, by1, bx1, by2, bx2;
    if (center) {
        ax1 = a[0] - a[2] / 2.0; ax2 = a[0] + a[2] / 2.0; ay1 = a[1] - a[3] / 2.0; ay2 = a[1] + a[3] / 2.0;
        bx1 = b[0] - b[2] / 2.0; bx2 = b[0] + b[2] / 2.0; by1 = b[1] - b[3] / 2.0; by2 = b[1] + b[3] / 2.0;
    } else {
        ay1 = fmin(a[0], a[2]); ay2 = fmax(a[0], a[2]); ax1 = fmin(a[1], a[3]); ax2 = fmax(a[1], a[3]);
        by1 = fmin(b[0], b[2]); by2 = fmax(b[0], b[2]); bx1 = fmin(b[1], b[3]); bx2 = fmax(b[1], b[3]);
    }
    double iw = fmin(ax2, bx2) - fmax(ax1, bx1), ih = fmin(ay2, by2) - fmax(ay1, by1);
    if (iw <= 0 || ih <= 0)
        return 0;
    double inter = iw * ih, uni = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter;
    return uni > 0 ? inter / uni : 0;
}

bool shape_nms(Node *n, Ctx *c) {
    const Value *bx = n->in[0], *sc = n->in[1];
    for (int i = 0; i < n->n_in; i++)
        if (n->in[i] && !const_data(n->in[i]))
            return dep_error(c, n, "every input");
    if (bx->rank != 3 || bx->dims[2] != 4 || sc->rank != 3 || sc->dims[0] != bx->dims[0] || sc->dims[2] != bx->dims[1])
        return node_error(c, n, "boxes must be [B, N, 4] and scores [B, C, N]");
    int64_t maxout = 0;
    double iou_th = 0, sc_th = -INFINITY;
    input_i64(n, 2, &maxout);
    input_f64(n, 3, &iou_th);
    if (!input_f64(n, 4, &sc_th))
        sc_th = -INFINITY;
    bool center = attr_int(n, "center_point_box", 0) != 0;
    int64_t nb = bx->dims[0], nbox = bx->dims[1], ncl = sc->dims[1];
    float *boxes = ARENA_ARRAY(c->arena, float, value_numel(bx) + 1);
    for (int64_t i = 0; i < value_numel(bx); i++)
        boxes[i] = (float)data_get_f64(bx->dtype, bx->data, i);
    int64_t cap = nb * ncl * nbox;
    int64_t *sel = ARENA_ARRAY(c->arena, int64_t, 3 * cap + 3), ns = 0;
    int64_t *cand = ARENA_ARRAY(c->arena, int64_t, nbox + 1), *kept = ARENA_ARRAY(c->arena, int64_t, nbox + 1);
    for (int64_t b = 0; b < nb; b++)
        for (int64_t k = 0; k < ncl; k++) {
            int64_t nc = 0, nk = 0;
            const int64_t base = (b * ncl + k) * nbox;
            for (int64_t i = 0; i < nbox; i++)
                if (data_get_f64(sc->dtype, sc->data, base + i) > sc_th)
                    cand[nc++] = i;
            for (int64_t i = 1; i < nc; i++) { /* stable sort by score, descending */
                int64_t v = cand[i], j = i;
                double sv = data_get_f64(sc->dtype, sc->data, base + v);
                while (j > 0 && data_get_f64(sc->dtype, sc->data, base + cand[j - 1]) < sv) {
                    cand[j] = cand[j - 1];
                    j--;
                }
                cand[j] = v;
            }
            for (int64_t i = 0; i < nc && nk < maxout; i++) {
                bool keep = true;
                for (int64_t j = 0; j < nk && keep; j++)
                    if (nms_iou(boxes + (b * nbox + cand[i]) * 4, boxes + (b * nbox + kept[j]) * 4, center) > iou_th)
                        keep = false;
                if (!keep)
                    continue;
                kept[nk++] = cand[i];
                sel[3 * ns] = b;
                sel[3 * ns + 1] = k;
                sel[3 * ns + 2] = cand[i];
                ns++;
            }
        }
    int64_t d[2] = {ns, 3};
    value_set_shape(n->out[0], DT_I64, 2, d);
    n->out[0]->data = sel;
    return true;
}

/* HannWindow, HammingWindow, BlackmanWindow. */
bool shape_window(Node *n, Ctx *c) {
    int64_t size;
    if (!input_i64(n, 0, &size))
        return dep_error(c, n, "size");
    if (size < 0)
        return node_error(c, n, "negative size");
    DType t = (DType)attr_int(n, "output_datatype", DT_F32);
    if (!dtype_is_float(t) && !dtype_is_int(t))
        return node_error(c, n, "unsupported output_datatype %d", (int)t);
    bool periodic = attr_int(n, "periodic", 1) != 0;
    value_set_shape(n->out[0], t, 1, &size);
    void *data = out_alloc(c, n->out[0]);
    double nn = periodic ? (double)size : (double)(size - 1);
    for (int64_t i = 0; i < size; i++) {
        double k = 2 * PI_D * (double)i / nn, v;
        if (n->op == OP_HANNWINDOW)
            v = sin(PI_D * (double)i / nn) * sin(PI_D * (double)i / nn);
        else if (n->op == OP_HAMMINGWINDOW)
            v = 25.0 / 46.0 - (21.0 / 46.0) * cos(k);
        else
            v = 0.42 - 0.5 * cos(k) + 0.08 * cos(2 * k);
        data_set_f64(t, data, i, v);
    }
    n->out[0]->data = data;
    return true;
}

bool shape_mel_weight_matrix(Node *n, Ctx *c) {
    int64_t nmel, dftlen, rate;
    double lo, hi;
    if (!input_i64(n, 0, &nmel) || !input_i64(n, 1, &dftlen) || !input_i64(n, 2, &rate) || !input_f64(n, 3, &lo) ||
        !input_f64(n, 4, &hi))
        return dep_error(c, n, "every input");
    if (nmel < 1 || dftlen < 1 || rate < 1)
        return node_error(c, n, "num_mel_bins, dft_length and sample_rate must be positive");
    DType t = (DType)attr_int(n, "output_datatype", DT_F32);
    int64_t nbins = dftlen / 2 + 1, d[2] = {nbins, nmel};
    value_set_shape(n->out[0], t, 2, d);
    double *out = ARENA_ARRAY(c->arena, double, nbins * nmel + 1);
    int64_t *fb = ARENA_ARRAY(c->arena, int64_t, nmel + 2);
    double lm = 2595.0 * log10(1 + lo / 700.0), hm = 2595.0 * log10(1 + hi / 700.0);
    double step = (hm - lm) / (double)(nmel + 2); /* sic: the reference divides by the bin count */
    for (int64_t i = 0; i < nmel + 2; i++) {
        double f = 700.0 * (pow(10.0, ((double)i * step + lm) / 2595.0) - 1);
        fb[i] = (int64_t)floor((double)(dftlen + 1) * f / (double)rate);
    }
    for (int64_t i = 0; i < nmel; i++) {
        int64_t l = fb[i], cc = fb[i + 1], h = fb[i + 2];
        if (cc - l == 0) {
            if (cc >= 0 && cc < nbins)
                out[cc * nmel + i] = 1;
        } else {
            for (int64_t j = l; j <= cc; j++)
                if (j >= 0 && j < nbins)
                    out[j * nmel + i] = (double)(j - l) / (double)(cc - l);
        }
        if (h - cc > 0)
            for (int64_t j = cc; j < h; j++)
                if (j >= 0 && j < nbins)
                    out[j * nmel + i] = (double)(h - j) / (double)(h - cc);
    }
    void *data = out_alloc(c, n->out[0]);
    for (int64_t i = 0; i < nbins * nmel; i++)
        data_set_f64(t, data, i, out[i]);
    n->out[0]->data = data;
    return true;
}

/* ---------------------------------------------------------------- signal processing, Det, CenterCropPad */

bool dft_params(const Node *n, const Value *x, int *axis, int64_t *len, Ctx *c) {
    int r = x->rank;
    int64_t a = n->opset >= 20 ? -2 : attr_int(n, "axis", 1);
    if (n->opset >= 20 && n->n_in > 2 && n->in[2] && !input_i64(n, 2, &a))
        return c ? dep_error(c, n, "axis") : false;
    if (a < 0)
        a += r;
    if (r < 2 || a < 0 || a > r - 2 || (x->dims[r - 1] != 1 && x->dims[r - 1] != 2))
        return c ? node_error(c, n, "bad axis or input shape %s", value_type_str(c->arena, x)) : false;
    *axis = (int)a;
    bool irfft = attr_int(n, "inverse", 0) && attr_int(n, "onesided", 0);
    *len = irfft ? 2 * (x->dims[a] - 1) : x->dims[a]; /* inverse onesided: a half spectrum in, real out */
    if (n->n_in > 1 && n->in[1] && !input_i64(n, 1, len))
        return c ? dep_error(c, n, "dft_length") : false;
    if (*len < 1)
        return c ? node_error(c, n, "dft_length must be positive") : false;
    return true;
}

bool shape_dft(Node *n, Ctx *c) {
    const Value *x = n->in[0];
    int axis;
    int64_t len, d[DLCC_MAX_RANK];
    if (!dft_params(n, x, &axis, &len, c))
        return false;
    if (!dtype_is_float(x->dtype))
        return node_error(c, n, "input must be a float tensor");
    memcpy(d, x->dims, sizeof(int64_t) * (size_t)x->rank);
    bool irfft = attr_int(n, "inverse", 0) && attr_int(n, "onesided", 0);
    d[axis] = attr_int(n, "onesided", 0) && !irfft ? len / 2 + 1 : len;
    d[x->rank - 1] = irfft ? 1 : 2;
    value_set_shape(n->out[0], x->dtype, x->rank, d);
    return true;
}

bool stft_params(const Node *n, int64_t *step, int64_t *flen, int64_t *frames, Ctx *c) {
    const Value *x = n->in[0];
    if (!input_i64(n, 1, step))
        return c ? dep_error(c, n, "frame_step") : false;
    const Value *w = n->n_in > 2 ? n->in[2] : NULL;
    if (n->n_in > 3 && n->in[3]) {
        if (!input_i64(n, 3, flen))
            return c ? dep_error(c, n, "frame_length") : false;
    } else if (w) {
        *flen = w->dims[0];
    } else {
        return c ? node_error(c, n, "needs a window or a frame_length") : false;
    }
    if (x->rank != 3 || (x->dims[2] != 1 && x->dims[2] != 2) || *step < 1 || *flen < 1 || *flen > x->dims[1] ||
        (w && (w->rank != 1 || w->dims[0] != *flen)))
        return c ? node_error(c, n, "bad signal, window or frame parameters") : false;
    *frames = (x->dims[1] - *flen) / *step + 1;
    return true;
}

bool shape_stft(Node *n, Ctx *c) {
    int64_t step, flen, frames;
    if (!stft_params(n, &step, &flen, &frames, c))
        return false;
    int64_t d[4] = {n->in[0]->dims[0], frames, attr_int(n, "onesided", 1) ? flen / 2 + 1 : flen, 2};
    value_set_shape(n->out[0], n->in[0]->dtype, 4, d);
    return true;
}

bool shape_det(Node *n, Ctx *c) {
    const Value *x = n->in[0];
    if (x->rank < 2 || x->dims[x->rank - 1] != x->dims[x->rank - 2] || !dtype_is_float(x->dtype))
        return node_error(c, n, "input must be float square matrices [..., M, M]");
    value_set_shape(n->out[0], x->dtype, x->rank - 2, x->dims);
    return true;
}

bool center_crop_pad_dims(const Node *n, int64_t *out, Ctx *c) {
    const Value *x = n->in[0], *s = n->in[1];
    if (!const_data(s))
        return c ? dep_error(c, n, "shape") : false;
    int64_t axes[DLCC_MAX_RANK];
    int na = attr_ints(n, "axes", axes, DLCC_MAX_RANK);
    if (na < 0) {
        na = x->rank;
        for (int i = 0; i < na; i++)
            axes[i] = i;
    }
    if (value_numel(s) != na)
        return c ? node_error(c, n, "shape must have %d values", na) : false;
    memcpy(out, x->dims, sizeof(int64_t) * (size_t)x->rank);
    for (int i = 0; i < na; i++) {
        int a = norm_axis(axes[i], x->rank);
        if (a < 0)
            return c ? node_error(c, n, "axis out of range") : false;
        out[a] = data_get_i64(s->dtype, s->data, i);
        if (out[a] < 0)
            return c ? node_error(c, n, "negative size") : false;
    }
    return true;
}

bool shape_center_crop_pad(Node *n, Ctx *c) {
    int64_t d[DLCC_MAX_RANK];
    if (!center_crop_pad_dims(n, d, c))
        return false;
    value_set_shape(n->out[0], n->in[0]->dtype, n->in[0]->rank, d);
    return true;
}
