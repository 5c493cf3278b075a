/*
 * dsl_lex.c: the .dl lexer.
 *
 * The whole text is split into an array of tokens before parsing, each with
 * its line and column (1-based; a tab counts as one column), so the parser
 * can look ahead freely.  Names are C identifiers, or any text between
 * backquotes (`input.1`, with \` and \\ escapes) for the value names of ONNX
 * models that are not identifiers.  Numbers are unsigned (the parser handles
 * a leading '-'); strings take C escapes (\n \t \\ \" \xHH).  Comments run
 * from '#' to the end of the line.
 */
#include "dsl_internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

typedef struct Lexer {
    Ctx *c;
    const char *path;
    const char *p;
    int line, col;
    Tok *t;
    int n, cap;
} Lexer;

static bool lex_error(Lexer *lx, int line, int col, const char *msg) {
    Loc loc = {.file = lx->path, .line = line, .col = col};
    return diag_error(lx->c, loc, "%s", msg);
}

static Tok *lex_push(Lexer *lx, TokKind kind, const char *start, int line, int col) {
    if (lx->n == lx->cap) {
        int cap = lx->cap ? lx->cap * 2 : 256;
        Tok *t = ARENA_ARRAY(lx->c->arena, Tok, cap);
        if (lx->n)
            memcpy(t, lx->t, sizeof(Tok) * (size_t)lx->n);
        lx->t = t;
        lx->cap = cap;
    }
    Tok *t = &lx->t[lx->n++];
    memset(t, 0, sizeof *t);
    t->kind = kind;
    t->text = start;
    t->line = line;
    t->col = col;
    return t;
}

static void lex_advance(Lexer *lx) {
    if (*lx->p == '\n') {
        lx->line++;
        lx->col = 1;
    } else {
        lx->col++;
    }
    lx->p++;
}

static int hex_value(char ch) {
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* Reads a quoted token (string or backquoted name) up to the closing quote. */
static bool lex_quoted(Lexer *lx, Tok *t, char quote) {
    Buf b = {0};
    lex_advance(lx);
    for (;;) {
        char ch = *lx->p;
        if (!ch || ch == '\n') {
            buf_free(&b);
            return lex_error(lx, t->line, t->col, quote == '"' ? "unterminated string" : "unterminated `name`");
        }
        if (ch == quote) {
            lex_advance(lx);
            break;
        }
        if (ch == '\\') {
            int line = lx->line, col = lx->col;
            lex_advance(lx);
            char e = *lx->p;
            char out;
            switch (e) {
            case 'n': out = '\n'; break;
            case 't': out = '\t'; break;
            case 'r': out = '\r'; break;
            case '0': out = '\0'; break;
            case '\\': case '"': case '`': case '\'': out = e; break;
            case 'x': {
                int h1 = hex_value(lx->p[1]), h2 = h1 >= 0 ? hex_value(lx->p[2]) : -1;
                if (h2 < 0) {
                    buf_free(&b);
                    return lex_error(lx, line, col, "bad \\x escape: two hex digits expected");
                }
                lex_advance(lx);
                lex_advance(lx);
                out = (char)(h1 * 16 + h2);
                break;
            }
            default:
                buf_free(&b);
                return lex_error(lx, line, col, "unknown escape sequence");
            }
            lex_advance(lx);
            buf_write(&b, &out, 1);
            continue;
        }
        buf_write(&b, &ch, 1);
        lex_advance(lx);
    }
    t->val_len = b.len;
    t->val = arena_alloc(lx->c->arena, b.len + 1);
    if (b.len)
        memcpy(t->val, b.data, b.len);
    buf_free(&b);
    t->len = (int)(lx->p - t->text);
    if (quote == '`' && t->val_len == 0)
        return lex_error(lx, t->line, t->col, "empty `name`");
    return true;
}

bool dsl_lex(Ctx *c, const char *path, const char *text, Tok **toks, int *n) {
    Lexer lx = {.c = c, .path = path, .p = text, .line = 1, .col = 1};
    for (;;) {
        char ch = *lx.p;
        if (ch == '\n' || ch == ' ' || ch == '\t' || ch == '\r' || ch == '\f' || ch == '\v') {
            lex_advance(&lx);
            continue;
        }
        if (ch == '#') {
            while (*lx.p && *lx.p != '\n')
                lex_advance(&lx);
            continue;
        }
        const char *start = lx.p;
        int line = lx.line, col = lx.col;
        if (!ch) {
            lex_push(&lx, TK_EOF, start, line, col);
            break;
        }
        if (isalpha((unsigned char)ch) || ch == '_') {
            while (isalnum((unsigned char)*lx.p) || *lx.p == '_')
                lex_advance(&lx);
            Tok *t = lex_push(&lx, TK_NAME, start, line, col);
            t->len = (int)(lx.p - start);
            t->val = arena_strndup(c->arena, start, (size_t)t->len);
            t->val_len = (size_t)t->len;
            continue;
        }
        if (isdigit((unsigned char)ch) || (ch == '.' && isdigit((unsigned char)lx.p[1]))) {
            bool is_int = true;
            while (isdigit((unsigned char)*lx.p))
                lex_advance(&lx);
            if (*lx.p == '.') {
                is_int = false;
                lex_advance(&lx);
                while (isdigit((unsigned char)*lx.p))
                    lex_advance(&lx);
            }
            if (*lx.p == 'e' || *lx.p == 'E') {
                const char *q = lx.p + 1;
                if (*q == '+' || *q == '-')
                    q++;
                if (isdigit((unsigned char)*q)) {
                    is_int = false;
                    while (lx.p < q)
                        lex_advance(&lx);
                    while (isdigit((unsigned char)*lx.p))
                        lex_advance(&lx);
                }
            }
            if (isalpha((unsigned char)*lx.p) || *lx.p == '_')
                return lex_error(&lx, lx.line, lx.col, "bad number");
            Tok *t = lex_push(&lx, TK_NUMBER, start, line, col);
            t->len = (int)(lx.p - start);
            t->val = arena_strndup(c->arena, start, (size_t)t->len);
            t->val_len = (size_t)t->len;
            t->is_int = is_int;
            continue;
        }
        if (ch == '"' || ch == '`') {
            Tok *t = lex_push(&lx, ch == '"' ? TK_STRING : TK_QNAME, start, line, col);
            if (!lex_quoted(&lx, t, ch))
                return false;
            continue;
        }
        if (strchr("{}()[],:;=+-*/@.?", ch)) {
            Tok *t = lex_push(&lx, TK_PUNCT, start, line, col);
            t->len = 1;
            t->punct = ch;
            lex_advance(&lx);
            continue;
        }
        char msg[64];
        if (isprint((unsigned char)ch))
            snprintf(msg, sizeof msg, "unexpected character '%c'", ch);
        else
            snprintf(msg, sizeof msg, "unexpected byte 0x%02x", (unsigned char)ch);
        return lex_error(&lx, line, col, msg);
    }
    *toks = lx.t;
    *n = lx.n;
    return true;
}
