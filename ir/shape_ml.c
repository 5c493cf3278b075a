/*
 * shape_ml.c: shape functions of the classic machine-learning operators
 * (ops_ml.def): Binarizer, ArrayFeatureExtractor, TreeEnsemble and
 * TfIdfVectorizer.
 *
 * Their tables come from attributes, so the shape functions also check
 * those tables once (lengths agree, node and leaf ids in range, features
 * inside X) so that the emitters in codegen/emit_ml.c can index them
 * without checks.  Tensor attributes (TreeEnsemble's leaf_weights,
 * nodes_splits, nodes_modes, membership_values) are read with
 * data_get_f64/data_get_i64 whatever their dtype.
 */
#include "ir.h"

#include <math.h>
#include <string.h>

bool shape_binarizer(Node *n, Ctx *c) {
    const Value *x = n->in[0];
    if (!dtype_is_float(x->dtype) && !dtype_is_int(x->dtype))
        return node_error(c, n, "unsupported element type %s", dtype_name(x->dtype));
    value_set_shape(n->out[0], x->dtype, x->rank, x->dims);
    return true;
}

/* Z keeps X's leading dims and takes numel(Y) from the last; a 1-D X gives
 * [1, numel(Y)] (the ONNX reference). */
bool shape_array_feature_extractor(Node *n, Ctx *c) {
    const Value *x = n->in[0], *y = n->in[1];
    if (x->rank < 1)
        return node_error(c, n, "X must have rank >= 1");
    if (y->dtype != DT_I64 && y->dtype != DT_I32)
        return node_error(c, n, "Y must hold integer indices");
    int64_t d[DLCC_MAX_RANK];
    int r = x->rank < 2 ? 2 : x->rank;
    if (x->rank < 2)
        d[0] = 1;
    else
        memcpy(d, x->dims, sizeof(int64_t) * (size_t)(x->rank - 1));
    d[r - 1] = value_numel(y);
    value_set_shape(n->out[0], x->dtype, r, d);
    return true;
}

/* Length of a list attribute (ints or a tensor); -1 when absent. */
static int64_t ml_attr_len(const Node *n, const char *name) {
    const Attr *a = node_attr(n, name);
    if (!a)
        return -1;
    if (a->kind == AT_TENSOR && a->t)
        return value_numel(a->t);
    return a->n;
}

static bool ml_attr_get(const Node *n, const char *name, int64_t i, double *out) {
    const Attr *a = node_attr(n, name);
    if (!a)
        return false;
    if (a->kind == AT_TENSOR && a->t && a->t->data) {
        *out = data_get_f64(a->t->dtype, a->t->data, i);
        return true;
    }
    if (a->kind == AT_INTS && a->ints) {
        *out = (double)a->ints[i];
        return true;
    }
    if (a->kind == AT_FLOATS && a->floats) {
        *out = a->floats[i];
        return true;
    }
    return false;
}

/* The ONNX TreeEnsemble (ai.onnx.ml opset 5): every node array has one
 * entry per interior node, every leaf array one per leaf; ids index those
 * arrays (nodes_trueleafs/falseleafs say which). */
bool shape_tree_ensemble(Node *n, Ctx *c) {
    const Value *x = n->in[0];
    if (!dtype_is_float(x->dtype))
        return node_error(c, n, "X must be a float tensor, not %s", dtype_name(x->dtype));
    if (x->rank != 2)
        return node_error(c, n, "X must be [N, F], not %s", value_type_str(c->arena, x));
    static const char *const node_arrays[] = {"nodes_featureids", "nodes_modes", "nodes_truenodeids",
                                              "nodes_falsenodeids", "nodes_trueleafs", "nodes_falseleafs"};
    int64_t nn = ml_attr_len(n, "nodes_splits");
    if (nn < 1)
        return node_error(c, n, "missing attribute nodes_splits");
    for (size_t i = 0; i < sizeof node_arrays / sizeof *node_arrays; i++)
        if (ml_attr_len(n, node_arrays[i]) != nn)
            return node_error(c, n, "%s must have %lld entries (one per node)", node_arrays[i], (long long)nn);
    int64_t mt = ml_attr_len(n, "nodes_missing_value_tracks_true");
    if (mt >= 0 && mt != nn)
        return node_error(c, n, "nodes_missing_value_tracks_true must have %lld entries", (long long)nn);
    int64_t nl = ml_attr_len(n, "leaf_weights");
    if (nl < 1 || ml_attr_len(n, "leaf_targetids") != nl)
        return node_error(c, n, "leaf_weights and leaf_targetids must have the same length");
    int64_t nt = attr_int(n, "n_targets", -1);
    if (nt < 1)
        return node_error(c, n, "n_targets must be positive");
    if (ml_attr_len(n, "tree_roots") < 1)
        return node_error(c, n, "missing attribute tree_roots");
    int64_t post = attr_int(n, "post_transform", 0), agg = attr_int(n, "aggregate_function", 1);
    if (post < 0 || post > 3)
        return node_error(c, n, "post_transform %lld is not supported (0 NONE, 1 SOFTMAX, 2 LOGISTIC, 3 SOFTMAX_ZERO)",
                          (long long)post);
    if (agg < 0 || agg > 3)
        return node_error(c, n, "unknown aggregate_function %lld", (long long)agg);
    int64_t n_member = 0, n_nan = 0, nm = ml_attr_len(n, "membership_values");
    for (int64_t i = 0; i < nn; i++) {
        double v[5];
        ml_attr_get(n, "nodes_featureids", i, &v[0]);
        ml_attr_get(n, "nodes_modes", i, &v[1]);
        ml_attr_get(n, "nodes_truenodeids", i, &v[2]);
        ml_attr_get(n, "nodes_falsenodeids", i, &v[3]);
        if (v[0] < 0 || v[0] >= (double)x->dims[1])
            return node_error(c, n, "node %lld reads feature %g of %lld", (long long)i, v[0], (long long)x->dims[1]);
        if (v[1] < 0 || v[1] > 6)
            return node_error(c, n, "node %lld has unknown mode %g", (long long)i, v[1]);
        n_member += v[1] == 6;
        for (int k = 0; k < 2; k++) {
            double leaf;
            ml_attr_get(n, k ? "nodes_falseleafs" : "nodes_trueleafs", i, &leaf);
            if (v[2 + k] < 0 || v[2 + k] >= (double)(leaf != 0 ? nl : nn))
                return node_error(c, n, "node %lld: %s id %g out of range", (long long)i, leaf != 0 ? "leaf" : "node",
                                  v[2 + k]);
        }
    }
    for (int64_t i = 0; i < nl; i++) {
        double t;
        ml_attr_get(n, "leaf_targetids", i, &t);
        if (t < 0 || t >= (double)nt)
            return node_error(c, n, "leaf %lld has target %g of %lld", (long long)i, t, (long long)nt);
    }
    for (int64_t i = 0; i < nm; i++) {
        double v;
        ml_attr_get(n, "membership_values", i, &v);
        n_nan += isnan(v) != 0;
    }
    if (n_member > 0 && n_nan < n_member)
        return node_error(c, n, "membership_values must hold one NaN-terminated set per set-membership node");
    int64_t d[2] = {x->dims[0], nt};
    value_set_shape(n->out[0], x->dtype, 2, d);
    return true;
}

/* TfIdfVectorizer: X [C] or [B, C] of integers; Y f32 [max(ngram_indexes) + 1]
 * or [B, that]. */
bool shape_tfidf_vectorizer(Node *n, Ctx *c) {
    const Value *x = n->in[0];
    const Attr *ps = node_attr(n, "pool_strings");
    if (x->dtype == DT_STRING || (ps && ps->n > 0))
        return node_error(c, n, "string n-grams are not supported");
    if (x->dtype != DT_I32 && x->dtype != DT_I64)
        return node_error(c, n, "X must be int32 or int64, not %s", dtype_name(x->dtype));
    if (x->rank > 2)
        return node_error(c, n, "X must be [C] or [B, C], not %s", value_type_str(c->arena, x));
    const Attr *idx = node_attr(n, "ngram_indexes"), *cnt = node_attr(n, "ngram_counts");
    if (!idx || idx->kind != AT_INTS || !cnt || cnt->kind != AT_INTS)
        return node_error(c, n, "missing attribute ngram_indexes or ngram_counts");
    const char *mode = attr_string(n, "mode", "");
    if (strcmp(mode, "TF") && strcmp(mode, "IDF") && strcmp(mode, "TFIDF"))
        return node_error(c, n, "mode must be TF, IDF or TFIDF, not '%s'", mode);
    int64_t mn = attr_int(n, "min_gram_length", 0), mx = attr_int(n, "max_gram_length", 0);
    if (mn < 1 || mx < mn || attr_int(n, "max_skip_count", 0) < 0)
        return node_error(c, n, "bad min_gram_length, max_gram_length or max_skip_count");
    int64_t out = 0;
    for (int i = 0; i < idx->n; i++) {
        if (idx->ints[i] < 0)
            return node_error(c, n, "negative entry in ngram_indexes");
        if (idx->ints[i] + 1 > out)
            out = idx->ints[i] + 1;
    }
    const Attr *w = node_attr(n, "weights");
    if (w && w->n > 0 && w->n < out)
        return node_error(c, n, "weights has %d entries for %lld outputs", w->n, (long long)out);
    int64_t d[2] = {x->rank == 2 ? x->dims[0] : out, out};
    value_set_shape(n->out[0], DT_F32, x->rank == 2 ? 2 : 1, d);
    return true;
}
