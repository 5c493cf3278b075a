/*
 * passes.h: graph-to-graph rewrites and the pipeline that runs them.
 *
 * Each pass is `bool pass_NAME(Graph *, Ctx *)`; passes/pipeline.c lists them
 * in order with the optimisation level they need.  `--print-after=NAME`
 * dumps the IR after a pass, `--verify-each` runs ir_verify after each.
 */
#ifndef DLCC_PASSES_H
#define DLCC_PASSES_H

#include "../ir/ir.h"

bool pass_bind_dims(Graph *g, Ctx *c);     /* --dim bindings; unbound symbols -> 1 with a warning */
bool pass_shape(Graph *g, Ctx *c);         /* shape inference: every value gets dtype and shape */
bool pass_fold(Graph *g, Ctx *c);          /* constant folding */
bool pass_dce(Graph *g, Ctx *c);           /* dead-code elimination */
bool pass_fuse(Graph *g, Ctx *c);          /* BN into Conv, activation epilogues (passes/fuse.c) */
bool pass_plan(Graph *g, Ctx *c);          /* memory planning: offsets in one arena */

bool pass_autodiff(Graph *g, Ctx *c);      /* training builds (c->train): backward + optimizer */

/* Runs the whole pipeline for c->opt_level.  Returns false on error. */
bool pipeline_run(Graph *g, Ctx *c);
/* Whether NAME is a pass of the pipeline (for validating --print-after). */
bool pipeline_has_pass(const char *name);

/* Compile-time evaluation of one node whose inputs are constant (Shape and
 * Size only need a known input shape).  The node's output shapes must be set.
 * On success sets every output's data (arena) and returns true; returns false
 * without a diagnostic when the op or the dtypes are not supported. */
bool fold_node(Graph *g, Node *n, Ctx *c);
/* Whether the value counts as a compile-time constant for folding:
 * value_is_const, or a parameter with data in an inference build. */
bool fold_value_is_const(const Value *v, const Ctx *c);

/* Result of memory planning, stored by pass_plan for codegen. */
typedef struct Plan {
    int64_t arena_bytes;    /* NET_STATE_SIZE */
    int64_t lower_bound;    /* largest total of simultaneously live tensors */
    int64_t sum_bytes;      /* sum of all planned tensors (no reuse) */
    int64_t *scratch_off;   /* per node: offset of its scratch, -1 if none */
    size_t *scratch_bytes;  /* per node */
    int n_nodes;            /* length of the two arrays above */
    int64_t persistent_bytes; /* [0, persistent_bytes): params and kept state */
    Value **persistent;     /* plan_keep_persistent, in call order */
    int n_persistent;
} Plan;

/* Training builds: v gets its own arena bytes for the whole run (after the
 * parameters, which are persistent anyway), e.g. optimizer moments.  Such
 * values are also roots for pass_dce. */
void plan_keep_persistent(Graph *g, Value *v);

/* The plan of the last pass_plan run on g (stored in the graph's arena). */
Plan *plan_of(const Graph *g);

/* ---------------------------------------------------------------- autodiff (passes/autodiff.c)
 *
 * pass_autodiff turns the graph into the joint training graph: the inference
 * forward (graph outputs as before), the training forward (Dropout active,
 * BatchNormalization on batch statistics), the loss, the backward, gradient
 * clipping and the optimizer update.  Gradient rules (`bool grad_X(GradCtx *)`,
 * named in ops.def, defined in passes/grad_*.c) emit the nodes computing the
 * gradients of a node's inputs from the gradients of its outputs. */
bool pass_autodiff(Graph *g, Ctx *c);

struct GradCtx {
    Graph *g;
    Ctx *c;
    Node *node;         /* forward node */
    Value **dy;         /* dy[k]: gradient of node->out[k], NULL when none flows */
    bool *wants;        /* wants[i]: input i needs a gradient */
    Value **dx;         /* accumulated input gradients (grad_add) */
};

/* Input i of the node needs a gradient (present, float, on a parameter's path). */
bool grad_wants(const GradCtx *gc, int i);
/* Adds dx (shaped like input i, or broadcastable to it: reduced with SumTo)
 * to the gradient of input i. */
void grad_add(GradCtx *gc, int i, Value *dx);
/* Appends a node after the current end of the graph, located at the forward
 * node.  Set attributes, then call grad_infer (the builder helpers below
 * infer at once). */
Node *grad_node(GradCtx *gc, OpKind op, Value *const *in, int n_in, int n_out);
bool grad_infer(GradCtx *gc, Node *n);
/* passes/grad_conv.c: the backward node of a normalisation over axis..end
 * (LayerNormalization, RMSNormalization): op(dY, X, Scale) with the forward
 * node's axis (normalised) and epsilon, shapes inferred; NULL on error. */
Node *grad_norm_node(GradCtx *gc, OpKind op, int n_out);
/* One-output node of op on a (and b when non-NULL), inferred; NULL on error. */
Value *grad_op(GradCtx *gc, OpKind op, Value *a, Value *b);
/* Scalar constant of dtype dt. */
Value *grad_const(GradCtx *gc, DType dt, double x);
/* Sums d over broadcast axes down to the shape of like (dlcc.SumTo); d itself
 * when shapes already agree. */
Value *grad_sum_to(GradCtx *gc, Value *d, const Value *like);
/* Broadcasts d to the shape of like times scale (dlcc.ExpandTo). */
Value *grad_expand_to(GradCtx *gc, Value *d, const Value *like, double scale);
/* Reshape of d to the shape of like. */
Value *grad_reshape_to(GradCtx *gc, Value *d, const Value *like);
/* Transpose of d by perm. */
Value *grad_transpose(GradCtx *gc, Value *d, const int64_t *perm, int rank);

/* The training build's layout facts, kept with the joint graph for codegen
 * (codegen/train.c).  The persistent state (start of NET_STATE_SIZE) holds
 * state[0..n_state): the trainable params first (in g->params order), then
 * optimizer moments, running statistics and the step counter.  After a
 * train step, state[i] receives the value of graph output next_out[i] (-1:
 * not updated).  Graph outputs [0, n_user_outputs) are the model's outputs
 * (inference mode); output n_user_outputs is the loss. */
typedef struct TrainInfo {
    int n_user_outputs;
    Value **state;
    int *next_out;
    int n_state, cap_state;
    int n_trainable;        /* state[0..n_trainable): the params of the API */
    Value *step;            /* i64 scalar state: the step counter (1 in the first step) */
} TrainInfo;

TrainInfo *train_info_of(const Graph *g);

/* passes/optim.c */
/* Builds the loss of kind ("cross_entropy", "mse", ...) on pred and target;
 * returns the scalar loss value or NULL with an error. */
Value *train_build_loss(Graph *g, Ctx *c, const char *kind, Value *pred, Value *target, Loc loc);
/* Adds the target input of an ONNX --loss KIND build for prediction pred. */
Value *train_add_target(Graph *g, Ctx *c, const char *kind, Value *pred);
/* Emits gradient clipping and the optimizer update for every trainable
 * param p with gradient grads[i] (NULL: unused); records state in ti. */
bool train_emit_update(Graph *g, Ctx *c, TrainInfo *ti, Value **grads);
/* Adds a persistent state value (moment, running statistic); returns it. */
Value *train_add_state(Graph *g, TrainInfo *ti, const char *name, DType dt, int rank, const int64_t *dims);
void train_set_next(Graph *g, TrainInfo *ti, Value *slot, Value *next);
/* passes/grad_nn.c: the training form of a node whose training semantics
 * differ (Dropout active, BatchNormalization on batch statistics), on
 * inputs in; appended to the graph with its shapes inferred. */
Node *train_form_node(Graph *g, Ctx *c, TrainInfo *ti, Node *n, Value **in);
/* Rule of ops whose derivative is zero almost everywhere (Floor, Sign...). */
bool grad_zero(GradCtx *gc);
/* passes/grad_conv.c: BatchNormalization's running mean and variance become
 * non-trainable state (add_state false: before the trainable params are
 * listed, marks them frozen params; true: gives them state slots). */
void train_prepare_running_stats(Graph *g, bool add_state, TrainInfo *ti);
/* passes/autodiff.c: expands ONNX Gradient nodes (ai.onnx.preview.training)
 * into backward nodes; needs shapes; pass_autodiff runs it too. */
bool pass_gradient_ops(Graph *g, Ctx *c);

/* ---------------------------------------------------------------- control flow (passes/subgraph.c)
 *
 * Bodies of If/Loop/Scan are Graphs in GRAPH attributes.  pass_capture makes
 * every outer-scope value a body reads an extra input of its node (appended
 * after the ONNX inputs; subgraph_n_captured counts them) and of each body
 * (appended after its formal inputs, same order).  pass_subgraphs inlines If
 * on a constant condition, then folds, cleans and plans every body. */
bool pass_capture(Graph *g, Ctx *c);
/* Replaces the If at g->nodes[pos], whose condition is a compile-time
 * constant, by the taken branch's nodes (the If becomes OP_INVALID). */
/* Expands the SequenceMap at g->nodes[pos] into one copy of its body per
 * element (pass_shape calls it when it reaches the node). */
bool subgraph_expand_sequence_map(Graph *g, int pos, Ctx *c);
/* An If on a constant condition that gives a sequence: pass_shape inlines
 * it (subgraph_inline_if) when it reaches it. */
bool subgraph_if_gives_sequence(const Node *n, Ctx *c);
/* A Loop carrying a sequence or optional is unrolled by pass_shape. */
bool subgraph_loop_carries_sequence(const Node *n);
bool subgraph_unroll_sequence_loop(Graph *g, int pos, Ctx *c);
bool subgraph_inline_if(Graph *g, int pos, Ctx *c);
bool pass_subgraphs(Graph *g, Ctx *c);
bool node_has_subgraphs(const Node *n);
int subgraph_n_captured(const Node *n);
/* Gives body inputs [first, first + n) the types and shapes of outer[0..n);
 * an input whose outer value is a compile-time constant becomes a constant. */
void subgraph_bind(Graph *body, int first, Value *const *outer, int n, const Ctx *c);
/* Bytes of a planned body's arena (64-byte multiple), scratch included. */
int64_t subgraph_arena_bytes(const Graph *body);

/* passes/grad_rnn.c: the training form (dlcc.RNNTrain/LSTMTrain/GRUTrain,
 * which also saves every step's gates for the backward) of an RNN, LSTM or
 * GRU node n on inputs in; appended to the graph with its shapes inferred.
 * Its first outputs correspond to n's outputs. */
Node *grad_rnn_train_form(Graph *g, Ctx *c, Node *n, Value **in);

/* passes/sequence.c: rewrites compile-time sequence and optional ops into
 * tensor ops (right after shape inference). */
bool pass_sequence(Graph *g, Ctx *c);

#endif
