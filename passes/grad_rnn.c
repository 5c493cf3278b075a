/*
 * grad_rnn.c: backpropagation through time for RNN, LSTM and GRU.
 *
 * The backward of a recurrent operator needs every step's gate activations
 * and states, which the ONNX operator does not output.  Its training form,
 * dlcc.RNNTrain/LSTMTrain/GRUTrain (ir/ops_grad_rnn.def), takes the same
 * operands and attributes, computes the same outputs and also returns them
 * in a saved tensor S.  grad_rnn_train_form builds that form for the
 * training forward (so the forward runs once); when the rule meets a plain
 * ONNX node instead, it first emits the training form on the same operands
 * (the forward is then computed twice, correct but slower).  The rule then
 * emits one dlcc.*Grad node, which reads the operands, S and the output
 * gradients and returns the gradients of X, W, R, B, the initial states and
 * the peepholes, each added to its operand with grad_add.
 */
#include "passes.h"

#include <string.h>

/* The training-form op of a node (itself when it already is one), or
 * OP_INVALID. */
static OpKind rnn_train_op(const Node *n) {
    if (n->op == OP_RNNTRAIN || n->op == OP_LSTMTRAIN || n->op == OP_GRUTRAIN)
        return n->op;
    const OpInfo *info = node_info(n);
    if (info->domain[0])
        return OP_INVALID;
    if (strcmp(info->name, "RNN") == 0)
        return OP_RNNTRAIN;
    if (strcmp(info->name, "LSTM") == 0)
        return OP_LSTMTRAIN;
    if (strcmp(info->name, "GRU") == 0)
        return OP_GRUTRAIN;
    return OP_INVALID;
}

static Node *rnn_emit_train(Graph *g, Ctx *c, Node *n, Value *const *in, OpKind op) {
    if (node_attr(n, "clip")) {
        node_error(c, n, "training through a recurrent operator with 'clip' is not supported");
        return NULL;
    }
    if (attr_int(n, "input_forget", 0) != 0) {
        node_error(c, n, "training through an LSTM with input_forget=1 is not supported");
        return NULL;
    }
    Node *t = graph_add_node(g, op, in, n->n_in, op_table[op].max_out);
    t->attrs = n->attrs;
    t->n_attrs = n->n_attrs;
    t->loc = n->loc;
    t->name = n->name;
    t->opset = n->opset;
    t->domain = op_table[op].domain;
    return op_table[op].shape(t, c) ? t : NULL;
}

Node *grad_rnn_train_form(Graph *g, Ctx *c, Node *n, Value **in) {
    OpKind op = rnn_train_op(n);
    if (op == OP_INVALID) {
        node_error(c, n, "internal error: %s has no recurrent training form", node_info(n)->name);
        return NULL;
    }
    return rnn_emit_train(g, c, n, in, op);
}

bool grad_rnn(GradCtx *gc) {
    Node *n = gc->node;
    OpKind top = rnn_train_op(n);
    if (top == OP_INVALID)
        return node_error(gc->c, n, "internal error: grad_rnn on %s", node_info(n)->name);
    Node *t = n->op == top ? n : rnn_emit_train(gc->g, gc->c, n, n->in, top);
    if (!t)
        return false;
    bool lstm = top == OP_LSTMTRAIN;
    OpKind gop = lstm ? OP_LSTMGRAD : top == OP_GRUTRAIN ? OP_GRUGRAD : OP_RNNGRAD;
    int n_fwd_in = lstm ? 8 : 6, n_y = lstm ? 3 : 2;
    int n_in = n_fwd_in + 1 + n_y;
    Value *in[12] = {0};
    for (int i = 0; i < n_fwd_in && i < n->n_in; i++)
        in[i] = n->in[i];
    in[n_fwd_in] = t->out[t->n_out - 1];
    for (int k = 0; k < n_y && k < n->n_out; k++)
        in[n_fwd_in + 1 + k] = gc->dy[k];
    Node *d = grad_node(gc, gop, in, n_in, op_table[gop].max_out);
    d->attrs = n->attrs;
    d->n_attrs = n->n_attrs;
    if (!grad_infer(gc, d))
        return false;
    /* operand index -> result index */
    static const int operand[7] = {0, 1, 2, 3, 5, 6, 7};
    for (int k = 0; k < d->n_out; k++)
        if (grad_wants(gc, operand[k]))
            grad_add(gc, operand[k], d->out[k]);
    return true;
}
