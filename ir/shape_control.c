/*
 * shape_control.c: shape functions of If, Loop and Scan.
 *
 * A control-flow node's bodies are inferred here: the body inputs get the
 * types and shapes the node feeds them (the formal inputs from the node's
 * ONNX inputs, the captured inputs from the outer values they stand for,
 * see passes/subgraph.c), then pass_shape runs on the body, and the node's
 * outputs follow from the body outputs.  Everything must be static:
 *   - If: both branches give outputs of the same dtype and shape, unless
 *     the condition is a compile-time constant (only the taken branch is
 *     inferred; pass_subgraphs then inlines it);
 *   - Loop: loop-carried values keep their dtype and shape; scan outputs
 *     (one slice per iteration, stacked on a new axis 0) need a constant
 *     trip count M, which is their length;
 *   - Scan: the sequence length is a dimension of the scan inputs (axis 1
 *     behind the batch axis in opset 8).
 */
#include "shape_control.h"
#include "shape_sequence.h"
#include "../passes/passes.h"

#include <string.h>

static Graph *body_attr(const Node *n, const char *name, Ctx *c) {
    const Attr *a = node_attr(n, name);
    if (!a || a->kind != AT_GRAPH || !a->g) {
        node_error(c, n, "attribute '%s' (a graph) is required", name);
        return NULL;
    }
    return a->g;
}

static bool scalar_like(const Value *v) { return v && value_numel(v) == 1; }

/* A formal body input of a fixed dtype that holds one element: keeps the
 * rank the body declares (0 or 1), else a scalar. */
static void bind_scalar(Value *b, DType dt) {
    int64_t one = 1;
    bool r1 = b->rank == 1;
    value_set_shape(b, dt, r1 ? 1 : 0, &one);
    b->kind = VK_INPUT;
    b->data = NULL;
}

static void bind_dims(Value *b, DType dt, int rank, const int64_t *dims) {
    value_set_shape(b, dt, rank, dims);
    b->kind = VK_INPUT;
    b->data = NULL;
}

/* Infers the body; its captured inputs are the node's last ncap inputs. */
static bool infer_body(Node *n, Graph *body, int n_formal, Ctx *c, const char *what) {
    int ncap = subgraph_n_captured(n);
    if (body->n_inputs != n_formal + ncap)
        return node_error(c, n, "%s has %d inputs, expected %d", what, body->n_inputs - ncap, n_formal);
    subgraph_bind(body, n_formal, n->in + (n->n_in - ncap), ncap, c);
    for (int i = 0; i < body->n_inputs; i++)
        if (body->inputs[i]->rank < 0 || body->inputs[i]->dtype == DT_UNDEF)
            return node_error(c, n, "%s: input %d has no type", what, i);
    return pass_shape(body, c);
}

static bool same_type(const Value *a, const Value *b) { return a->dtype == b->dtype && value_same_shape(a, b); }

/* ---------------------------------------------------------------- If */

bool shape_if(Node *n, Ctx *c) {
    Graph *tb = body_attr(n, "then_branch", c), *eb = body_attr(n, "else_branch", c);
    if (!tb || !eb)
        return false;
    const Value *cond = n->in[0];
    if (!scalar_like(cond))
        return node_error(c, n, "the condition must hold one element, has shape %s", value_type_str(c->arena, cond));
    if (n->n_in - subgraph_n_captured(n) != 1)
        return node_error(c, n, "expects 1 input, got %d", n->n_in - subgraph_n_captured(n));
    bool known = cond->data && fold_value_is_const(cond, c);
    bool taken = known && data_get_f64(cond->dtype, cond->data, 0) != 0;
    Graph *branches[2] = {tb, eb};
    const char *names[2] = {"then_branch", "else_branch"};
    for (int k = 0; k < 2; k++) {
        if (known && (k == 0) != taken)
            continue;
        if (!infer_body(n, branches[k], 0, c, names[k]))
            return false;
        if (branches[k]->n_outputs != n->n_out)
            return node_error(c, n, "%s has %d outputs, the node %d", names[k], branches[k]->n_outputs, n->n_out);
    }
    for (int i = 0; i < n->n_out; i++) {
        const Value *t = known ? (taken ? tb : eb)->outputs[i] : tb->outputs[i];
        if (!known && (seq_list_of(tb->outputs[i]) || seq_list_of(eb->outputs[i])))
            return node_error(c, n,
                              "output %d is a sequence or optional, so the condition must be a compile-time constant "
                              "(then the taken branch is inlined)",
                              i);
        if (!known && !same_type(t, eb->outputs[i]))
            return node_error(c, n,
                              "output %d is %s in then_branch but %s in else_branch; dlcc needs both branches to give "
                              "the same static type and shape (or a constant condition)",
                              i, value_type_str(c->arena, t), value_type_str(c->arena, eb->outputs[i]));
        value_set_shape(n->out[i], t->dtype, t->rank, t->dims);
        /* a constant condition: constant branch outputs are known now;
         * pass_subgraphs replaces the node by the branch right after. */
        n->out[i]->data = known && value_is_const(t) ? t->data : NULL;
    }
    return true;
}

/* ---------------------------------------------------------------- Loop */

bool shape_loop(Node *n, Ctx *c) {
    Graph *body = body_attr(n, "body", c);
    if (!body)
        return false;
    int nexp = n->n_in - subgraph_n_captured(n);
    int N = nexp - 2;
    if (N < 0)
        return node_error(c, n, "expects at least 2 inputs (M, cond)");
    const Value *m = n->in[0], *cond = n->in[1];
    if (m && (!scalar_like(m) || !dtype_is_int(m->dtype)))
        return node_error(c, n, "the trip count M must be one integer, is %s", value_type_str(c->arena, m));
    if (cond && !scalar_like(cond))
        return node_error(c, n, "the condition must hold one element, is %s", value_type_str(c->arena, cond));
    int K = body->n_outputs - 1 - N;
    if (K < 0 || n->n_out != N + K)
        return node_error(c, n, "the body has %d outputs; with %d loop-carried values the node needs %d outputs, has %d",
                          body->n_outputs, N, body->n_outputs - 1, n->n_out);
    if (body->n_inputs >= 2) {
        bind_scalar(body->inputs[0], DT_I64);
        bind_scalar(body->inputs[1], DT_BOOL);
    }
    for (int k = 0; k < N && 2 + k < body->n_inputs; k++) {
        const Value *x = n->in[2 + k];
        bind_dims(body->inputs[2 + k], x->dtype, x->rank, x->dims);
    }
    if (!infer_body(n, body, 2 + N, c, "the body"))
        return false;
    if (!scalar_like(body->outputs[0]))
        return node_error(c, n, "the body's condition output must hold one element, is %s",
                          value_type_str(c->arena, body->outputs[0]));
    for (int k = 0; k < N; k++) {
        const Value *x = n->in[2 + k], *y = body->outputs[1 + k];
        if (!same_type(x, y))
            return node_error(c, n,
                              "loop-carried value %d ('%s') enters as %s and leaves the body as %s; dlcc needs "
                              "loop-carried values of a static type and shape",
                              k, x->name, value_type_str(c->arena, x), value_type_str(c->arena, y));
        value_set_shape(n->out[k], x->dtype, x->rank, x->dims);
    }
    if (K > 0) {
        if (!m || !m->data || !fold_value_is_const(m, c))
            return node_error(c, n,
                              "scan outputs need a trip count M known at compile time (their length: M must be a "
                              "compile-time constant), but M is %s",
                              m ? "computed at run time" : "not given");
        int64_t trips = data_get_i64(m->dtype, m->data, 0);
        if (trips < 0)
            trips = 0;
        for (int j = 0; j < K; j++) {
            const Value *s = body->outputs[1 + N + j];
            if (s->rank + 1 > DLCC_MAX_RANK)
                return node_error(c, n, "scan output %d would have rank %d, above %d", j, s->rank + 1, DLCC_MAX_RANK);
            int64_t dims[DLCC_MAX_RANK];
            dims[0] = trips;
            memcpy(dims + 1, s->dims, sizeof(int64_t) * (size_t)s->rank);
            value_set_shape(n->out[N + j], s->dtype, s->rank + 1, dims);
            if (value_numel(n->out[N + j]) > ((int64_t)1 << 40) || (trips > 0 && value_numel(s) > 0 &&
                                                                     value_numel(n->out[N + j]) / trips != value_numel(s)))
                return node_error(c, n, "scan output %d is too large (trip count %lld)", j, (long long)trips);
        }
    }
    return true;
}

/* ---------------------------------------------------------------- Scan */

/* Scan's attributes, resolved against the shapes (emit_control.c uses it too). */
bool scan_resolve(const Node *n, Ctx *c, ScanInfo *s) {
    memset(s, 0, sizeof *s);
    const Attr *ba = node_attr(n, "body");
    s->body = ba && ba->kind == AT_GRAPH ? ba->g : NULL;
    if (!s->body)
        return node_error(c, n, "attribute 'body' (a graph) is required");
    s->v8 = n->opset > 0 && n->opset < 9;
    int nexp = n->n_in - subgraph_n_captured(n);
    s->first = s->v8 ? 1 : 0;
    s->M = (int)attr_int(n, "num_scan_inputs", -1);
    s->N = nexp - s->first - s->M;
    if (s->M < 1 || s->N < 0)
        return node_error(c, n, "num_scan_inputs=%d does not fit the %d inputs", s->M, nexp - s->first);
    if (s->M > SCAN_MAX || n->n_out > SCAN_MAX)
        return node_error(c, n, "more than %d scan inputs or outputs", SCAN_MAX);
    s->K = n->n_out - s->N;
    if (s->K < 0)
        return node_error(c, n, "has %d outputs, fewer than its %d state values", n->n_out, s->N);
    int64_t v[SCAN_MAX];
    int cnt = attr_ints(n, s->v8 ? "directions" : "scan_input_directions", v, SCAN_MAX);
    for (int j = 0; j < s->M; j++)
        s->in_rev[j] = j < cnt && v[j] != 0;
    cnt = attr_ints(n, "scan_output_directions", v, SCAN_MAX);
    for (int j = 0; j < s->K; j++)
        s->out_rev[j] = j < cnt && v[j] != 0;
    int64_t in_axes[SCAN_MAX] = {0}, out_axes[SCAN_MAX] = {0};
    int n_in_axes = s->v8 ? 0 : attr_ints(n, "scan_input_axes", in_axes, SCAN_MAX);
    int n_out_axes = s->v8 ? 0 : attr_ints(n, "scan_output_axes", out_axes, SCAN_MAX);
    s->len = -1;
    s->batch = 1;
    for (int j = 0; j < s->M; j++) {
        const Value *x = n->in[s->first + s->N + j];
        if (!x)
            return node_error(c, n, "scan input %d is missing", j);
        int skip = s->v8 ? 1 : 0; /* the batch axis */
        int ax = j < n_in_axes ? norm_axis(in_axes[j], x->rank) : skip;
        if (s->v8 && x->rank < 2)
            return node_error(c, n, "scan input %d must have a batch and a sequence axis", j);
        if (ax < 0)
            return node_error(c, n, "scan_input_axes[%d] is out of range for rank %d", j, x->rank);
        if (s->v8)
            ax = 1;
        s->in_axis[j] = ax;
        if (s->len >= 0 && x->dims[ax] != s->len)
            return node_error(c, n, "scan inputs have different sequence lengths (%lld and %lld)", (long long)s->len,
                              (long long)x->dims[ax]);
        s->len = x->dims[ax];
        if (s->v8) {
            if (j > 0 && x->dims[0] != s->batch)
                return node_error(c, n, "scan inputs have different batch sizes");
            s->batch = x->dims[0];
        }
    }
    for (int j = 0; j < s->K; j++)
        s->out_axis_raw[j] = j < n_out_axes ? out_axes[j] : 0;
    return true;
}

bool shape_scan(Node *n, Ctx *c) {
    ScanInfo s;
    if (!scan_resolve(n, c, &s))
        return false;
    Graph *body = s.body;
    if (body->n_inputs < s.N + s.M)
        return node_error(c, n, "the body has %d inputs, expected %d", body->n_inputs - subgraph_n_captured(n),
                          s.N + s.M);
    if (s.v8 && n->in[0] && (!dtype_is_int(n->in[0]->dtype) || n->in[0]->rank != 1 || n->in[0]->dims[0] != s.batch))
        return node_error(c, n, "sequence_lens must be a 1-D integer tensor of the batch size %lld", (long long)s.batch);
    int cut = s.v8 ? 1 : 0;
    for (int k = 0; k < s.N; k++) {
        const Value *x = n->in[s.first + k];
        if (s.v8 && (x->rank < 1 || x->dims[0] != s.batch))
            return node_error(c, n, "state %d must have the batch size %lld as its first dimension", k,
                              (long long)s.batch);
        bind_dims(body->inputs[k], x->dtype, x->rank - cut, x->dims + cut);
    }
    for (int j = 0; j < s.M; j++) {
        const Value *x = n->in[s.first + s.N + j];
        int64_t dims[DLCC_MAX_RANK];
        int r = 0;
        for (int d = s.v8 ? 1 : 0; d < x->rank; d++)
            if (d != s.in_axis[j])
                dims[r++] = x->dims[d];
        bind_dims(body->inputs[s.N + j], x->dtype, r, dims);
    }
    if (!infer_body(n, body, s.N + s.M, c, "the body"))
        return false;
    if (body->n_outputs != s.N + s.K)
        return node_error(c, n, "the body has %d outputs, the node %d", body->n_outputs, n->n_out);
    for (int k = 0; k < s.N; k++) {
        const Value *x = n->in[s.first + k], *y = body->outputs[k];
        if (!same_type(body->inputs[k], y))
            return node_error(c, n,
                              "state %d ('%s') enters the body as %s and leaves it as %s; dlcc needs states of a "
                              "static type and shape",
                              k, x->name, value_type_str(c->arena, body->inputs[k]), value_type_str(c->arena, y));
        value_set_shape(n->out[k], x->dtype, x->rank, x->dims);
    }
    for (int j = 0; j < s.K; j++) {
        const Value *y = body->outputs[s.N + j];
        int r = y->rank + 1 + cut;
        if (r > DLCC_MAX_RANK)
            return node_error(c, n, "scan output %d would have rank %d, above %d", j, r, DLCC_MAX_RANK);
        int ax = norm_axis(s.out_axis_raw[j], y->rank + 1);
        if (ax < 0)
            return node_error(c, n, "scan_output_axes[%d] is out of range", j);
        int64_t dims[DLCC_MAX_RANK];
        int k = 0;
        if (s.v8)
            dims[k++] = s.batch;
        for (int d = 0; d <= y->rank; d++)
            dims[k++] = d == ax ? s.len : y->dims[d < ax ? d : d - 1];
        value_set_shape(n->out[s.N + j], y->dtype, r, dims);
    }
    return true;
}
