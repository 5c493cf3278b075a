/*
 * shape_einsum.c: the Einsum equation parser and shape function.
 *
 * The equation "t1,t2,...->out" (spaces ignored) names each operand's axes
 * with letters; "..." stands for the axes not named, right-aligned and
 * broadcast across operands like numpy's ellipsis.  A letter repeated in one
 * term takes a diagonal.  Without "->" the output is the ellipsis axes
 * followed by the letters that occur exactly once, in alphabetical order.
 * Letters not in the output are summed.  einsum_parse numbers the output's
 * labels first, then the summed ones, and gives every operand a stride per
 * label (ir/einsum.h), which is all the emitter needs.
 */
#include "einsum.h"

#include <ctype.h>
#include <string.h>

#define EIN_ELL_BASE 52 /* label ids 52.. are ellipsis axes (from the right) */

static int einsum_letter(char ch) { return ch >= 'a' && ch <= 'z' ? ch - 'a' : ch >= 'A' && ch <= 'Z' ? 26 + ch - 'A' : -1; }

/* Fills ids[] (label id per axis of a term) and returns the axis count, or
 * -1 on a syntax error.  rank: the operand's rank (-1 for the output, whose
 * ellipsis has n_ell axes). */
static int einsum_term(const char *s, size_t len, int rank, int n_ell_out, int *ids, bool *has_ell) {
    int n_letters = 0;
    *has_ell = false;
    for (size_t i = 0; i < len; i++)
        if (s[i] == '.')
            continue;
        else if (einsum_letter(s[i]) >= 0)
            n_letters++;
        else
            return -1;
    int k = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '.') {
            if (*has_ell || i + 2 >= len + 0 || s[i + 1] != '.' || s[i + 2] != '.')
                return -1;
            *has_ell = true;
            int ne = rank >= 0 ? rank - n_letters : n_ell_out;
            if (ne < 0 || ne > 12)
                return -1;
            for (int j = 0; j < ne; j++)
                ids[k++] = EIN_ELL_BASE + (ne - 1 - j);
            i += 2;
        } else {
            if (k >= DLCC_MAX_RANK)
                return -1;
            ids[k++] = einsum_letter(s[i]);
        }
    }
    return k;
}

#define EIN_FAIL(...) (c ? node_error(c, n, __VA_ARGS__) : false)

const char *einsum_equation(const Node *n, char *buf, size_t cap) {
    const char *eq0 = attr_string(n, "equation", NULL);
    if (!eq0 || cap == 0)
        return NULL;
    size_t m = 0;
    for (const char *p = eq0; *p && m + 1 < cap; p++)
        if (!isspace((unsigned char)*p))
            buf[m++] = *p;
    buf[m] = 0;
    return buf;
}

bool einsum_parse(const Node *n, Einsum *es, Ctx *c) {
    memset(es, 0, sizeof *es);
    char eq[512];
    if (!einsum_equation(n, eq, sizeof eq))
        return EIN_FAIL("missing attribute 'equation'");
    const char *eq0 = attr_string(n, "equation", ""); /* as written, for messages */
    size_t m = strlen(eq);
    const char *arrow = strstr(eq, "->");
    size_t lhs_len = arrow ? (size_t)(arrow - eq) : m;
    if (n->n_in > EINSUM_MAX_OPS)
        return EIN_FAIL("too many operands");
    es->n_ops = n->n_in;
    int ids[EINSUM_MAX_OPS][DLCC_MAX_RANK + 16];
    int naxes[EINSUM_MAX_OPS];
    int64_t lsize[EIN_ELL_BASE + 16];
    for (int i = 0; i < EIN_ELL_BASE + 16; i++)
        lsize[i] = -1;
    int count[EIN_ELL_BASE + 16] = {0};
    int n_ell = 0;
    size_t pos = 0;
    for (int k = 0; k < n->n_in; k++) {
        size_t end = pos;
        while (end < lhs_len && eq[end] != ',')
            end++;
        if (k < n->n_in - 1 ? end >= lhs_len : end != lhs_len)
            return EIN_FAIL("equation '%s' does not have %d operand terms", eq0, n->n_in);
        const Value *v = n->in[k];
        bool he;
        int na = einsum_term(eq + pos, end - pos, v->rank, 0, ids[k], &he);
        if (na < 0 || na != v->rank)
            return EIN_FAIL("term %d of '%s' does not fit operand %s", k, eq0, value_type_str(c ? c->arena : NULL, v));
        naxes[k] = na;
        for (int a = 0; a < na; a++) {
            int l = ids[k][a];
            if (l >= EIN_ELL_BASE && l - EIN_ELL_BASE + 1 > n_ell)
                n_ell = l - EIN_ELL_BASE + 1;
            int64_t d = v->dims[a];
            if (lsize[l] < 0 || lsize[l] == 1)
                lsize[l] = d;
            else if (d != lsize[l] && !(l >= EIN_ELL_BASE && d == 1))
                return EIN_FAIL("label sizes disagree in '%s' (%lld vs %lld)", eq0, (long long)lsize[l], (long long)d);
            count[l]++;
        }
        pos = end + 1;
    }
    /* the output term */
    int out_ids[DLCC_MAX_RANK + 16], n_out = 0;
    if (arrow) {
        bool he;
        n_out = einsum_term(arrow + 2, strlen(arrow + 2), -1, n_ell, out_ids, &he);
        if (n_out < 0)
            return EIN_FAIL("bad output term in '%s'", eq0);
        for (int a = 0; a < n_out; a++) {
            if (lsize[out_ids[a]] < 0)
                return EIN_FAIL("output label of '%s' is not in any operand", eq0);
            for (int b = 0; b < a; b++)
                if (out_ids[b] == out_ids[a])
                    return EIN_FAIL("output label repeated in '%s'", eq0);
        }
    } else {
        for (int j = n_ell - 1; j >= 0; j--)
            out_ids[n_out++] = EIN_ELL_BASE + j;
        for (int l = 0; l < 52; l++)
            if (count[l] == 1)
                out_ids[n_out++] = l;
    }
    if (n_out > DLCC_MAX_RANK)
        return EIN_FAIL("output of '%s' has too many axes", eq0);
    /* number labels: output first, then the summed ones */
    int num[EIN_ELL_BASE + 16];
    for (int i = 0; i < EIN_ELL_BASE + 16; i++)
        num[i] = -1;
    int nl = 0;
    for (int a = 0; a < n_out; a++)
        num[out_ids[a]] = nl++;
    for (int l = 0; l < EIN_ELL_BASE + 16; l++)
        if (lsize[l] >= 0 && num[l] < 0)
            num[l] = nl++;
    es->n_labels = nl;
    es->n_out = n_out;
    for (int l = 0; l < EIN_ELL_BASE + 16; l++)
        if (num[l] >= 0)
            es->size[num[l]] = lsize[l];
    es->out_rank = n_out;
    int64_t st = 1;
    for (int a = n_out - 1; a >= 0; a--) {
        es->out_dims[a] = es->size[a];
        es->out_stride[a] = st;
        st *= es->size[a];
    }
    for (int k = 0; k < n->n_in; k++) {
        const Value *v = n->in[k];
        int64_t s = 1;
        for (int a = naxes[k] - 1; a >= 0; a--) {
            if (v->dims[a] != 1 || es->size[num[ids[k][a]]] == 1)
                es->stride[k][num[ids[k][a]]] += s;
            s *= v->dims[a];
        }
    }
    return true;
}

bool shape_einsum(Node *n, Ctx *c) {
    Einsum es;
    if (!einsum_parse(n, &es, c))
        return false;
    DType t = n->in[0]->dtype;
    for (int k = 1; k < n->n_in; k++)
        if (n->in[k]->dtype != t)
            return node_error(c, n, "operands must have the same type");
    value_set_shape(n->out[0], t, es.out_rank, es.out_dims);
    return true;
}
