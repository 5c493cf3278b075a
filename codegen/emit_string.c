/*
 * emit_string.c: kernels of the string operators (ops_string.def) and the
 * string paths of Equal and Cast/CastLike.
 *
 * A string tensor is an array of `dlcc_str` (const char *), one per element.
 * Kernels that only pick strings (Equal, LabelEncoder to numbers,
 * StringNormalizer without a case change) copy pointers: outputs may point
 * into the caller's inputs or into static const literals written into the
 * kernel.  Kernels that make new strings call emit_string_arena(), so their
 * ws is the state's string arena (runtime/strings.h allocates from it and
 * returns NULL when it is full: the kernel returns -DLCC_ERR_STRING).
 * Broadcasting kernels compute each operand's index from the flat output
 * index with compile-time dims and strides.  RegexFullMatch's pattern is
 * parsed here (an RE2 subset: literals, escapes, classes, groups,
 * alternation, * + ? {m,n}, ^ $ \b) into a Thompson NFA written as a static
 * table that runtime/strings.h runs over the code points of each string.
 */
#include <stdlib.h>
#include <string.h>

#include "codegen.h"

#define LL(x) ((long long)(x))

void emit_string_literal(Emit *e, const char *s) {
    emitf(e, "\"");
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\' || *p == '?')
            emitf(e, "\\%c", *p);
        else if (*p >= 0x20 && *p < 0x7f)
            emitf(e, "%c", *p);
        else
            emitf(e, "\\%03o", *p);
    }
    emitf(e, "\"");
}

/* static const dlcc_str NAME[n] = {...}; (one "" entry when n is 0) */
static void emit_string_array(Emit *e, const char *name, const char *const *s, int64_t n) {
    emitf(e, "    static const dlcc_str %s[%lld] = {", name, LL(n > 0 ? n : 1));
    for (int64_t i = 0; i < n; i++) {
        emitf(e, "%s", i ? ", " : "");
        emit_string_literal(e, s[i]);
    }
    emitf(e, "%s};\n", n > 0 ? "" : "\"\"");
}

/* Opens `for (i ...) {` over the output with ia/ib the indices of a and b
 * under ONNX broadcasting. */
static void emit_bcast_loop(Emit *e, const Value *y, const Value *a, const Value *b) {
    int r = y->rank;
    emitf(e, "    for (int64_t i = 0; i < %lld; i++) {\n        int64_t ia = 0, ib = 0;\n", LL(value_numel(y)));
    if (r == 0)
        return;
    int64_t sa[DLCC_MAX_RANK], sb[DLCC_MAX_RANK], ma = 1, mb = 1;
    for (int d = r - 1; d >= 0; d--) {
        int da = d - (r - a->rank), db = d - (r - b->rank);
        sa[d] = da >= 0 && a->dims[da] != 1 ? ma : 0;
        sb[d] = db >= 0 && b->dims[db] != 1 ? mb : 0;
        if (da >= 0)
            ma *= a->dims[da];
        if (db >= 0)
            mb *= b->dims[db];
    }
    emitf(e, "        static const int64_t od[%d] = {", r);
    for (int d = 0; d < r; d++)
        emitf(e, "%s%lld", d ? ", " : "", LL(y->dims[d]));
    emitf(e, "}, sa[%d] = {", r);
    for (int d = 0; d < r; d++)
        emitf(e, "%s%lld", d ? ", " : "", LL(sa[d]));
    emitf(e, "}, sb[%d] = {", r);
    for (int d = 0; d < r; d++)
        emitf(e, "%s%lld", d ? ", " : "", LL(sb[d]));
    emitf(e, "};\n        int64_t rest = i;\n"
             "        for (int d = %d; d >= 0; d--) {\n"
             "            int64_t q = rest %% od[d];\n            rest /= od[d];\n"
             "            ia += q * sa[d];\n            ib += q * sb[d];\n        }\n", r - 1);
}

bool emit_string_compare(Emit *e) {
    const Node *n = e->node;
    if (n->op != OP_EQUAL)
        return emit_error(e, "%s is not defined on strings", node_info(n)->name);
    if (value_numel(n->out[0]) == 0)
        return true;
    emit_bcast_loop(e, n->out[0], n->in[0], n->in[1]);
    emitf(e, "        (void)ia;\n        (void)ib;\n        y0[i] = (uint8_t)(strcmp(x0[ia], x1[ib]) == 0);\n    }\n");
    return true;
}

bool emit_string_concat(Emit *e) {
    const Node *n = e->node;
    if (value_numel(n->out[0]) == 0)
        return true;
    emit_use_runtime(e, "strings");
    const char *ws = emit_string_arena(e);
    emit_bcast_loop(e, n->out[0], n->in[0], n->in[1]);
    emitf(e, "        (void)ia;\n        (void)ib;\n"
             "        if (!(y0[i] = dlcc_str_concat(%s, x0[ia], x1[ib])))\n            return -DLCC_ERR_STRING;\n    }\n",
          ws);
    return true;
}

bool emit_string_split(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[0], *y = n->out[0];
    int64_t count = value_numel(x), width = y->dims[y->rank - 1];
    if (count == 0)
        return true;
    emit_use_runtime(e, "strings");
    const char *ws = emit_string_arena(e);
    const char *delim = attr_string(n, "delimiter", NULL);
    emitf(e, "    for (int64_t i = 0; i < %lld; i++) {\n        int64_t k = dlcc_str_split(%s, x0[i], ", LL(count), ws);
    if (delim && *delim)
        emit_string_literal(e, delim);
    else
        emitf(e, "NULL");
    emitf(e, ", %lld, y0 + i * %lld, %lld);\n", LL(attr_int(n, "maxsplit", -1)), LL(width), LL(width));
    emitf(e, "        if (k == -1)\n            return -DLCC_ERR_STRING;\n"
             "        if (k < 0)\n            return -DLCC_ERR_SHAPE; /* more pieces than the declared width */\n"
             "        y1[i] = k;\n    }\n");
    return true;
}

bool emit_string_normalizer(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[0], *y = n->out[0];
    const char *act = attr_string(n, "case_change_action", "NONE");
    int up = !strcmp(act, "UPPER"), low = !strcmp(act, "LOWER");
    int icase = attr_int(n, "is_case_sensitive", 0) == 0;
    const Attr *sw = node_attr(n, "stopwords");
    int64_t nsw = sw && sw->kind == AT_STRINGS ? sw->n : 0;
    int64_t count = value_numel(x), width = value_numel(y);
    emit_use_runtime(e, "strings");
    const char *ws = (up || low) ? emit_string_arena(e) : "ws";
    if (nsw)
        emit_string_array(e, "stop", sw->strings, nsw);
    emitf(e, "    int64_t k = 0;\n    for (int64_t i = 0; i < %lld; i++) {\n        dlcc_str s = x0[i];\n", LL(count));
    if (nsw)
        emitf(e, "        int drop = 0;\n"
                 "        for (int j = 0; j < %lld && !drop; j++)\n            drop = dlcc_str_equal(s, stop[j], %d);\n"
                 "        if (drop)\n            continue;\n", LL(nsw), icase);
    emitf(e, "        if (k >= %lld)\n            return -DLCC_ERR_SHAPE;\n", LL(width));
    if (up || low)
        emitf(e, "        if (!(s = dlcc_str_case(%s, s, %d)))\n            return -DLCC_ERR_STRING;\n", ws, up);
    emitf(e, "        y0[k++] = s;\n    }\n");
    emitf(e, "    if (k == 0 && %lld == 1)\n        y0[k++] = \"\"; /* every string dropped */\n", LL(width));
    emitf(e, "    if (k != %lld)\n        return -DLCC_ERR_SHAPE; /* not the declared output length */\n", LL(width));
    return true;
}

/* ---------------------------------------------------------------- Cast */

bool emit_string_cast(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[0], *y = n->out[0];
    DType from = x->dtype, to = y->dtype;
    int64_t count = value_numel(x);
    if (count == 0)
        return true;
    emit_use_runtime(e, "strings");
    if (from == DT_STRING && to == DT_STRING) {
        emitf(e, "    for (int64_t i = 0; i < %lld; i++)\n        y0[i] = x0[i];\n", LL(count));
        return true;
    }
    if (from == DT_STRING) {
        const char *v;
        if (to == DT_F32 || to == DT_F16 || to == DT_BF16)
            v = "dlcc_str_to_float(x0[i])";
        else if (dtype_is_float(to))
            v = "dlcc_str_to_double(x0[i])";
        else if (to == DT_BOOL)
            v = "(uint8_t)(dlcc_str_to_double(x0[i]) != 0)";
        else if (dtype_is_int(to))
            v = arena_printf(e->ctx->arena, "(%s)strtoll(x0[i], NULL, 10)", dtype_ctype(to));
        else
            return emit_error(e, "cast from string to %s is not supported", dtype_name(to));
        emitf(e, "    for (int64_t i = 0; i < %lld; i++) {\n", LL(count));
        emit_store(e, to, "y0", "i", v);
        emitf(e, "    }\n");
        return true;
    }
    const char *ws = emit_string_arena(e);
    emitf(e, "    for (int64_t i = 0; i < %lld; i++) {\n", LL(count));
    const char *load = emit_load(e, from, "x0", "i");
    if (from == DT_BOOL)
        emitf(e, "        y0[i] = %s ? \"True\" : \"False\";\n", load);
    else if (dtype_is_float(from))
        emitf(e, "        y0[i] = dlcc_str_from_double(%s, (double)(%s), %d);\n", ws, load, from != DT_F64);
    else if (dtype_is_int(from))
        emitf(e, "        y0[i] = dlcc_str_from_int(%s, (long long)(%s));\n", ws, load);
    else
        return emit_error(e, "cast from %s to string is not supported", dtype_name(from));
    emitf(e, "        if (!y0[i])\n            return -DLCC_ERR_STRING;\n    }\n");
    return true;
}

/* ---------------------------------------------------------------- LabelEncoder */

typedef struct Table {
    DType t;
    int64_t n;
    const char *const *s;
    const int64_t *i;
    const double *f;
    const Value *v;
} Table;

static bool label_table(const Node *n, const char *what, Table *tb) {
    char name[32];
    const Attr *a;
    memset(tb, 0, sizeof *tb);
    snprintf(name, sizeof name, "%s_strings", what);
    if ((a = node_attr(n, name)) && a->kind == AT_STRINGS) {
        tb->t = DT_STRING, tb->n = a->n, tb->s = a->strings;
        return true;
    }
    snprintf(name, sizeof name, "%s_int64s", what);
    if ((a = node_attr(n, name)) && a->kind == AT_INTS) {
        tb->t = DT_I64, tb->n = a->n, tb->i = a->ints;
        return true;
    }
    snprintf(name, sizeof name, "%s_floats", what);
    if ((a = node_attr(n, name)) && a->kind == AT_FLOATS) {
        tb->t = DT_F32, tb->n = a->n, tb->f = a->floats;
        return true;
    }
    snprintf(name, sizeof name, "%s_tensor", what);
    if ((a = node_attr(n, name)) && a->kind == AT_TENSOR && a->t) {
        tb->t = a->t->dtype, tb->n = value_numel(a->t), tb->v = a->t;
        if (tb->t == DT_STRING)
            tb->s = a->t->data;
        return true;
    }
    return false;
}

/* Element k of a table as a C literal of its kind (string, integer or double). */
static void emit_table_elem(Emit *e, const Table *tb, int64_t k) {
    if (tb->t == DT_STRING) {
        emit_string_literal(e, tb->s ? tb->s[k] : "");
    } else if (dtype_is_float(tb->t)) {
        double x = tb->f ? tb->f[k] : data_get_f64(tb->t, tb->v->data, k);
        if (x != x)
            emitf(e, "NAN");
        else if (x > 1.7976931348623157e308 || x < -1.7976931348623157e308)
            emitf(e, "%sINFINITY", x < 0 ? "-" : "");
        else
            emitf(e, "%.17g", x);
    } else {
        long long v = tb->i ? tb->i[k] : data_get_i64(tb->t, tb->v->data, k);
        if (v == INT64_MIN)
            emitf(e, "INT64_MIN");
        else
            emitf(e, "%lldLL", v);
    }
}

static const char *table_ctype(DType t) {
    return t == DT_STRING ? "dlcc_str" : dtype_is_float(t) ? "double" : "int64_t";
}

bool emit_label_encoder(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[0], *y = n->out[0];
    Table keys, vals, dflt;
    if (!label_table(n, "keys", &keys) || !label_table(n, "values", &vals))
        return emit_error(e, "missing keys or values");
    int64_t count = value_numel(x);
    if (count == 0)
        return true;
    emit_use_runtime(e, "strings");
    emitf(e, "    static const %s keys[%lld] = {", table_ctype(keys.t), LL(keys.n ? keys.n : 1));
    for (int64_t k = 0; k < keys.n; k++) {
        emitf(e, "%s", k ? ", " : "");
        emit_table_elem(e, &keys, k);
    }
    emitf(e, "%s};\n    static const %s vals[%lld] = {", keys.n ? "" : "0", table_ctype(vals.t), LL(vals.n ? vals.n : 1));
    for (int64_t k = 0; k < vals.n; k++) {
        emitf(e, "%s", k ? ", " : "");
        emit_table_elem(e, &vals, k);
    }
    emitf(e, "%s};\n    const %s dflt = ", vals.n ? "" : (vals.t == DT_STRING ? "\"\"" : "0"), table_ctype(vals.t));
    const Attr *d = node_attr(n, "default_tensor");
    if (d && d->kind == AT_TENSOR && d->t && d->t->data) {
        memset(&dflt, 0, sizeof dflt);
        dflt.t = d->t->dtype;
        dflt.v = d->t;
        if (dflt.t == DT_STRING)
            dflt.s = d->t->data;
        emit_table_elem(e, &dflt, 0);
    } else if (vals.t == DT_STRING) {
        emit_string_literal(e, attr_string(n, "default_string", "_Unused"));
    } else if (dtype_is_float(vals.t)) {
        emitf(e, "%.17g", attr_float(n, "default_float", -0.0));
    } else {
        emitf(e, "%lldLL", LL(attr_int(n, "default_int64", -1)));
    }
    emitf(e, ";\n    for (int64_t i = 0; i < %lld; i++) {\n        %s v = dflt;\n", LL(count), table_ctype(vals.t));
    const char *xv = keys.t == DT_STRING ? "x0[i]" : emit_load(e, x->dtype, "x0", "i");
    emitf(e, "        for (int64_t k = 0; k < %lld; k++)\n", LL(keys.n));
    if (keys.t == DT_STRING)
        emitf(e, "            if (strcmp(%s, keys[k]) == 0) {\n", xv);
    else if (dtype_is_float(keys.t))
        emitf(e, "            if ((double)(%s) == keys[k] || ((%s) != (%s) && keys[k] != keys[k])) {\n", xv, xv, xv);
    else
        emitf(e, "            if ((int64_t)(%s) == keys[k]) {\n", xv);
    emitf(e, "                v = vals[k];\n                break;\n            }\n");
    if (vals.t == DT_STRING)
        emitf(e, "        y0[i] = v;\n");
    else
        emit_store(e, y->dtype, "y0", "i", arena_printf(e->ctx->arena, "(%s)v", dtype_ctype_compute(y->dtype)));
    emitf(e, "    }\n");
    return true;
}

/* ---------------------------------------------------------------- RegexFullMatch */

enum { R_CHAR, R_ANY, R_CLASS, R_CAT, R_ALT, R_REP, R_BOL, R_EOL, R_WB, R_NWB };

typedef struct Re {
    int kind;
    int32_t c;
    int min, max;      /* R_REP; max -1: unbounded */
    struct Re **kids;  /* R_CAT, R_ALT; R_REP: kids[0] */
    int nk;
    int32_t *rg;       /* R_CLASS: pairs */
    int nrg;
    bool neg;
} Re;

typedef struct ReParser {
    const unsigned char *p;
    Arena *a;
    const char *err;
    int depth;
} ReParser;

#define RE_MAX_RANGES 512
#define RE_MAX_PROG 8192

static Re *re_new(ReParser *rp, int kind) {
    Re *r = ARENA_NEW(rp->a, Re);
    r->kind = kind;
    return r;
}

static void re_push(ReParser *rp, Re *r, Re *kid) {
    Re **k = ARENA_ARRAY(rp->a, Re *, r->nk + 1);
    if (r->nk)
        memcpy(k, r->kids, sizeof *k * (size_t)r->nk);
    k[r->nk++] = kid;
    r->kids = k;
}

static void re_range(ReParser *rp, Re *r, int32_t lo, int32_t hi) {
    int32_t *g = ARENA_ARRAY(rp->a, int32_t, 2 * (r->nrg + 1));
    if (r->nrg)
        memcpy(g, r->rg, sizeof *g * 2 * (size_t)r->nrg);
    g[2 * r->nrg] = lo;
    g[2 * r->nrg + 1] = hi;
    r->rg = g;
    r->nrg++;
}

/* Adds the ranges of \d \w \s (negated: their complement) to class r. */
static void re_shorthand(ReParser *rp, Re *r, char k, bool neg) {
    static const int32_t d[] = {'0', '9'}, w[] = {'0', '9', 'A', 'Z', '_', '_', 'a', 'z'},
                         s[] = {'\t', '\n', '\f', '\r', ' ', ' '};
    const int32_t *t = k == 'd' ? d : k == 'w' ? w : s;
    int n = k == 'd' ? 1 : k == 'w' ? 4 : 3;
    if (!neg) {
        for (int i = 0; i < n; i++)
            re_range(rp, r, t[2 * i], t[2 * i + 1]);
        return;
    }
    int32_t lo = 0;
    for (int i = 0; i < n; i++) {
        if (t[2 * i] > lo)
            re_range(rp, r, lo, t[2 * i] - 1);
        lo = t[2 * i + 1] + 1;
    }
    re_range(rp, r, lo, 0x10ffff);
}

static int32_t re_getc(ReParser *rp) {
    const unsigned char *s = rp->p;
    unsigned c = s[0];
    int n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
    int32_t cp = n == 1 ? (int32_t)c : (int32_t)(c & (0x7f >> n));
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            rp->p++;
            return (int32_t)c;
        }
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    rp->p += n;
    return cp;
}

static int re_hex(int c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* After a backslash: a literal code point, or -1 with *cls set to d/w/s/D/W/S. */
static int32_t re_escape(ReParser *rp, char *cls) {
    *cls = 0;
    int c = *rp->p;
    if (!c) {
        rp->err = "trailing backslash";
        return 0;
    }
    rp->p++;
    switch (c) {
    case 'd': case 'w': case 's': case 'D': case 'W': case 'S': *cls = (char)c; return -1;
    case 'n': return '\n';
    case 't': return '\t';
    case 'r': return '\r';
    case 'f': return '\f';
    case 'v': return '\v';
    case 'a': return 7;
    case 'x': {
        int h1 = re_hex(rp->p[0]), h2 = h1 >= 0 ? re_hex(rp->p[1]) : -1;
        if (h2 < 0) {
            rp->err = "bad \\x escape";
            return 0;
        }
        rp->p += 2;
        return h1 * 16 + h2;
    }
    default:
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
            rp->err = "unsupported escape";
            return 0;
        }
        rp->p--;
        return re_getc(rp);
    }
}

static Re *re_alt(ReParser *rp);

static Re *re_class(ReParser *rp) {
    Re *r = re_new(rp, R_CLASS);
    if (*rp->p == '^') {
        r->neg = true;
        rp->p++;
    }
    bool first = true;
    while (*rp->p && (*rp->p != ']' || first)) {
        first = false;
        int32_t lo;
        if (*rp->p == '\\') {
            rp->p++;
            char cls;
            lo = re_escape(rp, &cls);
            if (rp->err)
                return NULL;
            if (cls) {
                re_shorthand(rp, r, (char)(cls | 0x20), cls < 'a');
                continue;
            }
        } else {
            lo = re_getc(rp);
        }
        int32_t hi = lo;
        if (rp->p[0] == '-' && rp->p[1] && rp->p[1] != ']') {
            rp->p++;
            if (*rp->p == '\\') {
                rp->p++;
                char cls;
                hi = re_escape(rp, &cls);
                if (cls)
                    rp->err = "bad class range";
            } else {
                hi = re_getc(rp);
            }
            if (hi < lo)
                rp->err = "bad class range";
            if (rp->err)
                return NULL;
        }
        re_range(rp, r, lo, hi);
    }
    if (*rp->p != ']') {
        rp->err = "missing ]";
        return NULL;
    }
    rp->p++;
    return r;
}

static Re *re_atom(ReParser *rp) {
    int c = *rp->p;
    if (c == '(') {
        rp->p++;
        if (rp->p[0] == '?' && rp->p[1] == ':')
            rp->p += 2;
        else if (rp->p[0] == '?') {
            rp->err = "unsupported group flags";
            return NULL;
        }
        if (++rp->depth > 100) {
            rp->err = "groups nested too deeply";
            return NULL;
        }
        Re *r = re_alt(rp);
        rp->depth--;
        if (!r)
            return NULL;
        if (*rp->p != ')') {
            rp->err = "missing )";
            return NULL;
        }
        rp->p++;
        return r;
    }
    if (c == '[') {
        rp->p++;
        return re_class(rp);
    }
    if (c == '.') {
        rp->p++;
        return re_new(rp, R_ANY);
    }
    if (c == '^' || c == '$') {
        rp->p++;
        return re_new(rp, c == '^' ? R_BOL : R_EOL);
    }
    if (c == '*' || c == '+' || c == '?') {
        rp->err = "nothing to repeat";
        return NULL;
    }
    if (c == '\\') {
        rp->p++;
        int k = *rp->p;
        if (k == 'b' || k == 'B' || k == 'A' || k == 'z') {
            rp->p++;
            return re_new(rp, k == 'b' ? R_WB : k == 'B' ? R_NWB : k == 'A' ? R_BOL : R_EOL);
        }
        char cls;
        int32_t ch = re_escape(rp, &cls);
        if (rp->err)
            return NULL;
        if (cls) {
            Re *r = re_new(rp, R_CLASS);
            re_shorthand(rp, r, (char)(cls | 0x20), false);
            r->neg = cls < 'a';
            return r;
        }
        Re *r = re_new(rp, R_CHAR);
        r->c = ch;
        return r;
    }
    Re *r = re_new(rp, R_CHAR);
    r->c = re_getc(rp);
    return r;
}

/* {m}, {m,}, {m,n} at rp->p (after '{'); false (nothing consumed) when not one. */
static bool re_counts(ReParser *rp, int *min, int *max) {
    const unsigned char *s = rp->p + 1;
    if (*s < '0' || *s > '9')
        return false;
    long m = strtol((const char *)s, (char **)&s, 10), x = m;
    if (*s == ',') {
        s++;
        x = -1;
        if (*s >= '0' && *s <= '9')
            x = strtol((const char *)s, (char **)&s, 10);
    }
    if (*s != '}')
        return false;
    if (m > 1000 || x > 1000 || (x >= 0 && x < m)) {
        rp->err = "bad repetition count";
        return false;
    }
    *min = (int)m;
    *max = (int)x;
    rp->p = s + 1;
    return true;
}

static Re *re_cat(ReParser *rp) {
    Re *cat = re_new(rp, R_CAT);
    while (*rp->p && *rp->p != '|' && *rp->p != ')') {
        Re *a = re_atom(rp);
        if (!a)
            return NULL;
        for (;;) {
            int c = *rp->p, min, max;
            if (c == '*' || c == '+' || c == '?') {
                min = c == '+';
                max = c == '?' ? 1 : -1;
                rp->p++;
            } else if (c == '{' && re_counts(rp, &min, &max)) {
            } else {
                if (rp->err)
                    return NULL;
                break;
            }
            if (*rp->p == '?') /* lazy: the same for a full match */
                rp->p++;
            Re *r = re_new(rp, R_REP);
            r->min = min;
            r->max = max;
            re_push(rp, r, a);
            a = r;
        }
        re_push(rp, cat, a);
    }
    return cat;
}

static Re *re_alt(ReParser *rp) {
    Re *alt = re_new(rp, R_ALT);
    for (;;) {
        Re *c = re_cat(rp);
        if (!c)
            return NULL;
        re_push(rp, alt, c);
        if (*rp->p != '|')
            break;
        rp->p++;
    }
    return alt->nk == 1 ? alt->kids[0] : alt;
}

typedef struct ReProg {
    int (*inst)[3];
    int n;
    int32_t *rg;
    int nrg;
    bool overflow;
} ReProg;

static int re_emit(ReProg *pg, int op, int a, int b) {
    if (pg->n >= RE_MAX_PROG) {
        pg->overflow = true;
        return pg->n - 1;
    }
    pg->inst[pg->n][0] = op;
    pg->inst[pg->n][1] = a;
    pg->inst[pg->n][2] = b;
    return pg->n++;
}

/* Instruction codes: the DLCC_RE_* enum of runtime/strings.h. */
enum { I_CHAR, I_ANY, I_CLASS, I_NCLASS, I_SPLIT, I_JMP, I_BOL, I_EOL, I_WORDB, I_NWORDB, I_MATCH };

static void re_gen(ReProg *pg, const Re *r) {
    if (pg->overflow)
        return;
    switch (r->kind) {
    case R_CHAR: re_emit(pg, I_CHAR, r->c, 0); break;
    case R_ANY: re_emit(pg, I_ANY, 0, 0); break;
    case R_CLASS:
        if (pg->nrg + r->nrg > RE_MAX_RANGES) {
            pg->overflow = true;
            return;
        }
        re_emit(pg, r->neg ? I_NCLASS : I_CLASS, pg->nrg, r->nrg);
        memcpy(pg->rg + 2 * pg->nrg, r->rg, sizeof(int32_t) * 2 * (size_t)r->nrg);
        pg->nrg += r->nrg;
        break;
    case R_CAT:
        for (int i = 0; i < r->nk; i++)
            re_gen(pg, r->kids[i]);
        break;
    case R_ALT: {
        int jumps[256], nj = 0;
        for (int i = 0; i < r->nk; i++) {
            if (i + 1 < r->nk) {
                int s = re_emit(pg, I_SPLIT, pg->n + 1, 0);
                re_gen(pg, r->kids[i]);
                int j = re_emit(pg, I_JMP, 0, 0);
                if (nj < 256)
                    jumps[nj++] = j;
                else
                    pg->overflow = true;
                pg->inst[s][2] = pg->n;
            } else {
                re_gen(pg, r->kids[i]);
            }
        }
        for (int i = 0; i < nj; i++)
            pg->inst[jumps[i]][1] = pg->n;
        break;
    }
    case R_REP: {
        for (int i = 0; i < r->min; i++)
            re_gen(pg, r->kids[0]);
        if (r->max < 0) {
            int s = re_emit(pg, I_SPLIT, pg->n + 1, 0);
            re_gen(pg, r->kids[0]);
            re_emit(pg, I_JMP, s, 0);
            pg->inst[s][2] = pg->n;
        } else {
            int first = pg->n;
            for (int i = r->min; i < r->max && !pg->overflow; i++) {
                re_emit(pg, I_SPLIT, pg->n + 1, -1);
                re_gen(pg, r->kids[0]);
            }
            for (int i = first; i < pg->n; i++)
                if (pg->inst[i][0] == I_SPLIT && pg->inst[i][2] == -1)
                    pg->inst[i][2] = pg->n;
        }
        break;
    }
    case R_BOL: re_emit(pg, I_BOL, 0, 0); break;
    case R_EOL: re_emit(pg, I_EOL, 0, 0); break;
    case R_WB: re_emit(pg, I_WORDB, 0, 0); break;
    case R_NWB: re_emit(pg, I_NWORDB, 0, 0); break;
    }
}

bool emit_regex_full_match(Emit *e) {
    const Node *n = e->node;
    const char *pat = attr_string(n, "pattern", "");
    ReParser rp = {(const unsigned char *)pat, e->ctx->arena, NULL, 0};
    Re *re = re_alt(&rp);
    if (re && !rp.err && *rp.p)
        rp.err = "unbalanced )";
    if (!re || rp.err)
        return emit_error(e, "pattern \"%s\": %s at offset %d", pat, rp.err ? rp.err : "syntax error",
                          (int)((const char *)rp.p - pat));
    ReProg pg = {0};
    pg.inst = (int(*)[3])arena_alloc(e->ctx->arena, sizeof(int[3]) * RE_MAX_PROG);
    pg.rg = ARENA_ARRAY(e->ctx->arena, int32_t, 2 * RE_MAX_RANGES);
    re_gen(&pg, re);
    re_emit(&pg, I_MATCH, 0, 0);
    if (pg.overflow)
        return emit_error(e, "pattern \"%s\" is too large", pat);
    int64_t count = value_numel(n->in[0]);
    if (count == 0)
        return true;
    /* the temporary "int" bank is (5 n + 2) ints */
    const char *ws = emit_scratch(e, sizeof(int) * (size_t)(5 * pg.n + 2));
    emit_use_runtime(e, "strings");
    emitf(e, "    static const dlcc_re_inst prog[%d] = {", pg.n);
    for (int i = 0; i < pg.n; i++)
        emitf(e, "%s{%d, %d, %d}", i % 8 ? ", " : i ? ",\n        " : "\n        ", pg.inst[i][0], pg.inst[i][1], pg.inst[i][2]);
    emitf(e, "};\n    static const int32_t rg[%d] = {", pg.nrg ? 2 * pg.nrg : 1);
    for (int i = 0; i < 2 * pg.nrg; i++)
        emitf(e, "%s%d", i ? ", " : "", (int)pg.rg[i]);
    emitf(e, "%s};\n", pg.nrg ? "" : "0");
    emitf(e, "    for (int64_t i = 0; i < %lld; i++)\n"
             "        y0[i] = (uint8_t)dlcc_re_full_match(prog, %d, rg, x0[i], (int *)%s);\n",
          LL(count), pg.n, ws);
    return true;
}
