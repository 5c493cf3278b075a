/*
 * ir.h: the dlcc intermediate representation.
 *
 * A Graph is a list of Nodes in topological order.  Every Value is defined
 * exactly once: by a Node output, or as a graph input, parameter or
 * constant (SSA).  Values carry a dtype and a shape; symbolic dimensions are
 * bound to integers before shape inference, so after it every shape is
 * concrete.  Everything about an operator lives in one row of ops.def; the
 * OpInfo table below is expanded from it.
 *
 * Memory: all IR objects come from one Arena per compilation that is freed
 * at once.  Library code never prints or exits; it records diagnostics in a
 * Ctx and returns false/NULL.
 */
#ifndef DLCC_IR_H
#define DLCC_IR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define DLCC_VERSION "0.1.0"
#define DLCC_MAX_RANK 8

/* ---------------------------------------------------------------- assert */

void dlcc_assert_fail(const char *expr, const char *file, int line);
#define DLCC_ASSERT(x) ((x) ? (void)0 : dlcc_assert_fail(#x, __FILE__, __LINE__))

/* ---------------------------------------------------------------- arena */

typedef struct ArenaBlock ArenaBlock;
typedef struct Arena {
    ArenaBlock *head;
} Arena;

Arena *arena_new(void);
void arena_free(Arena *a);
void *arena_alloc(Arena *a, size_t size);            /* zeroed, 16-byte aligned */
char *arena_strdup(Arena *a, const char *s);
char *arena_strndup(Arena *a, const char *s, size_t n);
char *arena_printf(Arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void *arena_memdup(Arena *a, const void *p, size_t n);
#define ARENA_NEW(a, T) ((T *)arena_alloc((a), sizeof(T)))
#define ARENA_ARRAY(a, T, n) ((T *)arena_alloc((a), sizeof(T) * (size_t)(n)))

/* Growable text buffer (malloc-backed; buf_free releases it). */
typedef struct Buf {
    char *data;
    size_t len, cap;
} Buf;

void buf_printf(Buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(Buf *b, const char *fmt, va_list ap);
void buf_puts(Buf *b, const char *s);
void buf_write(Buf *b, const void *p, size_t n);
void buf_free(Buf *b);

/* ---------------------------------------------------------------- dtypes */

/* Codes are ONNX TensorProto.DataType values, so they go straight into the
 * generated tensor descriptors. */
typedef enum DType {
    DT_UNDEF = 0,
    DT_F32 = 1,
    DT_U8 = 2,
    DT_I8 = 3,
    DT_U16 = 4,
    DT_I16 = 5,
    DT_I32 = 6,
    DT_I64 = 7,
    DT_STRING = 8,
    DT_BOOL = 9,
    DT_F16 = 10,
    DT_F64 = 11,
    DT_U32 = 12,
    DT_U64 = 13,
    DT_C64 = 14,
    DT_C128 = 15,
    DT_BF16 = 16,
    DT_F8E4M3FN = 17,
    DT_F8E4M3FNUZ = 18,
    DT_F8E5M2 = 19,
    DT_F8E5M2FNUZ = 20,
    DT_U4 = 21,
    DT_I4 = 22,
    DT_F4E2M1 = 23,
    DT_F8E8M0 = 24, /* unsigned power of two 2^(v-127), 0xff NaN; stored as uint8_t */
    DT_U2 = 25,     /* 2-bit integers, stored unpacked one per byte like u4/i4 */
    DT_I2 = 26,
    DT_COUNT
} DType;

const char *dtype_name(DType t);      /* ".dl" spelling: "f32", "i64", ... */
DType dtype_from_name(const char *s); /* DT_UNDEF when unknown */
size_t dtype_size(DType t);           /* bytes per stored element; string: a pointer */
bool dtype_is_float(DType t);         /* f16, bf16, f32, f64, float8 */
bool dtype_is_int(DType t);           /* signed or unsigned integer, not bool */
bool dtype_is_signed(DType t);
const char *dtype_ctype(DType t);     /* C storage type: "float", "uint16_t" for f16 ... */
const char *dtype_ctype_compute(DType t); /* C type computed in: f16/bf16/f8 -> "float" */

/* ---------------------------------------------------------------- locations, diagnostics */

typedef struct Loc {
    const char *file;      /* source file (the .dl or .onnx path) */
    int line, col;         /* 1-based; 0 when unknown (ONNX) */
    const char *node_name; /* ONNX node name, or NULL */
    const char *op_type;   /* ONNX op type, or NULL */
} Loc;

typedef struct Diag {
    Loc loc;
    bool warning;
    char *msg;
    struct Diag *next;
} Diag;

typedef struct DimBinding {
    const char *name;
    int64_t value;
} DimBinding;

/* --sequence NAME=SHAPE,...: the item shapes of a sequence graph input
 * (or of an optional sequence); --absent NAME: an optional input compiled
 * as empty. */
typedef struct SeqBinding {
    const char *name;
    int n;                 /* items; -1: --absent */
    int *rank;             /* rank[i] */
    int64_t (*dims)[8];    /* dims[i][d] */
} SeqBinding;

/* Per-compilation context: the arena, options and collected diagnostics. */
typedef struct Ctx {
    Arena *arena;
    Diag *diags, **diag_tail;
    int n_errors;
    const char *source_text; /* .dl text, for carets; NULL for ONNX */
    const char *source_file;
    /* options */
    int opt_level;           /* 0, 1, 2 */
    bool verify_each;
    bool print_after_all;
    const char *print_after; /* pass name or NULL */
    DimBinding *dims;
    int n_dims;
    bool train;
    const char *loss_kind;   /* --loss */
    const char *optimizer;   /* --optimizer NAME[:k=v,...] */
    const char **freeze;     /* --freeze NAME,... */
    int n_freeze;
    const char *weights_dir; /* --emit=ir: where large weights are written */
    int64_t string_bytes;    /* --string-bytes: the string arena of net_run; 0: 65536 */
    SeqBinding *seqs;        /* --sequence / --absent */
    int n_seqs;
} Ctx;

void ctx_init(Ctx *c);
void ctx_free(Ctx *c);
bool diag_error(Ctx *c, Loc loc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void diag_warning(Ctx *c, Loc loc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void diag_print(const Ctx *c, FILE *f); /* compiler-style messages with source line and caret */
static inline bool ctx_failed(const Ctx *c) { return c->n_errors > 0; }

/* ---------------------------------------------------------------- operators */

typedef struct Node Node;
typedef struct Value Value;
typedef struct Graph Graph;
typedef struct Emit Emit;       /* codegen/codegen.h */
typedef struct GradCtx GradCtx; /* passes/passes.h */

/* Operator flags. */
enum {
    OPF_ELEMWISE = 1 << 0,   /* output[i] depends on input[i] only (after broadcast) */
    OPF_COMMUTATIVE = 1 << 1,
    OPF_INPLACE = 1 << 2,    /* output may share input 0's memory */
    OPF_ALIAS = 1 << 3,      /* output is input 0's bytes, reinterpreted (Reshape...) */
    OPF_RANDOM = 1 << 4,     /* nondeterministic: never folded or CSE'd */
    OPF_NOFOLD = 1 << 5,     /* not constant-folded */
};

/* ops.def rows:
 * OP(ID, "OnnxName", "domain", min_in, max_in, min_out, max_out,
 *    shape_fn, emit_fn, grad_fn, flags, "C expression or NULL")
 * shape_fn: bool f(Node *, Ctx *)      sets every output's dtype and shape
 * emit_fn:  bool f(Emit *)             writes the kernel body (codegen.h)
 * grad_fn:  bool f(GradCtx *)          emits the input gradients (passes.h),
 *           grad_none when the op is not differentiable
 * The expression column is for table-driven elementwise emitters: it is a C
 * expression of x (and y) in the compute type T. */
typedef enum OpKind {
    OP_INVALID = 0,
#define OP(id, onnx, dom, mi, xi, mo, xo, shape, emit, grad, flags, expr) OP_##id,
#include "ops.def"
#undef OP
    OP_COUNT
} OpKind;

typedef bool (*ShapeFn)(Node *, Ctx *);
typedef bool (*EmitFn)(Emit *);
typedef bool (*GradFn)(GradCtx *);

typedef struct OpInfo {
    const char *id;     /* "ADD" */
    const char *name;   /* ONNX name, "Add" */
    const char *domain; /* "" for ai.onnx */
    int min_in, max_in, min_out, max_out;
    ShapeFn shape;
    EmitFn emit;
    GradFn grad;
    unsigned flags;
    const char *expr;
} OpInfo;

extern const OpInfo op_table[OP_COUNT];
OpKind op_lookup(const char *domain, const char *name); /* case-insensitive; OP_INVALID */

/* Declarations of every function named in ops.def (a missing one is a link error). */
#define OP(id, onnx, dom, mi, xi, mo, xo, shape, emit, grad, flags, expr) \
    bool shape(Node *, Ctx *);                                            \
    bool emit(Emit *);                                                    \
    bool grad(GradCtx *);
#include "ops.def"
#undef OP

/* ---------------------------------------------------------------- attributes */

typedef enum AttrKind {
    AT_UNDEF = 0,
    AT_FLOAT,
    AT_INT,
    AT_STRING,
    AT_TENSOR,
    AT_GRAPH,
    AT_FLOATS,
    AT_INTS,
    AT_STRINGS,
    AT_TENSORS,
    AT_GRAPHS,
} AttrKind;

typedef struct Attr {
    const char *name;
    AttrKind kind;
    int n;              /* element count for list kinds */
    double f;
    int64_t i;
    const char *s;      /* NUL-terminated; may hold bytes (ONNX strings) */
    size_t s_len;
    double *floats;
    int64_t *ints;
    const char **strings;
    Value *t;           /* AT_TENSOR: a constant Value (not in the graph) */
    Value **ts;
    Graph *g;           /* AT_GRAPH */
    Graph **gs;
} Attr;

/* ---------------------------------------------------------------- values */

typedef enum ValueKind {
    VK_NODE = 0,  /* defined by node->out[def_index] */
    VK_INPUT,     /* graph input, supplied by the caller */
    VK_PARAM,     /* trainable parameter (initial data in `data`) */
    VK_CONST,     /* constant tensor (data in `data`) */
    VK_TARGET,    /* training-only input (labels) */
} ValueKind;

/* How a parameter or constant is initialised when `data` is not given
 * directly (.dl initializers); materialised by ir/init.c. */
typedef enum InitKind {
    INIT_DATA = 0,  /* `data` holds the values */
    INIT_ZEROS,
    INIT_ONES,
    INIT_UNIFORM,
    INIT_NORMAL,
    INIT_XAVIER_UNIFORM,
    INIT_XAVIER_NORMAL,
    INIT_HE_UNIFORM,
    INIT_HE_NORMAL,
    INIT_ORTHOGONAL,
    INIT_FILE,
} InitKind;

typedef struct Init {
    InitKind kind;
    double a, b;        /* uniform(lo, hi), normal(mean, std) */
    uint64_t seed;
    const char *path;   /* INIT_FILE, as written */
} Init;

struct Value {
    const char *name;   /* unique within the graph */
    DType dtype;
    int rank;           /* -1: unknown (before shape inference) */
    int64_t dims[DLCC_MAX_RANK];
    const char *sym[DLCC_MAX_RANK]; /* symbolic name of a dim, or NULL */
    ValueKind kind;
    Node *def;          /* VK_NODE */
    int def_index;
    const void *data;   /* VK_CONST / VK_PARAM / folded: element data in storage format */
    Init init;
    Loc loc;
    int id;             /* index in graph->values */
    int n_uses;         /* filled by graph_count_uses */
    /* memory plan (passes/plan.c) */
    int64_t offset;     /* byte offset in the state arena; -1 when not in the arena */
    Value *alias;       /* shares the bytes of this value (Reshape...) */
    bool frozen;        /* parameter excluded from training */
    const void *pinned; /* graph input fixed by --const-input: its bytes; the generated
                           code rejects calls that pass other values */
};

int64_t value_numel(const Value *v);
size_t value_bytes(const Value *v);
bool value_is_const(const Value *v); /* VK_CONST, or has data */
bool value_same_shape(const Value *a, const Value *b);
/* "f32[2, 3]" */
const char *value_type_str(Arena *a, const Value *v);

/* ---------------------------------------------------------------- nodes */

struct Node {
    OpKind op;
    const char *name;
    Value **in;
    int n_in;           /* in[i] == NULL for a skipped optional input */
    Value **out;
    int n_out;
    Attr *attrs;
    int n_attrs;
    Loc loc;
    int id;
    int opset;          /* opset version of the node's domain */
    const char *domain;
    void *aux;          /* per-pass scratch */
};

const Attr *node_attr(const Node *n, const char *name);
int64_t attr_int(const Node *n, const char *name, int64_t dflt);
double attr_float(const Node *n, const char *name, double dflt);
const char *attr_string(const Node *n, const char *name, const char *dflt);
/* Fills out[] with the ints of a list attribute; returns its length, or -1 when absent. */
int attr_ints(const Node *n, const char *name, int64_t *out, int max);
Attr *node_set_attr(Graph *g, Node *n, const char *name, AttrKind kind);
void node_set_attr_int(Graph *g, Node *n, const char *name, int64_t v);
void node_set_attr_float(Graph *g, Node *n, const char *name, double v);
void node_set_attr_string(Graph *g, Node *n, const char *name, const char *s);
/* The declared shape of data-dependent output k (internal attribute "__dims<k>",
 * written by the ONNX reader; symbolic names bound by --dim): false when there
 * is none or a name is unbound (then fill[d] is taken when fill[d] >= 0). */
bool node_declared_dims(const Node *n, const Ctx *c, int k, int *rank, int64_t *dims, const int64_t *fill,
                        int fill_rank);
void node_set_attr_ints(Graph *g, Node *n, const char *name, const int64_t *v, int count);
void node_set_attr_floats(Graph *g, Node *n, const char *name, const double *v, int count);
static inline const OpInfo *node_info(const Node *n) { return &op_table[n->op]; }

/* ---------------------------------------------------------------- graphs */

/* A slot of the generated API (one entry of inputs[] or outputs[]) that is
 * not one tensor: a sequence (the caller passes an array of n item
 * pointers), an optional tensor, or an optional sequence.  Their count and
 * shapes are fixed at compile time; the items are ordinary graph inputs or
 * outputs.  Graph.in_slots == NULL means one tensor slot per input. */
typedef enum IoKind { IO_TENSOR, IO_SEQUENCE, IO_OPTIONAL, IO_OPTIONAL_SEQUENCE } IoKind;
typedef struct IoSlot {
    const char *name;
    IoKind kind;
    bool present;       /* optionals: false when compiled as empty */
    DType dtype;        /* element type */
    int n;              /* items */
    Value **items;
} IoSlot;

struct Graph {
    Arena *arena;
    const char *name;
    Node **nodes;
    int n_nodes, cap_nodes;
    Value **values;     /* every value, by id */
    int n_values, cap_values;
    Value **inputs;     /* VK_INPUT, in order */
    int n_inputs;
    Value **outputs;    /* graph outputs, in order (any kind) */
    int n_outputs;
    IoSlot *in_slots;   /* API slots when some are sequences/optionals, else NULL */
    int n_in_slots;
    IoSlot *out_slots;
    int n_out_slots;
    Value **params;     /* VK_PARAM, declaration order */
    int n_params;
    Value **targets;    /* VK_TARGET */
    int n_targets;
    Graph *parent;      /* subgraph: enclosing graph (for outer-scope names) */
    int opset;          /* ai.onnx opset */
    /* training */
    Value *loss;
    const char *optimizer;  /* "adam(lr=0.001)" style call text, or NULL */
    double clip_grad_norm;  /* 0: off */
    /* passes */
    bool shapes_known;      /* set by pass_shape: every value has a dtype and shape */
    void *plan;             /* Plan of passes/plan.c (plan_of) */
    void *train;            /* TrainInfo of passes/passes.h (train_info_of), set by pass_autodiff */
};

Graph *graph_new(Arena *a, const char *name);
/* Adds a value of the given kind.  Names must be unique; graph_unique_name helps. */
Value *graph_add_value(Graph *g, const char *name, ValueKind kind, DType dt, int rank, const int64_t *dims);
Value *graph_add_input(Graph *g, const char *name, DType dt, int rank, const int64_t *dims);
Value *graph_add_const(Graph *g, const char *name, DType dt, int rank, const int64_t *dims, const void *data);
Value *graph_add_param(Graph *g, const char *name, DType dt, int rank, const int64_t *dims, const void *data);
Value *graph_const_scalar_f32(Graph *g, float x);
Value *graph_const_i64s(Graph *g, const int64_t *v, int n); /* 1-D i64 constant */
void graph_add_output(Graph *g, Value *v);
/* Appends an API slot (see IoSlot; its items are already inputs or
 * outputs).  Whoever adds slots adds one per API entry, tensors included,
 * then calls graph_finish_slots, which drops lists that hold only tensors. */
void graph_add_slot(Graph *g, bool output, const IoSlot *s);
void graph_finish_slots(Graph *g);
const char *io_kind_name(IoKind k); /* "sequence", "optional", "optional_sequence" */
/* Appends a node whose n_out outputs are fresh values (shape unknown). */
Node *graph_add_node(Graph *g, OpKind op, Value *const *in, int n_in, int n_out);
/* Inserts a node before position pos of graph->nodes. */
Node *graph_insert_node(Graph *g, int pos, OpKind op, Value *const *in, int n_in, int n_out);
const char *graph_unique_name(Graph *g, const char *base);
Value *graph_find_value(const Graph *g, const char *name);
void graph_count_uses(Graph *g);
/* Replaces every use of `from` (node inputs and graph outputs) by `to`. */
void graph_replace_uses(Graph *g, Value *from, Value *to);
/* Drops nodes whose op is OP_INVALID (marked dead) and renumbers. */
void graph_compact(Graph *g);

/* ---------------------------------------------------------------- printer, verifier, init */

/* Writes the graph as .dl text (DSL.md).  Constant data larger than
 * inline_limit elements is written to weights_dir (file("...")) when it is
 * non-NULL, else inline. */
bool ir_print(Graph *g, Ctx *c, FILE *f, const char *weights_dir, int64_t inline_limit);
bool ir_verify(Graph *g, Ctx *c);
/* Materialises Init descriptions into data (passes/init or ir/init.c). */
bool init_materialize(Graph *g, Ctx *c, const char *base_dir);
/* Counter-based random numbers (ir/init.c): Philox4x32-10, so element i of a
 * stream depends only on (seed, i).  Initializers use them; dropout can too. */
void philox4x32_10(const uint32_t key[2], const uint32_t ctr[4], uint32_t out[4]);
double rng_uniform(uint64_t seed, uint64_t i); /* [0, 1), 53 bits from block (seed, i) */
double rng_normal(uint64_t seed, uint64_t i);  /* standard normal, Box-Muller on block (seed, i) */

/* f16 / bf16 conversions for the compiler itself (constant folding, printing). */
float half_to_float(uint16_t h);
uint16_t float_to_half(float f);
float bf16_to_float(uint16_t h);
uint16_t float_to_bf16(float f);
/* Reads element i of constant data as double / int64. */
double data_get_f64(DType t, const void *data, int64_t i);
int64_t data_get_i64(DType t, const void *data, int64_t i);
void data_set_f64(DType t, void *data, int64_t i, double x);

/* ---------------------------------------------------------------- shape helpers (ir/shape_common.c) */

void value_set_shape(Value *v, DType dt, int rank, const int64_t *dims);
/* ONNX multidirectional broadcasting of a and b; false when incompatible. */
bool broadcast_dims(int ra, const int64_t *da, int rb, const int64_t *db, int *rank, int64_t *dims);
/* Normalises a possibly negative axis for a tensor of the given rank; -1 when out of range. */
int norm_axis(int64_t axis, int rank);
/* Every input of n present (non-NULL) has a known shape. */
bool node_inputs_known(const Node *n);
/* Error at the node's location, naming the op: "conv: ...". */
bool node_error(Ctx *c, const Node *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---------------------------------------------------------------- op parameters resolved at compile time */

/* Slice (ir/shape_tensor.c): first index, step and count of every input dimension. */
bool slice_resolve(const Node *n, Ctx *c, int64_t *start, int64_t *step, int64_t *count);
/* Pad (ir/shape_tensor.c): pads[2 * rank], begins then ends, for every dimension. */
bool pad_resolve(const Node *n, Ctx *c, int64_t *pads);
/* Reductions (ir/shape_reduce.c): reduced[d] for every input dimension;
 * returns false on a bad axis. */
bool reduce_resolve_axes(const Node *n, Ctx *c, bool *reduced);

/* ---------------------------------------------------------------- attribute schema (ir/attrs.c, ir/op_attrs.def) */

/* The attributes op accepts, "name:kind name:kind ..." as in ir/op_attrs.def
 * (generated by scripts/gen_op_attrs.py), or NULL when op has no schema. */
const char *op_attr_schema(OpKind op);
/* NULL when op accepts an attribute `name` of `kind` (AT_UNDEF: any kind), when
 * op has no schema, or for a dlcc-internal name starting with "__"; else a
 * message allocated in a: "Conv has no attribute 'stride' (did you mean
 * 'strides'?)" or "Conv: attribute 'kernel_shape' takes a list of integers,
 * not a string".  Readers report it (the .dl parser as an error, the ONNX
 * reader as a warning). */
const char *op_attr_check(Arena *a, OpKind op, const char *name, AttrKind kind);

#endif
