/*
 * codegen.h: turning a planned Graph into one standalone C file.
 *
 * Every node becomes one static kernel function
 *
 *     static int PREFIX_kN(const T0 *restrict x0, ..., T *restrict y0, ..., void *restrict ws)
 *
 * with input pointers x0..x{n_in-1} (NULL for a skipped optional input),
 * output pointers y0..y{n_out-1} and a scratch pointer ws (only valid when
 * the emitter asked for scratch).  The driver (codegen.c) writes the
 * signature and the final `return 0;`; the op's emit function, named in its
 * ops.def row, writes the body with emitf().  Shapes are known, so they are
 * written into the body as constants.  A kernel returns a negative DLCC_ERR_*
 * code on a runtime error (index out of range...).
 *
 * Every emitter is called twice: once with e->measure set, where emitf
 * writes nothing and only emit_scratch() requests count, so the memory
 * planner can reserve scratch space; then for real.
 *
 * Runtime pieces (runtime/NAME.h, compiled in as strings) are pasted into the
 * output once when an emitter calls emit_use_runtime().
 */
#ifndef DLCC_CODEGEN_H
#define DLCC_CODEGEN_H

#include "../ir/ir.h"

typedef struct Codegen Codegen;

struct Emit {
    Buf *buf;           /* kernel body; NULL while measuring */
    bool measure;
    const Node *node;
    Graph *graph;
    Ctx *ctx;
    Codegen *cg;
    size_t scratch;     /* bytes of scratch requested (64-byte aligned) */
    const char *prefix; /* symbol prefix of the generated file */
    int indent;
};

/* Appends formatted C to the kernel body (no-op while measuring). */
void emitf(Emit *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Requests `bytes` of scratch at ws (64-byte aligned); returns "ws". */
const char *emit_scratch(Emit *e, size_t bytes);
/* Emits `dlcc_mt19937 *rng` in scratch, seeded like numpy's RandomState(seed)
 * (runtime/mt19937.h; codegen/emit_extra.c). */
void emit_mt19937_seeded(Emit *e, int64_t seed);
/* Pastes runtime piece `name` (runtime/NAME.h) into the output once. */
void emit_use_runtime(Emit *e, const char *name);
/* C expression that loads element `idx` of input/output pointer `ptr` of
 * dtype t as the compute type (f16/bf16 -> float), and the matching store. */
const char *emit_load(Emit *e, DType t, const char *ptr, const char *idx);
void emit_store(Emit *e, DType t, const char *ptr, const char *idx, const char *val);
/* A C literal for a double in the compute type of t: "1.5f", "2.0", "3". */
const char *emit_literal(Emit *e, DType t, double x);
/* emitf with indentation: each line of the text gets e->indent levels, which
 * follow the braces that close and open lines. */
void emit_code(Emit *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Emitter failure: records a located error naming the node. */
bool emit_error(Emit *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Runtime error codes, returned (negated) by kernels and the API. */
#define DLCC_ERR_ARG 1      /* NULL pointer / bad argument */
#define DLCC_ERR_INDEX 2    /* index out of range */
#define DLCC_ERR_SHAPE 3    /* data-dependent shape exceeds its bound */
#define DLCC_ERR_STRING 4   /* the string arena (--string-bytes) is full */

/* Writes OUT.c text to c_out and OUT.h text to h_out. */
bool codegen_emit(Graph *g, Ctx *c, const char *prefix, Buf *c_out, Buf *h_out);
/* Runs every emitter in measure mode and stores the scratch bytes of node i
 * in scratch[i] (used by the memory planner). */
bool codegen_measure_scratch(Graph *g, Ctx *c, size_t *scratch);

/* Runtime pieces compiled in (runtime_blob.c, generated at build time). */
const char *runtime_piece(const char *name);

/* Writes the graph as a Graphviz digraph (dlcc --emit=dot; codegen/dot.c). */
bool dot_print(Graph *g, Ctx *c, FILE *f);

/* ---------------------------------------------------------------- driver internals
 * (codegen.c, codegen_weights.c), for emitters and for the training API
 * emitter (codegen/train.c). */

/* Puts `bytes` of data (little-endian storage format of t) into the weights
 * blob, 64-byte aligned, once per data pointer, and returns the C expression
 * `(const T *)(PREFIX_weights + OFF)` that points at it. */
const char *emit_weight(Emit *e, const void *data, size_t bytes, DType t);
/* Records runtime piece `name` (emit_use_runtime without the check). */
void codegen_use_runtime(Codegen *cg, const char *name);

/* Inside an API function: the pointer expression of v's storage, typed
 * `(const T *)` when is_const else `(T *)`: the state arena
 * `((char *)state + OFF)`, the weights, a staged input `in[i]` or a staged
 * target `tg[i]` (see codegen_emit_prologue).  NULL, with an error, when v
 * has no storage. */
const char *codegen_value_ptr(Codegen *cg, const Value *v, bool is_const);
/* Writes the start of an API function body: `int rc = 0;`, the checks of
 * `state` (non-NULL, 64-byte aligned), `inputs` and `outputs` (when
 * with_outputs), and the copies of misaligned inputs into the state
 * (`const void *in[]`; with_targets: also `targets` into `tg[]`). */
void codegen_emit_prologue(Codegen *cg, Buf *out, bool with_targets, bool with_outputs);
/* Writes the kernel calls, in graph order, of the nodes needed for the n
 * values roots (every node when roots is NULL), each followed by
 * `if (rc < 0) return rc;`. */
bool codegen_emit_calls(Codegen *cg, Buf *out, Value *const *roots, int n);
/* Writes `const dlcc_tensor_desc PREFIX_WHAT[N] = {...};` for vals. */
void codegen_emit_descs(Codegen *cg, Buf *out, const char *what, Value *const *vals, int n);
/* Copies of graph values into a caller's buffer array (`outputs[k]` ...):
 * `memcpy(ARRAY[k], <storage of vals[k]>, bytes)`. */
void codegen_emit_copy_out(Codegen *cg, Buf *out, const char *array, Value *const *vals, int n);
/* The prefix, and the prefix in upper case (for macros). */
const char *codegen_prefix(const Codegen *cg);
const char *codegen_prefix_upper(const Codegen *cg);
/* The graph and context being generated (codegen/train.c). */
Graph *codegen_graph(const Codegen *cg);
Ctx *codegen_ctx(const Codegen *cg);

/* Writes `static _Alignas(64) const unsigned char NAME[SIZE] = "...";`
 * holding data[0..len) (zero-filled up to size, which is raised to len + 1
 * when smaller) as one string literal split into lines (codegen_weights.c). */
void codegen_write_blob(Buf *out, const char *name, const unsigned char *data, size_t len, size_t size);

/* Training builds (ctx->train), defined in codegen/train.c: appends the
 * training API (NUM_TARGETS/NUM_PARAMS, descriptors, PREFIX_train_step,
 * PREFIX_param) to decls (pasted into both net.h and net.c) and defs (net.c,
 * after PREFIX_run).  PREFIX_init has already zeroed the state and copied
 * every VK_PARAM's initial data to its offset. */
bool codegen_emit_train(Codegen *cg, Buf *decls, Buf *defs);

/* Control-flow emitters (codegen/emit_control.c): writes the kernels of
 * subgraph `body` of e's node (planned by pass_plan, reading only its own
 * inputs and constants) and a function
 *     static int NAME(void *state, const void *const in[], void *const out[])
 * that runs them on a body arena at state (64-byte aligned), reads body
 * input i at in[i] and copies body output k to out[k].  index tells the
 * bodies of one node apart.  Returns NAME (NULL on error) and sets *bytes
 * to the arena bytes the body needs. */
const char *codegen_emit_subgraph(Emit *e, Graph *body, int index, int64_t *bytes);

/* String tensors (codegen/emit_string.c).  emit_string_arena: the kernel
 * creates strings; its ws then points at the string arena of the state (a
 * `size_t used, cap` header, 64 bytes, then the bytes; reset by net_run), so
 * such a kernel asks for no scratch.  Returns "ws". */
const char *emit_string_arena(Emit *e);
/* The string paths of existing ops: Equal (emit_binary), Cast/CastLike. */
bool emit_string_compare(Emit *e);
bool emit_string_cast(Emit *e);
/* Writes a C string literal of s (bytes escaped) to the kernel body. */
void emit_string_literal(Emit *e, const char *s);

#endif
