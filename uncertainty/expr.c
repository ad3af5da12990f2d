#include "expr.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- nodes */

static struct expr *node(enum expr_op op, struct expr *a, struct expr *b)
{
    struct expr *e = calloc(1, sizeof *e);
    if (e == NULL) {
        expr_free(a);
        expr_free(b);
        return NULL;
    }
    e->op = op;
    e->a = a;
    e->b = b;
    return e;
}

static struct expr *num(double v)
{
    struct expr *e = node(EXPR_NUM, NULL, NULL);
    if (e != NULL)
        e->num = v;
    return e;
}

static struct expr *var(int index)
{
    struct expr *e = node(EXPR_VAR, NULL, NULL);
    if (e != NULL)
        e->var = index;
    return e;
}

void expr_free(struct expr *e)
{
    if (e == NULL)
        return;
    expr_free(e->a);
    expr_free(e->b);
    free(e);
}

struct expr *expr_copy(const struct expr *e)
{
    if (e == NULL)
        return NULL;
    struct expr *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    *c = *e;
    c->a = NULL;
    c->b = NULL;
    if (e->a != NULL && (c->a = expr_copy(e->a)) == NULL)
        goto fail;
    if (e->b != NULL && (c->b = expr_copy(e->b)) == NULL)
        goto fail;
    return c;
fail:
    expr_free(c);
    return NULL;
}

static int is_binary(enum expr_op op)
{
    return op >= EXPR_ADD && op <= EXPR_POW;
}

/* ---------------------------------------------------------------- parser */

/* Limits on what input can make the parser and every walk of the tree
 * (free, evaluate, differentiate, compile: all recursive) do: nesting of
 * parentheses, signs and '^' chains, and the binary operations in one
 * expression (a sum of N terms is a tree N deep). Far beyond any model. */
#define MAX_DEPTH 200
#define MAX_OPS 10000

/* How much of the expression a message quotes, so that the reason still
 * fits after it. */
#define QUOTE_MAX 60

struct parser {
    const char *text;
    const char *p;
    expr_lookup_fn lookup;
    void *ctx;
    const char *where;
    struct cd_err *err;
    int failed;
    int depth;
    int ops;
    int quote_len;       /* bytes of text that messages quote */
    const char *quote_more; /* "..." when that is not all of it */
};

static struct expr *parse_sum(struct parser *ps);

static int column(const struct parser *ps)
{
    return (int)(ps->p - ps->text) + 1;
}

static struct expr *syntax(struct parser *ps, const char *what)
{
    if (!ps->failed) {
        if (*ps->p == '\0')
            cd_fail(ps->err, CD_ERR_PARSE, "%s: expression \"%.*s%s\": %s at end of expression",
                    ps->where, ps->quote_len, ps->text, ps->quote_more, what);
        else
            cd_fail(ps->err, CD_ERR_PARSE, "%s: expression \"%.*s%s\": %s at column %d ('%c')",
                    ps->where, ps->quote_len, ps->text, ps->quote_more, what, column(ps),
                    *ps->p);
    }
    ps->failed = 1;
    return NULL;
}

static struct expr *oom(struct parser *ps)
{
    if (!ps->failed)
        cd_fail(ps->err, CD_ERR_NOMEM, "%s: out of memory parsing expression", ps->where);
    ps->failed = 1;
    return NULL;
}

static void skip_space(struct parser *ps)
{
    while (isspace((unsigned char)*ps->p))
        ps->p++;
}

static const struct {
    const char *name;
    enum expr_op op;
} functions[] = {
    {"sqrt", EXPR_SQRT}, {"exp", EXPR_EXP}, {"log", EXPR_LOG}, {"ln", EXPR_LOG},
    {"sin", EXPR_SIN},   {"cos", EXPR_COS}, {"tan", EXPR_TAN}, {"abs", EXPR_ABS},
};

static struct expr *parse_name(struct parser *ps)
{
    const char *start = ps->p;
    while (isalnum((unsigned char)*ps->p) || *ps->p == '_')
        ps->p++;
    size_t len = (size_t)(ps->p - start);
    char name[128];
    if (len >= sizeof name) {
        ps->p = start;
        return syntax(ps, "name too long");
    }
    memcpy(name, start, len);
    name[len] = '\0';
    skip_space(ps);

    if (*ps->p == '(') {
        for (size_t i = 0; i < sizeof functions / sizeof functions[0]; i++) {
            if (strcmp(functions[i].name, name) != 0)
                continue;
            ps->p++;
            struct expr *arg = parse_sum(ps);
            if (arg == NULL)
                return NULL;
            skip_space(ps);
            if (*ps->p != ')') {
                expr_free(arg);
                return syntax(ps, "expected ')'");
            }
            ps->p++;
            struct expr *e = node(functions[i].op, arg, NULL);
            return e != NULL ? e : oom(ps);
        }
        ps->p = start;
        if (!ps->failed)
            cd_fail(ps->err, CD_ERR_PARSE,
                    "%s: expression \"%.*s%s\": unknown function '%s' at column %d "
                    "(known: sqrt exp log sin cos tan abs)",
                    ps->where, ps->quote_len, ps->text, ps->quote_more, name, column(ps));
        ps->failed = 1;
        return NULL;
    }

    int index = -1;
    double value = 0.0;
    int kind = ps->lookup != NULL ? ps->lookup(ps->ctx, name, &index, &value) : 0;
    if (kind == 0) {
        ps->p = start;
        if (!ps->failed)
            cd_fail(ps->err, CD_ERR_NOT_FOUND,
                    "%s: expression \"%.*s%s\": unknown name '%s' at column %d (not an input or "
                    "constant)",
                    ps->where, ps->quote_len, ps->text, ps->quote_more, name, column(ps));
        ps->failed = 1;
        return NULL;
    }
    struct expr *e = kind == 1 ? var(index) : num(value);
    return e != NULL ? e : oom(ps);
}

static struct expr *parse_number(struct parser *ps)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(ps->p, &end);
    if (end == ps->p)
        return syntax(ps, "expected a number");
    if (errno == ERANGE || !isfinite(v))
        return syntax(ps, "number out of range");
    ps->p = end;
    struct expr *e = num(v);
    return e != NULL ? e : oom(ps);
}

static struct expr *parse_unary(struct parser *ps);

static struct expr *parse_primary(struct parser *ps)
{
    skip_space(ps);
    char c = *ps->p;
    if (c == '(') {
        ps->p++;
        struct expr *e = parse_sum(ps);
        if (e == NULL)
            return NULL;
        skip_space(ps);
        if (*ps->p != ')') {
            expr_free(e);
            return syntax(ps, "expected ')'");
        }
        ps->p++;
        return e;
    }
    if (isdigit((unsigned char)c) || c == '.')
        return parse_number(ps);
    if (isalpha((unsigned char)c) || c == '_')
        return parse_name(ps);
    if (c == '\0')
        return syntax(ps, "expected a number, name or '('");
    return syntax(ps, "unexpected character");
}

/* power := primary ['^' unary]   (right associative; -x^2 is -(x^2)) */
static struct expr *parse_power(struct parser *ps)
{
    struct expr *base = parse_primary(ps);
    if (base == NULL)
        return NULL;
    skip_space(ps);
    if (*ps->p != '^')
        return base;
    ps->p++;
    if (++ps->depth > MAX_DEPTH) {
        expr_free(base);
        return syntax(ps, "expression nested too deeply");
    }
    struct expr *exponent = parse_unary(ps);
    ps->depth--;
    if (exponent == NULL) {
        expr_free(base);
        return NULL;
    }
    struct expr *e = node(EXPR_POW, base, exponent);
    return e != NULL ? e : oom(ps);
}

static struct expr *parse_unary(struct parser *ps)
{
    skip_space(ps);
    if (*ps->p == '-' || *ps->p == '+') {
        char sign = *ps->p;
        ps->p++;
        if (++ps->depth > MAX_DEPTH)
            return syntax(ps, "expression nested too deeply");
        struct expr *a = parse_unary(ps);
        ps->depth--;
        if (a == NULL || sign == '+')
            return a;
        struct expr *e = node(EXPR_NEG, a, NULL);
        return e != NULL ? e : oom(ps);
    }
    return parse_power(ps);
}

static struct expr *parse_product(struct parser *ps)
{
    struct expr *left = parse_unary(ps);
    while (left != NULL) {
        skip_space(ps);
        char c = *ps->p;
        if (c != '*' && c != '/')
            break;
        if (++ps->ops > MAX_OPS) {
            expr_free(left);
            return syntax(ps, "expression too long (more than 10000 operations)");
        }
        ps->p++;
        struct expr *right = parse_unary(ps);
        if (right == NULL) {
            expr_free(left);
            return NULL;
        }
        left = node(c == '*' ? EXPR_MUL : EXPR_DIV, left, right);
        if (left == NULL)
            return oom(ps);
    }
    return left;
}

static struct expr *parse_sum(struct parser *ps)
{
    if (++ps->depth > MAX_DEPTH)
        return syntax(ps, "expression nested too deeply");
    struct expr *left = parse_product(ps);
    while (left != NULL) {
        skip_space(ps);
        char c = *ps->p;
        if (c != '+' && c != '-')
            break;
        if (++ps->ops > MAX_OPS) {
            expr_free(left);
            return syntax(ps, "expression too long (more than 10000 operations)");
        }
        ps->p++;
        struct expr *right = parse_product(ps);
        if (right == NULL) {
            expr_free(left);
            return NULL;
        }
        left = node(c == '+' ? EXPR_ADD : EXPR_SUB, left, right);
        if (left == NULL)
            return oom(ps);
    }
    ps->depth--;
    return left;
}

struct expr *expr_parse(const char *text, expr_lookup_fn lookup, void *ctx, const char *where,
                        struct cd_err *err)
{
    struct parser ps = {
        .text = text, .p = text, .lookup = lookup, .ctx = ctx,
        .where = where != NULL ? where : "model", .err = err, .quote_more = "",
    };
    size_t len = strlen(text);
    if (len > QUOTE_MAX) {
        len = QUOTE_MAX;
        while (len > 0 && ((unsigned char)text[len] & 0xC0) == 0x80)
            len--; /* not inside a UTF-8 character */
        ps.quote_more = "...";
    }
    ps.quote_len = (int)len;
    struct expr *e = parse_sum(&ps);
    if (e == NULL)
        return NULL;
    skip_space(&ps);
    if (*ps.p != '\0') {
        expr_free(e);
        return syntax(&ps, "unexpected character after expression");
    }
    return e;
}

/* ---------------------------------------------------------------- evaluation */

static double apply(enum expr_op op, double a, double b)
{
    switch (op) {
    case EXPR_ADD: return a + b;
    case EXPR_SUB: return a - b;
    case EXPR_MUL: return a * b;
    case EXPR_DIV: return a / b;
    case EXPR_POW: return pow(a, b);
    case EXPR_NEG: return -a;
    case EXPR_SQRT: return sqrt(a);
    case EXPR_EXP: return exp(a);
    case EXPR_LOG: return log(a);
    case EXPR_SIN: return sin(a);
    case EXPR_COS: return cos(a);
    case EXPR_TAN: return tan(a);
    case EXPR_ABS: return fabs(a);
    case EXPR_SIGN: return (a > 0) - (a < 0);
    case EXPR_NUM:
    case EXPR_VAR:
        break;
    }
    return NAN;
}

double expr_eval(const struct expr *e, const double *vars)
{
    switch (e->op) {
    case EXPR_NUM: return e->num;
    case EXPR_VAR: return vars[e->var];
    default: break;
    }
    double a = expr_eval(e->a, vars);
    double b = e->b != NULL ? expr_eval(e->b, vars) : 0.0;
    return apply(e->op, a, b);
}

/* ---------------------------------------------------------------- simplification */

static int is_num(const struct expr *e, double v)
{
    return e->op == EXPR_NUM && e->num == v;
}

int expr_is_zero(const struct expr *e)
{
    return is_num(e, 0.0);
}

int expr_uses(const struct expr *e, int v)
{
    if (e == NULL)
        return 0;
    if (e->op == EXPR_VAR)
        return e->var == v;
    return expr_uses(e->a, v) || expr_uses(e->b, v);
}

/* Builds op(a, b), folding constants and the identities that keep
 * derivatives small (0*x, 1*x, x+0, x^1, ...). Takes ownership of a and b. */
static struct expr *make(enum expr_op op, struct expr *a, struct expr *b)
{
    if (a == NULL || (is_binary(op) && b == NULL)) {
        expr_free(a);
        expr_free(b);
        return NULL;
    }
    int a_num = a->op == EXPR_NUM;
    int b_num = b != NULL && b->op == EXPR_NUM;
    if (a_num && (b == NULL || b_num) && op != EXPR_SIGN) {
        double v = apply(op, a->num, b != NULL ? b->num : 0.0);
        if (isfinite(v)) {
            expr_free(a);
            expr_free(b);
            return num(v);
        }
    }
    struct expr *keep = NULL;
    switch (op) {
    case EXPR_ADD:
        if (is_num(a, 0))
            keep = b, b = NULL;
        else if (is_num(b, 0))
            keep = a, a = NULL;
        break;
    case EXPR_SUB:
        if (is_num(b, 0))
            keep = a, a = NULL;
        else if (is_num(a, 0)) {
            expr_free(a);
            return make(EXPR_NEG, b, NULL);
        }
        break;
    case EXPR_MUL:
        if (is_num(a, 0) || is_num(b, 0)) {
            expr_free(a);
            expr_free(b);
            return num(0.0);
        }
        if (is_num(a, 1))
            keep = b, b = NULL;
        else if (is_num(b, 1))
            keep = a, a = NULL;
        else if (is_num(a, -1)) {
            expr_free(a);
            return make(EXPR_NEG, b, NULL);
        }
        break;
    case EXPR_DIV:
        if (is_num(a, 0)) {
            expr_free(a);
            expr_free(b);
            return num(0.0);
        }
        if (is_num(b, 1))
            keep = a, a = NULL;
        break;
    case EXPR_POW:
        if (is_num(b, 1))
            keep = a, a = NULL;
        else if (is_num(b, 0)) {
            expr_free(a);
            expr_free(b);
            return num(1.0);
        }
        break;
    case EXPR_NEG:
        if (a->op == EXPR_NEG) {
            keep = a->a;
            a->a = NULL;
        }
        break;
    default:
        break;
    }
    if (keep != NULL) {
        expr_free(a);
        expr_free(b);
        return keep;
    }
    return node(op, a, b);
}

/* ---------------------------------------------------------------- derivatives */

#define C(e) expr_copy(e)

struct expr *expr_diff(const struct expr *e, int v)
{
    if (!expr_uses(e, v))
        return num(0.0);
    const struct expr *a = e->a;
    const struct expr *b = e->b;
    switch (e->op) {
    case EXPR_NUM:
        return num(0.0);
    case EXPR_VAR:
        return num(1.0);
    case EXPR_ADD:
    case EXPR_SUB:
        return make(e->op, expr_diff(a, v), expr_diff(b, v));
    case EXPR_NEG:
        return make(EXPR_NEG, expr_diff(a, v), NULL);
    case EXPR_MUL:
        /* a'b + ab' */
        return make(EXPR_ADD, make(EXPR_MUL, expr_diff(a, v), C(b)),
                    make(EXPR_MUL, C(a), expr_diff(b, v)));
    case EXPR_DIV:
        /* a'/b - a b'/b^2 */
        return make(EXPR_SUB, make(EXPR_DIV, expr_diff(a, v), C(b)),
                    make(EXPR_DIV, make(EXPR_MUL, C(a), expr_diff(b, v)),
                         make(EXPR_POW, C(b), num(2.0))));
    case EXPR_POW:
        if (!expr_uses(b, v)) {
            /* b a^(b-1) a' */
            return make(EXPR_MUL,
                        make(EXPR_MUL, C(b), make(EXPR_POW, C(a), make(EXPR_SUB, C(b), num(1.0)))),
                        expr_diff(a, v));
        }
        /* a^b (b' log a + b a'/a) */
        return make(EXPR_MUL, C(e),
                    make(EXPR_ADD, make(EXPR_MUL, expr_diff(b, v), make(EXPR_LOG, C(a), NULL)),
                         make(EXPR_DIV, make(EXPR_MUL, C(b), expr_diff(a, v)), C(a))));
    case EXPR_SQRT:
        /* a' / (2 sqrt a) */
        return make(EXPR_DIV, expr_diff(a, v), make(EXPR_MUL, num(2.0), C(e)));
    case EXPR_EXP:
        return make(EXPR_MUL, C(e), expr_diff(a, v));
    case EXPR_LOG:
        return make(EXPR_DIV, expr_diff(a, v), C(a));
    case EXPR_SIN:
        return make(EXPR_MUL, make(EXPR_COS, C(a), NULL), expr_diff(a, v));
    case EXPR_COS:
        return make(EXPR_NEG, make(EXPR_MUL, make(EXPR_SIN, C(a), NULL), expr_diff(a, v)), NULL);
    case EXPR_TAN:
        /* a' / cos^2 a */
        return make(EXPR_DIV, expr_diff(a, v),
                    make(EXPR_POW, make(EXPR_COS, C(a), NULL), num(2.0)));
    case EXPR_ABS:
        return make(EXPR_MUL, make(EXPR_SIGN, C(a), NULL), expr_diff(a, v));
    case EXPR_SIGN:
        return num(0.0);
    }
    return NULL;
}

#undef C

/* ---------------------------------------------------------------- compiled form */

/* Each instruction writes one register (a block of EXPR_BLOCK doubles).
 * Variables are not copied: their "register" is the input column itself. */
struct instr {
    enum expr_op op;
    int dst;
    int a, b;      /* operand slots: >= 0 register, < 0 variable -(index+1) */
    double k;      /* EXPR_NUM: the constant */
};

struct expr_prog {
    size_t n_instr;
    size_t n_regs;
    int result;    /* slot of the result */
    struct instr *code;
};

static int emit(struct expr_prog *p, const struct expr *e)
{
    if (e->op == EXPR_VAR)
        return -(e->var + 1);
    int a = e->a != NULL ? emit(p, e->a) : 0;
    int b = e->b != NULL ? emit(p, e->b) : 0;
    struct instr *in = &p->code[p->n_instr++];
    in->op = e->op;
    in->dst = (int)p->n_regs++;
    in->a = a;
    in->b = b;
    in->k = e->num;
    /* x^2 is common in models and pow() is slow: square by multiplying. */
    if (e->op == EXPR_POW && e->b->op == EXPR_NUM && e->b->num == 2.0) {
        in->op = EXPR_MUL;
        in->b = a;
    }
    return in->dst;
}

static size_t count_nodes(const struct expr *e)
{
    if (e == NULL)
        return 0;
    return 1 + count_nodes(e->a) + count_nodes(e->b);
}

struct expr_prog *expr_compile(const struct expr *e)
{
    struct expr_prog *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    p->code = calloc(count_nodes(e), sizeof *p->code);
    if (p->code == NULL) {
        free(p);
        return NULL;
    }
    p->result = emit(p, e);
    return p;
}

void expr_prog_free(struct expr_prog *p)
{
    if (p == NULL)
        return;
    free(p->code);
    free(p);
}

size_t expr_prog_registers(const struct expr_prog *p)
{
    return p->n_regs;
}

static const double *slot(int s, const double *const *columns, double *scratch)
{
    if (s < 0)
        return columns[-s - 1];
    return scratch + (size_t)s * EXPR_BLOCK;
}

void expr_prog_eval_block(const struct expr_prog *p, const double *const *columns, size_t n,
                          double *scratch, double *out)
{
    for (size_t i = 0; i < p->n_instr; i++) {
        const struct instr *in = &p->code[i];
        double *restrict d = scratch + (size_t)in->dst * EXPR_BLOCK;
        const double *restrict a = in->op == EXPR_NUM ? NULL : slot(in->a, columns, scratch);
        const double *restrict b = is_binary(in->op) ? slot(in->b, columns, scratch) : NULL;
        size_t t;
        switch (in->op) {
        case EXPR_NUM: for (t = 0; t < n; t++) d[t] = in->k; break;
        case EXPR_ADD: for (t = 0; t < n; t++) d[t] = a[t] + b[t]; break;
        case EXPR_SUB: for (t = 0; t < n; t++) d[t] = a[t] - b[t]; break;
        case EXPR_MUL: for (t = 0; t < n; t++) d[t] = a[t] * b[t]; break;
        case EXPR_DIV: for (t = 0; t < n; t++) d[t] = a[t] / b[t]; break;
        case EXPR_POW: for (t = 0; t < n; t++) d[t] = pow(a[t], b[t]); break;
        case EXPR_NEG: for (t = 0; t < n; t++) d[t] = -a[t]; break;
        case EXPR_SQRT: for (t = 0; t < n; t++) d[t] = sqrt(a[t]); break;
        case EXPR_EXP: for (t = 0; t < n; t++) d[t] = exp(a[t]); break;
        case EXPR_LOG: for (t = 0; t < n; t++) d[t] = log(a[t]); break;
        case EXPR_SIN: for (t = 0; t < n; t++) d[t] = sin(a[t]); break;
        case EXPR_COS: for (t = 0; t < n; t++) d[t] = cos(a[t]); break;
        case EXPR_TAN: for (t = 0; t < n; t++) d[t] = tan(a[t]); break;
        case EXPR_ABS: for (t = 0; t < n; t++) d[t] = fabs(a[t]); break;
        case EXPR_SIGN: for (t = 0; t < n; t++) d[t] = (a[t] > 0) - (a[t] < 0); break;
        case EXPR_VAR: break;
        }
    }
    memcpy(out, slot(p->result, columns, scratch), n * sizeof *out);
}
