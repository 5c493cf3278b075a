/*
 * shape_string.c: shape functions of the string operators (ops_string.def):
 * StringConcat, StringSplit, StringNormalizer, RegexFullMatch and the
 * ai.onnx.ml LabelEncoder.
 *
 * StringSplit's last output dimension and StringNormalizer's output length
 * depend on the data.  A static compiler needs them at compile time, so
 * they come from the model's declared output shape: the ONNX reader copies
 * the declared type of a graph output made by these ops into the internal
 * string attribute "__dims<K>" (e.g. "2,6" or "N,3"; symbolic names are
 * looked up in the --dim bindings), which the IR text keeps.  The kernels
 * then check at run time that the data fits (-DLCC_ERR_SHAPE otherwise).
 *
 * LabelEncoder's keys and values come from keys_strings / keys_int64s /
 * keys_floats / keys_tensor and the matching values_* attributes; the
 * output dtype is the values' dtype and the input must have the keys'.
 */
#include "ir.h"

#include <stdlib.h>
#include <string.h>

static bool need_string(Node *n, Ctx *c, int i) {
    if (n->in[i]->dtype != DT_STRING)
        return node_error(c, n, "input %d must be a string tensor, not %s", i, dtype_name(n->in[i]->dtype));
    return true;
}

bool shape_string_concat(Node *n, Ctx *c) {
    int rank;
    int64_t dims[DLCC_MAX_RANK];
    if (!need_string(n, c, 0) || !need_string(n, c, 1))
        return false;
    const Value *a = n->in[0], *b = n->in[1];
    if (!broadcast_dims(a->rank, a->dims, b->rank, b->dims, &rank, dims))
        return node_error(c, n, "shapes %s and %s do not broadcast", value_type_str(c->arena, a),
                          value_type_str(c->arena, b));
    value_set_shape(n->out[0], DT_STRING, rank, dims);
    return true;
}

bool shape_string_split(Node *n, Ctx *c) {
    const Value *x = n->in[0];
    if (!need_string(n, c, 0))
        return false;
    if (x->rank + 1 > DLCC_MAX_RANK)
        return node_error(c, n, "input rank %d is too large", x->rank);
    int rank;
    int64_t dims[DLCC_MAX_RANK], fill[DLCC_MAX_RANK];
    memcpy(fill, x->dims, sizeof(int64_t) * (size_t)x->rank);
    fill[x->rank] = value_numel(x) == 0 ? 0 : -1; /* no strings: no pieces */
    if (!node_declared_dims(n, c, 0, &rank, dims, fill, x->rank + 1))
        return node_error(c, n, "the last dimension of output 'substrings' depends on the data: declare the "
                                "output's shape in the model (or bind its symbolic dimension with --dim)");
    if (rank != x->rank + 1 || memcmp(dims, x->dims, sizeof(int64_t) * (size_t)x->rank))
        return node_error(c, n, "declared shape of output 'substrings' must be the input's shape plus one dimension");
    value_set_shape(n->out[0], DT_STRING, rank, dims);
    value_set_shape(n->out[1], DT_I64, x->rank, x->dims);
    return true;
}

bool shape_string_normalizer(Node *n, Ctx *c) {
    const Value *x = n->in[0];
    if (!need_string(n, c, 0))
        return false;
    if (!(x->rank == 1 || (x->rank == 2 && x->dims[0] == 1)))
        return node_error(c, n, "input must be [C] or [1, C], not %s", value_type_str(c->arena, x));
    const char *act = attr_string(n, "case_change_action", "NONE");
    if (strcmp(act, "NONE") && strcmp(act, "LOWER") && strcmp(act, "UPPER"))
        return node_error(c, n, "case_change_action must be NONE, LOWER or UPPER, not \"%s\"", act);
    const Attr *sw = node_attr(n, "stopwords");
    if (!sw || sw->n == 0) { /* no stopwords: same shape */
        value_set_shape(n->out[0], DT_STRING, x->rank, x->dims);
        return true;
    }
    int rank;
    int64_t dims[DLCC_MAX_RANK], fill[2] = {1, -1};
    if (!node_declared_dims(n, c, 0, &rank, dims, fill, 2))
        return node_error(c, n, "the output's length depends on the stopwords found: declare the output's shape "
                                "in the model (or bind its symbolic dimension with --dim)");
    if (rank != x->rank || (rank == 2 && dims[0] != 1) || dims[rank - 1] > x->dims[rank - 1] ||
        dims[rank - 1] < 1)
        return node_error(c, n, "declared output shape does not fit input %s", value_type_str(c->arena, x));
    value_set_shape(n->out[0], DT_STRING, rank, dims);
    return true;
}

bool shape_regex_full_match(Node *n, Ctx *c) {
    if (!need_string(n, c, 0))
        return false;
    if (!attr_string(n, "pattern", NULL))
        return node_error(c, n, "attribute 'pattern' is required");
    value_set_shape(n->out[0], DT_BOOL, n->in[0]->rank, n->in[0]->dims);
    return true;
}

/* LabelEncoder: the dtype and length of a keys_* / values_* table. */
static DType label_table(const Node *n, const char *what, int64_t *len) {
    char name[32];
    const Attr *a;
    snprintf(name, sizeof name, "%s_strings", what);
    if ((a = node_attr(n, name)) && a->kind == AT_STRINGS)
        return *len = a->n, DT_STRING;
    snprintf(name, sizeof name, "%s_int64s", what);
    if ((a = node_attr(n, name)) && a->kind == AT_INTS)
        return *len = a->n, DT_I64;
    snprintf(name, sizeof name, "%s_floats", what);
    if ((a = node_attr(n, name)) && a->kind == AT_FLOATS)
        return *len = a->n, DT_F32;
    snprintf(name, sizeof name, "%s_tensor", what);
    if ((a = node_attr(n, name)) && a->kind == AT_TENSOR && a->t && (a->t->data || value_numel(a->t) == 0))
        return *len = value_numel(a->t), a->t->dtype;
    *len = 0;
    return DT_UNDEF;
}

bool shape_label_encoder(Node *n, Ctx *c) {
    const Value *x = n->in[0];
    int64_t nk, nv;
    DType kt = label_table(n, "keys", &nk), vt = label_table(n, "values", &nv);
    if (kt == DT_UNDEF || vt == DT_UNDEF)
        return node_error(c, n, "needs keys (keys_strings, keys_int64s, keys_floats or keys_tensor) and values");
    if (nk != nv)
        return node_error(c, n, "%lld keys but %lld values", (long long)nk, (long long)nv);
    if (kt != x->dtype && !(dtype_is_int(kt) && dtype_is_int(x->dtype)) &&
        !(dtype_is_float(kt) && dtype_is_float(x->dtype)))
        return node_error(c, n, "keys are %s but the input is %s", dtype_name(kt), dtype_name(x->dtype));
    if (!(kt == DT_STRING || dtype_is_int(kt) || dtype_is_float(kt)) ||
        !(vt == DT_STRING || dtype_is_int(vt) || dtype_is_float(vt)))
        return node_error(c, n, "unsupported key or value type");
    const Attr *d = node_attr(n, "default_tensor");
    if (d && d->kind == AT_TENSOR && d->t && (d->t->dtype != vt || value_numel(d->t) < 1 || !d->t->data))
        return node_error(c, n, "default_tensor must hold one %s", dtype_name(vt));
    value_set_shape(n->out[0], vt, x->rank, x->dims);
    return true;
}
