/*
 * dsl_internal.h: what the .dl reader's files (frontend/dsl_*.c) share.
 *
 * dsl_lex.c turns the text into an array of located tokens; dsl_parse.c is
 * the recursive-descent parser that builds the Graph; dsl_loss.c expands the
 * loss helpers (cross_entropy, mse ...) into primitive operators and checks
 * type annotations after shape inference.
 */
#ifndef DLCC_DSL_INTERNAL_H
#define DLCC_DSL_INTERNAL_H

#include <setjmp.h>

#include "frontend.h"

typedef enum TokKind {
    TK_EOF = 0,
    TK_NAME,   /* identifier */
    TK_QNAME,  /* `backquoted name`: any text, never a keyword */
    TK_NUMBER, /* unsigned: a leading '-' is a separate token */
    TK_STRING, /* "..." with C escapes; val holds the decoded bytes */
    TK_PUNCT,  /* one of { } ( ) [ ] , : ; = + - * / @ . ? */
} TokKind;

typedef struct Tok {
    TokKind kind;
    const char *text; /* in the source */
    int len;
    char *val;        /* NAME, QNAME, STRING: NUL-terminated value; NUMBER: the text */
    size_t val_len;
    bool is_int;      /* NUMBER written without '.', 'e' */
    char punct;
    int line, col;
} Tok;

/* Splits text into tokens (the last is TK_EOF).  False with a located error. */
bool dsl_lex(Ctx *c, const char *path, const char *text, Tok **toks, int *n);

/* ---------------------------------------------------------------- parser state */

typedef struct Sym {
    const char *name;
    Value *v;
    bool user;   /* bound by the program text (else a parser temporary) */
    DType guess; /* dtype as far as the parser can tell; DT_UNDEF if unknown */
} Sym;

typedef struct Scope {
    Graph *g;
    struct Scope *parent;
    Sym **slots; /* open addressing by name; TOMBSTONE marks a removed entry */
    int cap, used;
} Scope;

/* A type annotation, `h: f32[1, 128] = ...`, checked after shape inference. */
typedef struct Annot {
    const char *name;
    DType dtype;
    int rank;
    int64_t dims[DLCC_MAX_RANK];
    const char *sym[DLCC_MAX_RANK];
    Loc loc;
} Annot;

/* A number or list literal not yet turned into a constant: its dtype
 * depends on where it is used. */
typedef struct Lit {
    int rank;
    int64_t dims[DLCC_MAX_RANK];
    int64_t n;
    double *f;
    int64_t *i;
    const char **s; /* string literal elements */
    size_t *s_len;
    bool all_int, is_str;
} Lit;

/* An expression's result: a value, or a pending literal. */
typedef struct Operand {
    Value *v;
    Lit *lit;
    Loc loc;
} Operand;

typedef struct Parser {
    Ctx *c;
    const char *path;
    Tok *t;
    int n, pos;
    Graph *g;      /* the model */
    Scope *sc;     /* current scope (a subgraph's nests in its parent's) */
    jmp_buf fail;  /* syntax errors jump here */
    Annot *annots;
    int n_annots, cap_annots;
    Loc loss_loc;
    int tmp;       /* counter for fresh names */
    Node *last;    /* node added by the last dsl_add_op, NULL if it failed */
} Parser;

/* dsl_parse.c, used by dsl_loss.c */
Loc dsl_loc(Parser *p, const Tok *t);
Sym *dsl_sym_find(Scope *s, const char *name);
DType dsl_guess(Parser *p, const Value *v);
Value *dsl_operand_value(Parser *p, Operand *o, DType want);
/* Adds a node of the op named `name` (an error when dlcc lacks it); returns output 0 or NULL. */
Value *dsl_add_op(Parser *p, const char *name, Loc loc, Value *const *in, int n_in);
Node *dsl_last_node(Parser *p);
Value *dsl_const_scalar(Parser *p, DType dt, double x);
Value *dsl_const_i64s(Parser *p, const int64_t *v, int n);

/* dsl_loss.c */
bool dsl_is_helper(const char *name);
Operand dsl_helper(Parser *p, const char *name, Loc loc, Operand *args, int n_args);

/* dsl_parse.c: parses without materialising initializers; annotations are
 * collected in p (used by dsl_check_annotations). */
Graph *dsl_parse_internal(Ctx *c, const char *path, const char *text, Parser *p);

#endif
