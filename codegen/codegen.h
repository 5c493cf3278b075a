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
 * Runtime pieces (runtime/*.h, compiled in as strings) are pasted into the
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
/* Pastes runtime piece `name` (runtime/NAME.h) into the output once. */
void emit_use_runtime(Emit *e, const char *name);
/* C expression that loads element `idx` of input/output pointer `ptr` of
 * dtype t as the compute type (f16/bf16 -> float), and the matching store. */
const char *emit_load(Emit *e, DType t, const char *ptr, const char *idx);
void emit_store(Emit *e, DType t, const char *ptr, const char *idx, const char *val);
/* A C literal for a double in the compute type of t: "1.5f", "2.0", "3". */
const char *emit_literal(Emit *e, DType t, double x);
/* Emitter failure: records a located error naming the node. */
bool emit_error(Emit *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Runtime error codes, returned (negated) by kernels and the API. */
#define DLCC_ERR_ARG 1      /* NULL pointer / bad argument */
#define DLCC_ERR_INDEX 2    /* index out of range */
#define DLCC_ERR_SHAPE 3    /* data-dependent shape exceeds its bound */

/* Writes OUT.c text to c_out and OUT.h text to h_out. */
bool codegen_emit(Graph *g, Ctx *c, const char *prefix, Buf *c_out, Buf *h_out);
/* Runs every emitter in measure mode and stores the scratch bytes of node i
 * in scratch[i] (used by the memory planner). */
bool codegen_measure_scratch(Graph *g, Ctx *c, size_t *scratch);

/* Runtime pieces compiled in (runtime_blob.c, generated at build time). */
const char *runtime_piece(const char *name);

#endif
