/*
 * emit_ml.c: kernels of the classic machine-learning operators (ops_ml.def).
 *
 * Binarizer and ArrayFeatureExtractor are single loops.  TreeEnsemble and
 * TfIdfVectorizer carry their model in attributes: the emitter writes those
 * tables into the kernel as `static const` arrays and the kernel walks them.
 *
 * TreeEnsemble (ai.onnx.ml opset 5) follows the ONNX reference: for every
 * row of X and every tree, start at the root (a leaf when both of its
 * branches are the same leaf), compare the node's feature (as double) with
 * its split by the node's mode (<=, <, >=, >, ==, !=, set membership; a NaN
 * goes the true way when nodes_missing_value_tracks_true says so), and
 * follow the true or false id, which names a leaf or a node as
 * nodes_trueleafs/falseleafs say.  Leaf weights are aggregated per target
 * (sum, average over the trees, min or max) in double; the set of a
 * membership node is the next NaN-terminated run of membership_values.  A
 * target no leaf reaches keeps its start value under min/max (the float
 * type's max, or its negation), as in the reference; onnxruntime gives 0.
 * post_transform follows the ONNX numbering (1 SOFTMAX, 2 LOGISTIC,
 * 3 SOFTMAX_ZERO; PROBIT is not supported); onnxruntime 1.30 swaps 1 and 2.
 *
 * TfIdfVectorizer follows onnxruntime and the ONNX reference: the pool is
 * cut into n-grams by ngram_counts (the start of the 1-grams, 2-grams...),
 * numbered in pool order; n-grams whose length lies in [min_gram_length,
 * max_gram_length] are kept (a repeated n-gram keeps its last number, as
 * the reference's trie does), and n-gram k counts into output
 * ngram_indexes[k].  For every skip distance d = 1..max_skip_count + 1 and
 * every start position, each kept n-gram of length n that fits (items at
 * start, start + d, ...) and matches is counted; unigrams only at d = 1.
 * The counts are then weighted by mode (TF, IDF, TFIDF) and weights.
 */
#include "codegen.h"

#include <math.h>
#include <string.h>

#define LL(x) ((long long)(x))

/* ---------------------------------------------------------------- helpers */

/* A C double literal, also for NaN and infinities (tgmath.h is included). */
static const char *ml_double_lit(Emit *e, double v) {
    if (isnan(v))
        return "NAN";
    if (isinf(v))
        return v > 0 ? "INFINITY" : "-INFINITY";
    return arena_printf(e->ctx->arena, "%.17g", v);
}

/* Element i of list attribute `name` (ints, floats or a tensor), as double. */
static double ml_attr_at(const Node *n, const char *name, int64_t i, double dflt) {
    const Attr *a = node_attr(n, name);
    if (!a)
        return dflt;
    if (a->kind == AT_TENSOR && a->t && a->t->data && i < value_numel(a->t))
        return data_get_f64(a->t->dtype, a->t->data, i);
    if (a->kind == AT_INTS && a->ints && i < a->n)
        return (double)a->ints[i];
    if (a->kind == AT_FLOATS && a->floats && i < a->n)
        return a->floats[i];
    return dflt;
}

static int64_t ml_attr_len(const Node *n, const char *name) {
    const Attr *a = node_attr(n, name);
    if (!a)
        return 0;
    if (a->kind == AT_TENSOR && a->t)
        return value_numel(a->t);
    return a->n;
}

/* Writes `static const TYPE NAME[count] = {v0, v1, ...};` (count >= 1). */
static void ml_emit_i64s(Emit *e, const char *name, const int64_t *v, int64_t count) {
    emitf(e, "    static const int64_t %s[%lld] = {", name, LL(count));
    for (int64_t i = 0; i < count; i++)
        emitf(e, "%s%s%lld", i ? "," : "", i % 16 == 15 ? "\n        " : "", LL(v[i]));
    emitf(e, "};\n");
}

static void ml_emit_f64s(Emit *e, const char *name, const double *v, int64_t count) {
    emitf(e, "    static const double %s[%lld] = {", name, LL(count));
    for (int64_t i = 0; i < count; i++)
        emitf(e, "%s%s%s", i ? "," : "", i % 8 == 7 ? "\n        " : "", ml_double_lit(e, v[i]));
    emitf(e, "};\n");
}

/* ---------------------------------------------------------------- Binarizer */

bool emit_binarizer(Emit *e) {
    const Node *n = e->node;
    DType t = n->in[0]->dtype;
    int64_t cnt = value_numel(n->in[0]);
    if (cnt == 0)
        return true;
    double thr = attr_float(n, "threshold", 0.0);
    const char *T = dtype_ctype_compute(t);
    emitf(e, "    for (int64_t i = 0; i < %lldLL; i++) {\n", LL(cnt));
    emitf(e, "        const double v = (double)%s;\n", emit_load(e, t, "x0", "i"));
    e->indent = 2;
    emit_store(e, t, "y0", "i", arena_printf(e->ctx->arena, "(%s)(v > %s ? 1 : 0)", T, ml_double_lit(e, thr)));
    e->indent = 1;
    emitf(e, "    }\n");
    return true;
}

/* ---------------------------------------------------------------- ArrayFeatureExtractor */

bool emit_array_feature_extractor(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[0], *y = n->in[1];
    int64_t last = x->dims[x->rank - 1], rows = last ? value_numel(x) / last : 0, k = value_numel(y);
    if (rows == 0 || k == 0)
        return true;
    if (last == 0)
        return emit_error(e, "X has an empty last dimension");
    emitf(e, "    for (int64_t j = 0; j < %lldLL; j++) {\n", LL(k));
    emitf(e, "        int64_t i = (int64_t)x1[j];\n");
    emitf(e, "        if (i < 0) i += %lldLL;\n", LL(last));
    emitf(e, "        if (i < 0 || i >= %lldLL) return -%d; /* DLCC_ERR_INDEX */\n", LL(last), DLCC_ERR_INDEX);
    emitf(e, "        for (int64_t r = 0; r < %lldLL; r++)\n", LL(rows));
    emitf(e, "            y0[r * %lldLL + j] = x0[r * %lldLL + i];\n", LL(k), LL(last));
    emitf(e, "    }\n");
    return true;
}

/* ---------------------------------------------------------------- TreeEnsemble */

/* post_transform on acc[0..nt) (onnxruntime's definitions): 1 SOFTMAX,
 * 2 LOGISTIC, 3 SOFTMAX_ZERO (a softmax that leaves zeros at zero). */
static void ml_emit_post_transform(Emit *e, int64_t post, int64_t nt) {
    if (post == 2) {
        emitf(e, "        for (int64_t k = 0; k < %lldLL; k++)\n", LL(nt));
        emitf(e, "            acc[k] = 1.0 / (1.0 + exp(-acc[k]));\n");
    } else if (post == 1 || post == 3) {
        emitf(e, "        double mx = acc[0], sum = 0.0;\n");
        emitf(e, "        for (int64_t k = 1; k < %lldLL; k++)\n", LL(nt));
        emitf(e, "            mx = acc[k] > mx ? acc[k] : mx;\n");
        emitf(e, "        for (int64_t k = 0; k < %lldLL; k++) {\n", LL(nt));
        if (post == 3)
            emitf(e, "            acc[k] = acc[k] != 0.0 ? exp(acc[k] - mx) : 0.0;\n");
        else
            emitf(e, "            acc[k] = exp(acc[k] - mx);\n");
        emitf(e, "            sum += acc[k];\n");
        emitf(e, "        }\n");
        emitf(e, "        for (int64_t k = 0; k < %lldLL; k++)\n", LL(nt));
        emitf(e, "            acc[k] = sum > 0.0 ? acc[k] / sum : acc[k];\n");
    }
}

bool emit_tree_ensemble(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[0], *yv = n->out[0];
    Arena *ar = e->ctx->arena;
    DType t = x->dtype;
    int64_t N = x->dims[0], F = x->dims[1];
    int64_t nn = ml_attr_len(n, "nodes_splits"), nl = ml_attr_len(n, "leaf_weights");
    int64_t nr = ml_attr_len(n, "tree_roots"), nm = ml_attr_len(n, "membership_values");
    int64_t nt = attr_int(n, "n_targets", 1), agg = attr_int(n, "aggregate_function", 1);
    if (N == 0)
        return true;
    int64_t *feat = ARENA_ARRAY(ar, int64_t, nn), *mode = ARENA_ARRAY(ar, int64_t, nn);
    int64_t *next = ARENA_ARRAY(ar, int64_t, 2 * nn), *leaf = ARENA_ARRAY(ar, int64_t, 2 * nn);
    int64_t *miss = ARENA_ARRAY(ar, int64_t, nn), *mset = ARENA_ARRAY(ar, int64_t, 2 * nn);
    double *split = ARENA_ARRAY(ar, double, nn), *member = ARENA_ARRAY(ar, double, nm + 1);
    int64_t n_member = 0, mpos = 0;
    bool any_member = false, any_miss = false;
    for (int64_t i = 0; i < nn; i++) {
        feat[i] = (int64_t)ml_attr_at(n, "nodes_featureids", i, 0);
        mode[i] = (int64_t)ml_attr_at(n, "nodes_modes", i, 0);
        split[i] = ml_attr_at(n, "nodes_splits", i, 0);
        next[2 * i] = (int64_t)ml_attr_at(n, "nodes_truenodeids", i, 0);
        next[2 * i + 1] = (int64_t)ml_attr_at(n, "nodes_falsenodeids", i, 0);
        leaf[2 * i] = ml_attr_at(n, "nodes_trueleafs", i, 0) != 0;
        leaf[2 * i + 1] = ml_attr_at(n, "nodes_falseleafs", i, 0) != 0;
        miss[i] = ml_attr_at(n, "nodes_missing_value_tracks_true", i, 0) != 0;
        any_miss |= miss[i] != 0;
        if (isnan(split[i]))
            split[i] = 0; /* unused (a membership node) */
        mset[2 * i] = mset[2 * i + 1] = 0;
        if (mode[i] == 6) {
            /* the node's set: the next run of membership_values up to a NaN */
            any_member = true;
            mset[2 * i] = n_member;
            while (mpos < nm) {
                double v = ml_attr_at(n, "membership_values", mpos++, NAN);
                if (isnan(v))
                    break;
                member[n_member++] = v;
            }
            mset[2 * i + 1] = n_member - mset[2 * i];
        }
    }
    int64_t *lt = ARENA_ARRAY(ar, int64_t, nl), *roots = ARENA_ARRAY(ar, int64_t, nr);
    int64_t *rleaf = ARENA_ARRAY(ar, int64_t, nr);
    double *lw = ARENA_ARRAY(ar, double, nl);
    for (int64_t i = 0; i < nl; i++) {
        lw[i] = ml_attr_at(n, "leaf_weights", i, 0);
        lt[i] = (int64_t)ml_attr_at(n, "leaf_targetids", i, 0);
    }
    for (int64_t r = 0; r < nr; r++) {
        int64_t i = roots[r] = (int64_t)ml_attr_at(n, "tree_roots", r, 0);
        if (i < 0 || i >= nn)
            return emit_error(e, "tree root %lld out of range", LL(i));
        rleaf[r] = leaf[2 * i] && leaf[2 * i + 1] && next[2 * i] == next[2 * i + 1];
        if (rleaf[r] && i >= nl)
            return emit_error(e, "tree %lld is a leaf %lld out of range", LL(r), LL(i));
    }
    ml_emit_i64s(e, "feat", feat, nn);
    ml_emit_i64s(e, "mode", mode, nn);
    ml_emit_f64s(e, "split", split, nn);
    ml_emit_i64s(e, "next", next, 2 * nn);
    ml_emit_i64s(e, "isleaf", leaf, 2 * nn);
    if (any_miss)
        ml_emit_i64s(e, "miss", miss, nn);
    if (any_member) {
        ml_emit_i64s(e, "mset", mset, 2 * nn);
        if (n_member > 0)
            ml_emit_f64s(e, "member", member, n_member);
    }
    ml_emit_f64s(e, "lw", lw, nl);
    ml_emit_i64s(e, "lt", lt, nl);
    ml_emit_i64s(e, "root", roots, nr);
    ml_emit_i64s(e, "rleaf", rleaf, nr);
    double big = t == DT_F64 ? 1.7976931348623157e308 : t == DT_F16 ? 65504.0 : t == DT_BF16 ? 3.3895313892515355e38
                                                                                             : 3.4028234663852886e38;
    const char *init = agg == 2 ? ml_double_lit(e, big) : agg == 3 ? ml_double_lit(e, -big) : "0.0";
    emitf(e, "    for (int64_t b = 0; b < %lldLL; b++) {\n", LL(N));
    emitf(e, "        double acc[%lld];\n", LL(nt));
    emitf(e, "        for (int64_t k = 0; k < %lldLL; k++)\n            acc[k] = %s;\n", LL(nt), init);
    emitf(e, "        for (int64_t r = 0; r < %lldLL; r++) {\n", LL(nr));
    emitf(e, "            int64_t i = root[r];\n");
    emitf(e, "            int64_t at_leaf = rleaf[r];\n");
    emitf(e, "            for (int64_t steps = 0; !at_leaf; steps++) {\n");
    emitf(e, "                if (steps > %lldLL) return -%d; /* DLCC_ERR_INDEX: a cycle */\n", LL(nn), DLCC_ERR_INDEX);
    emitf(e, "                const double v = (double)%s;\n",
          emit_load(e, t, "x0", arena_printf(ar, "b * %lldLL + feat[i]", LL(F))));
    emitf(e, "                int go = 0;\n");
    emitf(e, "                switch (mode[i]) {\n");
    emitf(e, "                case 0: go = v <= split[i]; break;\n");
    emitf(e, "                case 1: go = v < split[i]; break;\n");
    emitf(e, "                case 2: go = v >= split[i]; break;\n");
    emitf(e, "                case 3: go = v > split[i]; break;\n");
    emitf(e, "                case 4: go = v == split[i]; break;\n");
    emitf(e, "                case 5: go = v != split[i]; break;\n");
    if (any_member && n_member > 0)
        emitf(e, "                case 6: for (int64_t m = 0; m < mset[2 * i + 1]; m++) go |= v == member[mset[2 * i] + m]; break;\n");
    emitf(e, "                default: break;\n");
    emitf(e, "                }\n");
    if (any_miss)
        emitf(e, "                if (!go && miss[i] && isnan(v)) go = 1;\n");
    emitf(e, "                const int64_t w = 2 * i + (go ? 0 : 1);\n");
    emitf(e, "                at_leaf = isleaf[w];\n");
    emitf(e, "                i = next[w];\n");
    emitf(e, "            }\n");
    emitf(e, "            if (i < 0 || i >= %lldLL) return -%d; /* DLCC_ERR_INDEX */\n", LL(nl), DLCC_ERR_INDEX);
    switch (agg) {
    case 0: emitf(e, "            acc[lt[i]] += lw[i] / %lld.0;\n", LL(nr)); break;
    case 2: emitf(e, "            if (lw[i] < acc[lt[i]]) acc[lt[i]] = lw[i];\n"); break;
    case 3: emitf(e, "            if (lw[i] > acc[lt[i]]) acc[lt[i]] = lw[i];\n"); break;
    default: emitf(e, "            acc[lt[i]] += lw[i];\n"); break;
    }
    emitf(e, "        }\n");
    ml_emit_post_transform(e, attr_int(n, "post_transform", 0), nt);
    emitf(e, "        for (int64_t k = 0; k < %lldLL; k++) {\n", LL(nt));
    e->indent = 3;
    emit_store(e, yv->dtype, "y0", arena_printf(ar, "b * %lldLL + k", LL(nt)),
               arena_printf(ar, "(%s)acc[k]", dtype_ctype_compute(yv->dtype)));
    e->indent = 1;
    emitf(e, "        }\n");
    emitf(e, "    }\n");
    return true;
}

/* ---------------------------------------------------------------- TfIdfVectorizer */

bool emit_tfidf_vectorizer(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[0], *y = n->out[0];
    Arena *ar = e->ctx->arena;
    const Attr *pool_a = node_attr(n, "pool_int64s"), *cnt_a = node_attr(n, "ngram_counts");
    const Attr *idx_a = node_attr(n, "ngram_indexes"), *w_a = node_attr(n, "weights");
    int64_t total = pool_a && pool_a->kind == AT_INTS ? pool_a->n : 0;
    int64_t mn = attr_int(n, "min_gram_length", 1), mx = attr_int(n, "max_gram_length", 1);
    int64_t skip = attr_int(n, "max_skip_count", 0);
    const char *mode = attr_string(n, "mode", "TF");
    int64_t out = y->dims[y->rank - 1];
    int64_t rows = x->rank == 2 ? x->dims[0] : 1, C = x->rank == 0 ? 1 : x->dims[x->rank - 1];
    /* the kept n-grams: offset into the pool, length, output index */
    int64_t *goff = ARENA_ARRAY(ar, int64_t, total + 1), *glen = ARENA_ARRAY(ar, int64_t, total + 1);
    int64_t *gidx = ARENA_ARRAY(ar, int64_t, total + 1);
    int64_t G = 0, id = 0;
    for (int i = 0; cnt_a && i < cnt_a->n; i++) {
        int64_t size = i + 1, start = cnt_a->ints[i];
        int64_t end = i + 1 < cnt_a->n ? cnt_a->ints[i + 1] : total;
        if (start < 0 || end > total || start > end)
            return emit_error(e, "ngram_counts does not fit the pool of %lld items", LL(total));
        int64_t count = (end - start) / size;
        for (int64_t k = 0; k < count; k++, id++) {
            if (size < mn || size > mx)
                continue;
            if (id >= idx_a->n)
                return emit_error(e, "ngram_indexes has no entry for n-gram %lld", LL(id));
            int64_t off = start + k * size, g;
            for (g = 0; g < G; g++)
                if (glen[g] == size && !memcmp(&pool_a->ints[goff[g]], &pool_a->ints[off], sizeof(int64_t) * (size_t)size))
                    break;
            goff[g] = off, glen[g] = size, gidx[g] = idx_a->ints[id];
            if (g == G)
                G++;
        }
    }
    int64_t ny = value_numel(y);
    if (ny == 0)
        return true;
    emitf(e, "    for (int64_t o = 0; o < %lldLL; o++)\n        y0[o] = 0.0f;\n", LL(ny));
    if (G > 0 && C > 0) {
        ml_emit_i64s(e, "pool", pool_a->ints, total);
        ml_emit_i64s(e, "goff", goff, G);
        ml_emit_i64s(e, "glen", glen, G);
        ml_emit_i64s(e, "gidx", gidx, G);
        emitf(e, "    for (int64_t b = 0; b < %lldLL; b++) {\n", LL(rows));
        emitf(e, "        for (int64_t d = 1; d <= %lldLL; d++) {\n", LL(skip + 1));
        emitf(e, "            const int64_t minn = d == 1 ? %lldLL : %lldLL;\n", LL(mn), LL(mn < 2 ? 2 : mn));
        emitf(e, "            for (int64_t s = 0; s < %lldLL; s++)\n", LL(C));
        emitf(e, "                for (int64_t g = 0; g < %lldLL; g++) {\n", LL(G));
        emitf(e, "                    const int64_t len = glen[g];\n");
        emitf(e, "                    if (len < minn || s + d * (len - 1) >= %lldLL)\n", LL(C));
        emitf(e, "                        continue;\n");
        emitf(e, "                    int64_t k = 0;\n");
        emitf(e, "                    while (k < len && (int64_t)x0[b * %lldLL + s + d * k] == pool[goff[g] + k])\n", LL(C));
        emitf(e, "                        k++;\n");
        emitf(e, "                    if (k == len)\n");
        emitf(e, "                        y0[b * %lldLL + gidx[g]] += 1.0f;\n", LL(out));
        emitf(e, "                }\n");
        emitf(e, "        }\n");
        emitf(e, "    }\n");
    }
    bool has_w = w_a && w_a->kind == AT_FLOATS && w_a->n > 0;
    if (!strcmp(mode, "TF") || (!strcmp(mode, "TFIDF") && !has_w))
        return true;
    if (has_w) {
        emitf(e, "    static const float wts[%lld] = {", LL(out));
        for (int64_t i = 0; i < out; i++)
            emitf(e, "%s%s(float)%s", i ? "," : "", i % 8 == 7 ? "\n        " : "", ml_double_lit(e, w_a->floats[i]));
        emitf(e, "};\n");
    }
    emitf(e, "    for (int64_t o = 0; o < %lldLL; o++)\n", LL(ny));
    if (!strcmp(mode, "IDF") && has_w)
        emitf(e, "        y0[o] = y0[o] > 0.0f ? wts[o %% %lldLL] : 0.0f;\n", LL(out));
    else if (!strcmp(mode, "IDF"))
        emitf(e, "        y0[o] = y0[o] > 0.0f ? 1.0f : 0.0f;\n");
    else
        emitf(e, "        y0[o] = wts[o %% %lldLL] * y0[o];\n", LL(out));
    return true;
}
