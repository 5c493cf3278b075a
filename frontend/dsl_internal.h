/*
 * dsl_internal.h: what the .dl reader's files (frontend/dsl_*.c) share.
 *
 * dsl_lex.c turns the text into an array of located tokens.  The
 * recursive-descent parser over them is split by concept: dsl_parse.c holds
 * the token cursor, types, statements, models and train blocks; dsl_scope.c
 * the scopes that map names to values; dsl_expr.c expressions, operator
 * calls and their attributes (checked against ir/op_attrs.def); dsl_init.c
 * number and list literals, the constants made from them and the
 * initializers of params and consts.  dsl_loss.c expands the loss helpers
 * (cross_entropy, mse ...) into primitive operators and checks type
 * annotations after shape inference.  Syntax errors longjmp to
 * dsl_parse_internal (dsl_fatal); semantic errors are recorded and parsing
 * goes on.
 */
#ifndef DLCC_DSL_INTERNAL_H
#define DLCC_DSL_INTERNAL_H

#include <setjmp.h>
#include <string.h>

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

/* A written type, `f32[N, 784]`: dims -1 where symbolic or '?'. */
typedef struct Type {
    DType dtype;
    int rank;
    int64_t dims[DLCC_MAX_RANK];
    const char *sym[DLCC_MAX_RANK];
    Loc loc;
} Type;

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

/* A state slot of a joint training graph's train block (`update w = w_next`,
 * `state m = m_next`, `step train_step_count`), resolved after the parse. */
typedef struct StateSlot {
    char kind;         /* 'u' update (trainable), 's' state, 'k' step counter */
    const char *name;  /* the state value */
    const char *next;  /* the output holding its new value, or NULL */
    Loc loc, next_loc;
} StateSlot;

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
    StateSlot *slots; /* train block state statements, in order */
    int n_slots, cap_slots;
} Parser;

/* Statement context of dsl_parse_stmts. */
enum { MODE_MODEL = 0, MODE_TRAIN = 1, MODE_GRAPH = 2 };

/* ---------------------------------------------------------------- token cursor (dsl_parse.c) */

static inline Tok *dsl_peek(Parser *p) { return &p->t[p->pos]; }
static inline Tok *dsl_peek_at(Parser *p, int k) { return &p->t[p->pos + k < p->n ? p->pos + k : p->n - 1]; }
static inline Tok *dsl_next(Parser *p) {
    Tok *t = &p->t[p->pos];
    if (t->kind != TK_EOF)
        p->pos++;
    return t;
}
static inline bool dsl_is_punct(const Tok *t, char ch) { return t->kind == TK_PUNCT && t->punct == ch; }
static inline bool dsl_is_kw(const Tok *t, const char *kw) { return t->kind == TK_NAME && !strcmp(t->val, kw); }
static inline bool dsl_accept(Parser *p, char ch) {
    if (!dsl_is_punct(dsl_peek(p), ch))
        return false;
    p->pos++;
    return true;
}
static inline bool dsl_is_name(const Tok *t) { return t->kind == TK_NAME || t->kind == TK_QNAME; }

Loc dsl_loc(Parser *p, const Tok *t);
const char *dsl_tok_desc(Parser *p, const Tok *t); /* "'text'" or "end of file", for messages */
/* A located syntax error: records it and longjmps out of the parse. */
_Noreturn void dsl_fatal(Parser *p, const Tok *t, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
Tok *dsl_expect(Parser *p, char ch, const char *context);
Tok *dsl_expect_name(Parser *p, const char *context);

/* ---------------------------------------------------------------- dsl_parse.c */

Type dsl_parse_type(Parser *p);
bool dsl_type_concrete(const Type *ty);
/* stmt*, up to the closing '}' (not consumed); mode is MODE_*. */
void dsl_parse_stmts(Parser *p, int mode);
/* Parses without materialising initializers; annotations are collected in p
 * (used by dsl_check_annotations). */
Graph *dsl_parse_internal(Ctx *c, const char *path, const char *text, Parser *p);

/* ---------------------------------------------------------------- dsl_scope.c */

Scope *dsl_scope_new(Arena *a, Graph *g, Scope *parent);
Sym *dsl_sym_find(Scope *s, const char *name);      /* this scope only */
Sym *dsl_scope_lookup(Scope *s, const char *name);  /* this scope, then the enclosing ones */
Sym *dsl_scope_put(Arena *a, Scope *s, Value *v, bool user, DType guess);
DType dsl_guess(Parser *p, const Value *v);
const char *dsl_fresh_name(Parser *p, const char *prefix);
void dsl_temp_register(Parser *p, Value *v, DType guess);
void dsl_bind_temp(Parser *p, const char *name, Loc loc, Value *v);
bool dsl_declare_check(Parser *p, const char *name, Loc loc);

/* ---------------------------------------------------------------- dsl_init.c */

bool dsl_at_scalar(Parser *p);
void dsl_parse_scalar(Parser *p, double *f, int64_t *i, bool *is_int);
double dsl_parse_number(Parser *p);
Lit *dsl_parse_literal(Parser *p);
bool dsl_lit_fill(Parser *p, const Lit *l, DType dt, void *data, int64_t n, Loc loc);
Value *dsl_operand_value(Parser *p, Operand *o, DType want);
Value *dsl_const_scalar(Parser *p, DType dt, double x);
Value *dsl_const_i64s(Parser *p, const int64_t *v, int n);
void dsl_parse_init(Parser *p, Value *v, const Type *ty);

/* ---------------------------------------------------------------- dsl_expr.c */

Operand dsl_parse_expr(Parser *p);
/* n_targets: names bound to the outputs (0 in an expression). */
Operand dsl_parse_call(Parser *p, int n_targets, Node **node_out);
bool dsl_parse_attr_value(Parser *p, Attr *a, const char *attr_name);
Value *dsl_placeholder(Parser *p);
/* Adds a node of the op named `name` (an error when dlcc lacks it); returns output 0 or NULL. */
Value *dsl_add_op(Parser *p, const char *name, Loc loc, Value *const *in, int n_in);
Node *dsl_last_node(Parser *p);

/* ---------------------------------------------------------------- dsl_loss.c */

bool dsl_is_helper(const char *name);
Operand dsl_helper(Parser *p, const char *name, Loc loc, Operand *args, int n_args);

#endif
