/*
 * strings.h: the runtime of string tensors (dtype 8), pasted in by the
 * string kernels (codegen/emit_string.c).
 *
 * A string element is a `dlcc_str` (base.h): a pointer to a NUL-terminated
 * UTF-8 string.  Kernels that create strings (StringConcat, StringSplit,
 * case changes, Cast to string) take them from the string arena of the
 * state: a header `size_t used, cap` in the first 64 bytes, then cap bytes;
 * net_run sets used to 0 before the first kernel.  dlcc_str_alloc returns
 * NULL when the arena is full and the kernel returns -DLCC_ERR_STRING.
 * Case mapping covers ASCII, Latin-1, Greek and Cyrillic letters (the
 * letters whose UTF-8 length does not change).  dlcc_re_full_match runs a
 * regular expression compiled by dlcc into a Thompson NFA (dlcc_re_inst)
 * over the code points of a string, one state list per position, so it
 * never backtracks.
 */
#include <stdio.h>
#include <stdlib.h>

static char *dlcc_str_alloc(void *arena, size_t n) {
    size_t *h = (size_t *)arena;
    if (n > h[1] - h[0])
        return NULL;
    char *p = (char *)arena + 64 + h[0];
    h[0] += n;
    return p;
}

static const char *dlcc_str_ndup(void *arena, const char *s, size_t n) {
    char *p = dlcc_str_alloc(arena, n + 1);
    if (!p)
        return NULL;
    if (n)
        memcpy(p, s, n);
    p[n] = 0;
    return p;
}

static const char *dlcc_str_concat(void *arena, const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    char *p = dlcc_str_alloc(arena, la + lb + 1);
    if (!p)
        return NULL;
    memcpy(p, a, la);
    memcpy(p + la, b, lb + 1);
    return p;
}

/* Python's str.isspace for ASCII and the C0 separators. */
static int dlcc_str_space(unsigned char c) {
    return c == ' ' || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f);
}

/* Python's s.split(delim, maxsplit) (delim NULL or "": s.split(None, maxsplit)).
 * Writes the pieces to out[0..width) (padding with ""), returns the count,
 * -1 when the arena is full, -2 when there are more than width pieces. */
static int64_t dlcc_str_split(void *arena, const char *s, const char *delim, int64_t maxsplit, dlcc_str *out,
                              int64_t width) {
    int64_t n = 0;
    size_t dl = delim ? strlen(delim) : 0;
    if (dl) {
        const char *p = s;
        for (;;) {
            const char *q = (maxsplit < 0 || n < maxsplit) ? strstr(p, delim) : NULL;
            size_t len = q ? (size_t)(q - p) : strlen(p);
            if (n >= width)
                return -2;
            if (!(out[n++] = dlcc_str_ndup(arena, p, len)))
                return -1;
            if (!q)
                break;
            p = q + dl;
        }
    } else {
        const char *p = s;
        for (;;) {
            while (*p && dlcc_str_space((unsigned char)*p))
                p++;
            if (!*p)
                break;
            const char *q = p;
            if (maxsplit >= 0 && n >= maxsplit) {
                q = p + strlen(p);
            } else {
                while (*q && !dlcc_str_space((unsigned char)*q))
                    q++;
            }
            if (n >= width)
                return -2;
            if (!(out[n++] = dlcc_str_ndup(arena, p, (size_t)(q - p))))
                return -1;
            p = q;
        }
    }
    for (int64_t k = n; k < width; k++)
        out[k] = "";
    return n;
}

/* Code point at s (UTF-8; a bad byte reads as itself); *len gets its bytes. */
static int32_t dlcc_utf8_get(const unsigned char *s, int *len) {
    unsigned c = s[0];
    int n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
    int32_t cp = n == 1 ? (int32_t)c : (int32_t)(c & (0x7f >> n));
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            *len = 1;
            return (int32_t)c;
        }
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    *len = n;
    return cp;
}

static int dlcc_utf8_put(unsigned char *s, int32_t cp) {
    if (cp < 0x80) {
        s[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        s[0] = (unsigned char)(0xc0 | (cp >> 6));
        s[1] = (unsigned char)(0x80 | (cp & 0x3f));
        return 2;
    }
    s[0] = (unsigned char)(0xe0 | (cp >> 12));
    s[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
    s[2] = (unsigned char)(0x80 | (cp & 0x3f));
    return 3;
}

/* Upper (up) or lower case of a code point; letters outside ASCII, Latin-1,
 * Greek and Cyrillic are kept. */
static int32_t dlcc_case_map(int32_t c, int up) {
    if (up) {
        if ((c >= 'a' && c <= 'z') || (c >= 0xe0 && c <= 0xfe && c != 0xf7) || (c >= 0x3b1 && c <= 0x3c9 && c != 0x3c2) ||
            (c >= 0x430 && c <= 0x44f))
            return c - 32;
        if (c >= 0x450 && c <= 0x45f)
            return c - 80;
    } else {
        if ((c >= 'A' && c <= 'Z') || (c >= 0xc0 && c <= 0xde && c != 0xd7) || (c >= 0x391 && c <= 0x3a9 && c != 0x3a2) ||
            (c >= 0x410 && c <= 0x42f))
            return c + 32;
        if (c >= 0x400 && c <= 0x40f)
            return c + 80;
    }
    return c;
}

/* A copy of s in upper (up = 1) or lower case; NULL when the arena is full. */
static const char *dlcc_str_case(void *arena, const char *s, int up) {
    size_t n = strlen(s);
    unsigned char *p = (unsigned char *)dlcc_str_alloc(arena, n + 1);
    if (!p)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        int len;
        int32_t c = dlcc_utf8_get((const unsigned char *)s + i, &len);
        int32_t m = dlcc_case_map(c, up);
        if (m != c && len <= 3 && dlcc_utf8_put(p + o, m) == len)
            o += (size_t)len;
        else
            memcpy(p + o, s + i, (size_t)len), o += (size_t)len;
        i += (size_t)len;
    }
    p[o] = 0;
    return (const char *)p;
}

/* Equality of a and b, ignoring case (icase) as dlcc_case_map defines it. */
static int dlcc_str_equal(const char *a, const char *b, int icase) {
    if (!icase)
        return strcmp(a, b) == 0;
    while (*a && *b) {
        int la, lb;
        int32_t ca = dlcc_utf8_get((const unsigned char *)a, &la), cb = dlcc_utf8_get((const unsigned char *)b, &lb);
        if (dlcc_case_map(ca, 0) != dlcc_case_map(cb, 0))
            return 0;
        a += la;
        b += lb;
    }
    return *a == *b;
}

/* Shortest decimal text that reads back as x (numpy's repr: positional for
 * 1e-4 <= |x| < 1e16, else d.ddde+XX; "NaN", "INF", "-INF"). */
static const char *dlcc_str_from_double(void *arena, double x, int is_f32) {
    char buf[64], digits[32];
    if (x != x)
        return "NaN";
    if (x > 1.7976931348623157e308)
        return "INF";
    if (x < -1.7976931348623157e308)
        return "-INF";
    if (x == 0)
        return dlcc_str_ndup(arena, (1 / x < 0) ? "-0.0" : "0.0", (1 / x < 0) ? 4 : 3);
    int p;
    for (p = 1; p < 17; p++) {
        snprintf(buf, sizeof buf, "%.*e", p - 1, x);
        if (is_f32 ? strtof(buf, NULL) == (float)x : strtod(buf, NULL) == x)
            break;
    }
    snprintf(buf, sizeof buf, "%.*e", p - 1, x);
    /* buf: [-]d[.ddd]e[+-]XX */
    const char *s = buf;
    int neg = *s == '-', nd = 0;
    if (neg)
        s++;
    for (; *s && *s != 'e'; s++)
        if (*s >= '0' && *s <= '9')
            digits[nd++] = *s;
    int ex = atoi(s + 1);
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    char out[64];
    int o = 0;
    if (neg)
        out[o++] = '-';
    double ax = x < 0 ? -x : x;
    if (ax >= 1e-4 && ax < 1e16) { /* numpy's choice, on the value itself */
        if (ex < 0) {
            out[o++] = '0';
            out[o++] = '.';
            for (int k = 0; k < -ex - 1; k++)
                out[o++] = '0';
            for (int k = 0; k < nd; k++)
                out[o++] = digits[k];
        } else {
            for (int k = 0; k <= ex; k++)
                out[o++] = k < nd ? digits[k] : '0';
            out[o++] = '.';
            if (nd > ex + 1)
                for (int k = ex + 1; k < nd; k++)
                    out[o++] = digits[k];
            else
                out[o++] = '0';
        }
    } else {
        out[o++] = digits[0];
        if (nd > 1) {
            out[o++] = '.';
            for (int k = 1; k < nd; k++)
                out[o++] = digits[k];
        }
        o += snprintf(out + o, sizeof out - (size_t)o, "e%c%02d", ex < 0 ? '-' : '+', ex < 0 ? -ex : ex);
    }
    return dlcc_str_ndup(arena, out, (size_t)o);
}

static const char *dlcc_str_from_int(void *arena, long long x) {
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%lld", x);
    return dlcc_str_ndup(arena, buf, (size_t)n);
}

/* strtod, with "INF", "+INF", "-INF", "NaN" in any case (as strtod). */
static double dlcc_str_to_double(const char *s) { return strtod(s, NULL); }
static float dlcc_str_to_float(const char *s) { return strtof(s, NULL); }

/* ---------------------------------------------------------------- regular expressions */

enum { DLCC_RE_CHAR, DLCC_RE_ANY, DLCC_RE_CLASS, DLCC_RE_NCLASS, DLCC_RE_SPLIT, DLCC_RE_JMP, DLCC_RE_BOL, DLCC_RE_EOL,
       DLCC_RE_WORDB, DLCC_RE_NWORDB, DLCC_RE_MATCH };

typedef struct {
    int op, a, b; /* CHAR: a code point; CLASS: ranges [a, a + b) of rg; SPLIT: a, b; JMP: a */
} dlcc_re_inst;

static int dlcc_re_word(int32_t c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

/* Adds the closure of pc (at a position between code points prev and cur,
 * -1 at either end) to list; stack and mark have n entries. */
static void dlcc_re_add(const dlcc_re_inst *p, int pc, int32_t prev, int32_t cur, int *list, int *len, int *stack,
                        int *mark, int gen) {
    int sp = 0;
    stack[sp++] = pc;
    while (sp > 0) {
        int k = stack[--sp];
        if (mark[k] == gen)
            continue;
        mark[k] = gen;
        switch (p[k].op) {
        case DLCC_RE_JMP: stack[sp++] = p[k].a; break;
        case DLCC_RE_SPLIT:
            stack[sp++] = p[k].b;
            stack[sp++] = p[k].a;
            break;
        case DLCC_RE_BOL:
            if (prev < 0)
                stack[sp++] = k + 1;
            break;
        case DLCC_RE_EOL:
            if (cur < 0)
                stack[sp++] = k + 1;
            break;
        case DLCC_RE_WORDB:
        case DLCC_RE_NWORDB: {
            int b = (prev >= 0 && dlcc_re_word(prev)) != (cur >= 0 && dlcc_re_word(cur));
            if (b == (p[k].op == DLCC_RE_WORDB))
                stack[sp++] = k + 1;
            break;
        }
        default: list[(*len)++] = k; break;
        }
    }
}

/* 1 when the whole of s matches program p of n instructions; ws holds 5 * n + 2 ints. */
static int dlcc_re_full_match(const dlcc_re_inst *p, int n, const int32_t *rg, const char *s, int *ws) {
    int *cur = ws, *nxt = ws + n, *stack = ws + 2 * n, *mark = ws + 4 * n + 2, nc = 0, nn = 0, gen = 0;
    for (int k = 0; k < n; k++)
        mark[k] = -1;
    const unsigned char *u = (const unsigned char *)s;
    int len = 0;
    int32_t prev = -1, c = *u ? dlcc_utf8_get(u, &len) : -1;
    dlcc_re_add(p, 0, prev, c, cur, &nc, stack, mark, gen);
    for (;;) {
        if (c < 0) {
            for (int i = 0; i < nc; i++)
                if (p[cur[i]].op == DLCC_RE_MATCH)
                    return 1;
            return 0;
        }
        u += len;
        int nlen = 0;
        int32_t next = *u ? dlcc_utf8_get(u, &nlen) : -1;
        gen++;
        nn = 0;
        for (int i = 0; i < nc; i++) {
            const dlcc_re_inst *in = &p[cur[i]];
            int ok = 0;
            if (in->op == DLCC_RE_CHAR) {
                ok = c == in->a;
            } else if (in->op == DLCC_RE_ANY) {
                ok = c != '\n';
            } else if (in->op == DLCC_RE_CLASS || in->op == DLCC_RE_NCLASS) {
                for (int r = in->a; r < in->a + in->b && !ok; r++)
                    ok = c >= rg[2 * r] && c <= rg[2 * r + 1];
                ok = ok != (in->op == DLCC_RE_NCLASS);
            }
            if (ok)
                dlcc_re_add(p, cur[i] + 1, c, next, nxt, &nn, stack, mark, gen);
        }
        if (nn == 0)
            return 0;
        int *t = cur;
        cur = nxt;
        nxt = t;
        nc = nn;
        prev = c;
        c = next;
        len = nlen;
    }
}
