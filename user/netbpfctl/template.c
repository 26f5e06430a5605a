// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Docker's --format templates (template.h): a lexer and a recursive-descent
 * parser of Go's text/template grammar into a tree, checked whole before
 * anything runs, then a walk of the tree over jansson values.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netbpf/netbpf.h>

#include "output.h"
#include "template.h"

/* ---- the tree -------------------------------------------------------------- */

enum term_kind { T_DOT, T_VAR, T_STR, T_INT, T_BOOL, T_NIL, T_PIPE, T_FUNC };

struct pipe;

struct term {
	enum term_kind kind;
	size_t pos;
	char *s;	  /* T_STR: the string; T_VAR: the name ("" = $); T_FUNC: the name */
	long long num;	  /* T_INT, T_BOOL */
	struct pipe *sub; /* T_PIPE */
	char **fields;	  /* .A.B after the term */
	size_t nfields;
};

struct cmd {
	struct term **args;
	size_t n;
	size_t pos;
};

struct pipe {
	struct cmd **cmds;
	size_t n;
	size_t pos;
};

enum node_kind { N_TEXT, N_ACTION, N_RANGE, N_IF, N_WITH };

struct node {
	enum node_kind kind;
	size_t pos;
	char *text;		 /* N_TEXT */
	struct pipe *pipe;	 /* the rest */
	char *kvar, *vvar;	 /* range $k, $v := */
	struct node *body, *alt; /* lists; alt: {{else}} */
	struct node *next;
};

struct nb_tmpl {
	char *src; /* after the "table" prefix and escapes: positions count in it */
	unsigned flags;
	bool table;
	struct node *root;
};

/* ---- errors ---------------------------------------------------------------- */

static int tmpl_err(const char *src, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int tmpl_err(const char *src, size_t pos, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	nb_errorf("template \"%s\": position %zu: %s", src, pos + 1, msg);
	return -EINVAL;
}

/* ---- lexer (inside one action) ------------------------------------------- */

enum tok_kind {
	K_EOF,
	K_LPAREN,
	K_RPAREN,
	K_PIPE,
	K_COMMA,
	K_DECLARE,
	K_STR,
	K_INT,
	K_FIELD, /* .Name */
	K_DOT,	 /* . */
	K_VAR,	 /* $name or $ */
	K_IDENT,
};

struct tok {
	enum tok_kind kind;
	size_t pos;
	bool space; /* whitespace before it */
	char *s;    /* K_STR (unquoted), K_FIELD (without the dot), K_VAR (without $), K_IDENT */
	long long num;
};

struct lexer {
	const char *src; /* the whole template */
	size_t pos, end; /* the action's inside */
	struct tok *toks;
	size_t n, i;
};

static void lex_free(struct lexer *lx)
{
	size_t i;

	for (i = 0; i < lx->n; i++)
		free(lx->toks[i].s);
	free(lx->toks);
}

static int lex_push(struct lexer *lx, struct tok t)
{
	struct tok *v = realloc(lx->toks, (lx->n + 1) * sizeof(*v));

	if (!v) {
		free(t.s);
		return -ENOMEM;
	}
	lx->toks = v;
	lx->toks[lx->n++] = t;
	return 0;
}

static bool ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

static int lex_string(struct lexer *lx, size_t *p, char **out)
{
	const char *s = lx->src;
	char quote = s[*p];
	size_t start = *p, len = 0;
	char *buf = malloc(lx->end - *p + 1);

	if (!buf)
		return -ENOMEM;
	for ((*p)++; *p < lx->end && s[*p] != quote; (*p)++) {
		char c = s[*p];

		if (quote == '"' && c == '\\' && *p + 1 < lx->end) {
			c = s[++(*p)];
			switch (c) {
			case 'n':
				c = '\n';
				break;
			case 't':
				c = '\t';
				break;
			case '\\':
			case '"':
				break;
			default:
				free(buf);
				return tmpl_err(lx->src, *p - 1,
						"unsupported escape \\%c in a string", c);
			}
		}
		buf[len++] = c;
	}
	if (*p >= lx->end) {
		free(buf);
		return tmpl_err(lx->src, start, "unterminated string");
	}
	(*p)++;
	buf[len] = '\0';
	*out = buf;
	return 0;
}

static int lex(struct lexer *lx)
{
	const char *s = lx->src;
	size_t p = lx->pos;
	int err;

	while (p < lx->end) {
		struct tok t = {.pos = p};
		size_t q;

		if (isspace((unsigned char)s[p])) {
			p++;
			continue;
		}
		t.space = p == lx->pos || isspace((unsigned char)s[p - 1]);
		switch (s[p]) {
		case '(':
			t.kind = K_LPAREN;
			p++;
			break;
		case ')':
			t.kind = K_RPAREN;
			p++;
			break;
		case '|':
			t.kind = K_PIPE;
			p++;
			break;
		case ',':
			t.kind = K_COMMA;
			p++;
			break;
		case ':':
			if (p + 1 >= lx->end || s[p + 1] != '=')
				return tmpl_err(s, p, "unexpected \":\"");
			t.kind = K_DECLARE;
			p += 2;
			break;
		case '"':
		case '`':
			t.kind = K_STR;
			err = lex_string(lx, &p, &t.s);
			if (err)
				return err;
			break;
		case '.':
			for (q = p + 1; q < lx->end && ident_char(s[q]); q++)
				;
			if (q == p + 1) {
				t.kind = K_DOT;
			} else {
				t.kind = K_FIELD;
				t.s = strndup(s + p + 1, q - p - 1);
			}
			p = q;
			break;
		case '$':
			for (q = p + 1; q < lx->end && ident_char(s[q]); q++)
				;
			t.kind = K_VAR;
			t.s = strndup(s + p + 1, q - p - 1);
			p = q;
			break;
		default:
			if (isdigit((unsigned char)s[p]) ||
			    (s[p] == '-' && p + 1 < lx->end && isdigit((unsigned char)s[p + 1]))) {
				char *e;

				t.kind = K_INT;
				t.num = strtoll(s + p, &e, 10);
				p = (size_t)(e - s);
				if (p < lx->end && (ident_char(s[p]) || s[p] == '.'))
					return tmpl_err(s, t.pos, "unsupported number");
			} else if (isalpha((unsigned char)s[p]) || s[p] == '_') {
				for (q = p; q < lx->end && ident_char(s[q]); q++)
					;
				t.kind = K_IDENT;
				t.s = strndup(s + p, q - p);
				p = q;
			} else {
				return tmpl_err(s, p, "unexpected \"%c\"", s[p]);
			}
		}
		if ((t.kind == K_FIELD || t.kind == K_VAR || t.kind == K_IDENT) && !t.s)
			return -ENOMEM;
		err = lex_push(lx, t);
		if (err)
			return err;
	}
	return lex_push(lx, (struct tok){.kind = K_EOF, .pos = lx->end, .space = true});
}

static struct tok *peek(struct lexer *lx)
{
	return &lx->toks[lx->i];
}

static struct tok *next(struct lexer *lx)
{
	struct tok *t = &lx->toks[lx->i];

	if (t->kind != K_EOF)
		lx->i++;
	return t;
}

/* ---- parser --------------------------------------------------------------- */

static void pipe_free(struct pipe *p);

static void term_free(struct term *t)
{
	size_t i;

	if (!t)
		return;
	free(t->s);
	pipe_free(t->sub);
	for (i = 0; i < t->nfields; i++)
		free(t->fields[i]);
	free(t->fields);
	free(t);
}

static void pipe_free(struct pipe *p)
{
	size_t i, j;

	if (!p)
		return;
	for (i = 0; i < p->n; i++) {
		for (j = 0; j < p->cmds[i]->n; j++)
			term_free(p->cmds[i]->args[j]);
		free(p->cmds[i]->args);
		free(p->cmds[i]);
	}
	free(p->cmds);
	free(p);
}

static void nodes_free(struct node *n)
{
	while (n) {
		struct node *nx = n->next;

		free(n->text);
		pipe_free(n->pipe);
		free(n->kvar);
		free(n->vvar);
		nodes_free(n->body);
		nodes_free(n->alt);
		free(n);
		n = nx;
	}
}

static const char *const funcs[] = {
    "json",  "index",	"len",	  "join", "split", "lower", "upper", "title", "pad", "truncate",
    "print", "println", "printf", "eq",	  "ne",	   "not",   "and",   "or",    NULL};

static bool is_func(const char *s)
{
	size_t i;

	for (i = 0; funcs[i]; i++)
		if (!strcmp(s, funcs[i]))
			return true;
	return false;
}

static int parse_pipe(struct lexer *lx, struct pipe **out);

/* the .A.B directly after a term */
static int parse_fields(struct lexer *lx, struct term *t)
{
	while (peek(lx)->kind == K_FIELD && !peek(lx)->space) {
		struct tok *k = next(lx);
		char **v = realloc(t->fields, (t->nfields + 1) * sizeof(*v));

		if (!v)
			return -ENOMEM;
		t->fields = v;
		t->fields[t->nfields] = strdup(k->s);
		if (!t->fields[t->nfields])
			return -ENOMEM;
		t->nfields++;
	}
	return 0;
}

static int parse_term(struct lexer *lx, struct term **out)
{
	struct tok *k = next(lx);
	struct term *t = calloc(1, sizeof(*t));
	int err = 0;

	if (!t)
		return -ENOMEM;
	t->pos = k->pos;
	switch (k->kind) {
	case K_DOT:
		t->kind = T_DOT;
		break;
	case K_FIELD:
		/* .A.B: fields of dot */
		t->kind = T_DOT;
		lx->i--;
		lx->toks[lx->i].space = false;
		break;
	case K_VAR:
		t->kind = T_VAR;
		t->s = strdup(k->s);
		break;
	case K_STR:
		t->kind = T_STR;
		t->s = strdup(k->s);
		break;
	case K_INT:
		t->kind = T_INT;
		t->num = k->num;
		break;
	case K_LPAREN:
		t->kind = T_PIPE;
		err = parse_pipe(lx, &t->sub);
		if (!err && next(lx)->kind != K_RPAREN)
			err = tmpl_err(lx->src, k->pos, "unclosed \"(\"");
		break;
	case K_IDENT:
		if (!strcmp(k->s, "true") || !strcmp(k->s, "false")) {
			t->kind = T_BOOL;
			t->num = !strcmp(k->s, "true");
		} else if (!strcmp(k->s, "nil")) {
			t->kind = T_NIL;
		} else if (is_func(k->s)) {
			t->kind = T_FUNC;
			t->s = strdup(k->s);
		} else {
			err = tmpl_err(lx->src, k->pos, "function \"%s\" not supported", k->s);
		}
		break;
	case K_EOF:
		err = tmpl_err(lx->src, k->pos, "missing value");
		break;
	default:
		err = tmpl_err(lx->src, k->pos, "unexpected \"%.*s\"", k->kind == K_DECLARE ? 2 : 1,
			       lx->src + k->pos);
	}
	if (!err && (t->kind == T_VAR || t->kind == T_STR || t->kind == T_FUNC) && !t->s)
		err = -ENOMEM;
	if (!err && t->kind != T_FUNC)
		err = parse_fields(lx, t);
	if (err) {
		term_free(t);
		return err;
	}
	*out = t;
	return 0;
}

static bool cmd_end(enum tok_kind k)
{
	return k == K_EOF || k == K_PIPE || k == K_RPAREN;
}

static int parse_cmd(struct lexer *lx, struct cmd **out)
{
	struct cmd *c = calloc(1, sizeof(*c));
	int err = 0;

	if (!c)
		return -ENOMEM;
	c->pos = peek(lx)->pos;
	while (!cmd_end(peek(lx)->kind)) {
		struct term **v = realloc(c->args, (c->n + 1) * sizeof(*v)), *t;

		if (!v) {
			err = -ENOMEM;
			break;
		}
		c->args = v;
		err = parse_term(lx, &t);
		if (err)
			break;
		c->args[c->n++] = t;
	}
	if (!err && !c->n)
		err = tmpl_err(lx->src, c->pos, "missing value");
	if (!err && c->n > 1 && c->args[0]->kind != T_FUNC)
		err = tmpl_err(lx->src, c->args[1]->pos, "can't give argument to non-function");
	if (err) {
		size_t i;

		for (i = 0; i < c->n; i++)
			term_free(c->args[i]);
		free(c->args);
		free(c);
		return err;
	}
	*out = c;
	return 0;
}

static int parse_pipe(struct lexer *lx, struct pipe **out)
{
	struct pipe *p = calloc(1, sizeof(*p));
	int err;

	if (!p)
		return -ENOMEM;
	p->pos = peek(lx)->pos;
	for (;;) {
		struct cmd **v = realloc(p->cmds, (p->n + 1) * sizeof(*v));

		if (!v) {
			err = -ENOMEM;
			break;
		}
		p->cmds = v;
		err = parse_cmd(lx, &p->cmds[p->n]);
		if (err)
			break;
		p->n++;
		if (peek(lx)->kind != K_PIPE)
			break;
		next(lx);
	}
	if (err) {
		pipe_free(p);
		return err;
	}
	*out = p;
	return 0;
}

/* one action's inside, classified */
enum act { A_PIPE, A_RANGE, A_IF, A_WITH, A_ELSE, A_ELSE_IF, A_END, A_COMMENT };

struct action {
	enum act kind;
	size_t pos;
	struct pipe *pipe;
	char *kvar, *vvar;
};

static int parse_action(const char *src, size_t start, size_t end, struct action *a)
{
	struct lexer lx = {.src = src, .pos = start, .end = end};
	struct tok *k;
	int err;

	memset(a, 0, sizeof(*a));
	a->pos = start;
	while (start < end && isspace((unsigned char)src[start]))
		start++;
	if (end - start >= 4 && !strncmp(src + start, "/*", 2) &&
	    !strncmp(src + end - 2, "*/", 2)) {
		a->kind = A_COMMENT;
		return 0;
	}
	err = lex(&lx);
	if (err)
		goto out;
	k = peek(&lx);
	a->kind = A_PIPE;
	if (k->kind == K_IDENT) {
		if (!strcmp(k->s, "range"))
			a->kind = A_RANGE;
		else if (!strcmp(k->s, "if"))
			a->kind = A_IF;
		else if (!strcmp(k->s, "with"))
			a->kind = A_WITH;
		else if (!strcmp(k->s, "else"))
			a->kind = A_ELSE;
		else if (!strcmp(k->s, "end"))
			a->kind = A_END;
		else if (!strcmp(k->s, "define") || !strcmp(k->s, "template") ||
			 !strcmp(k->s, "block") || !strcmp(k->s, "break") ||
			 !strcmp(k->s, "continue")) {
			err = tmpl_err(src, k->pos, "\"%s\" not supported", k->s);
			goto out;
		}
		if (a->kind != A_PIPE)
			next(&lx);
	}
	if (a->kind == A_ELSE && peek(&lx)->kind == K_IDENT && !strcmp(peek(&lx)->s, "if")) {
		a->kind = A_ELSE_IF;
		next(&lx);
	}
	if (a->kind == A_ELSE || a->kind == A_END) {
		if (peek(&lx)->kind != K_EOF)
			err = tmpl_err(src, peek(&lx)->pos, "unexpected text after %s",
				       a->kind == A_END ? "end" : "else");
		goto out;
	}
	/* range $v := PIPE, range $k, $v := PIPE */
	if (a->kind == A_RANGE && peek(&lx)->kind == K_VAR) {
		size_t save = lx.i;
		char *v1 = next(&lx)->s, *v2 = NULL;

		if (peek(&lx)->kind == K_COMMA) {
			next(&lx);
			if (peek(&lx)->kind != K_VAR) {
				err = tmpl_err(src, peek(&lx)->pos,
					       "expected a variable after \",\"");
				goto out;
			}
			v2 = next(&lx)->s;
		}
		if (peek(&lx)->kind == K_DECLARE) {
			next(&lx);
			a->kvar = v2 ? strdup(v1) : NULL;
			a->vvar = strdup(v2 ? v2 : v1);
			if (!a->vvar || (v2 && !a->kvar)) {
				err = -ENOMEM;
				goto out;
			}
		} else {
			lx.i = save;
		}
	} else if (peek(&lx)->kind == K_VAR && lx.i + 1 < lx.n &&
		   lx.toks[lx.i + 1].kind == K_DECLARE) {
		err = tmpl_err(src, peek(&lx)->pos, "variable declarations not supported");
		goto out;
	}
	err = parse_pipe(&lx, &a->pipe);
	if (!err && peek(&lx)->kind != K_EOF)
		err = tmpl_err(src, peek(&lx)->pos, "unexpected \"%.*s\" in action",
			       peek(&lx)->kind == K_DECLARE ? 2 : 1, src + peek(&lx)->pos);
out:
	lex_free(&lx);
	if (err) {
		pipe_free(a->pipe);
		free(a->kvar);
		free(a->vvar);
		a->pipe = NULL;
		a->kvar = a->vvar = NULL;
	}
	return err;
}

struct parser {
	const char *src;
	size_t p, len;
};

/* The list up to {{end}} / {{else}} / the end of the text; *stop: what ended it */
static int parse_list(struct parser *ps, struct node **out, struct action *stop)
{
	struct node *head = NULL, **tail = &head;
	const char *s = ps->src;
	int err = 0;

	stop->kind = A_COMMENT; /* = the end of the text */
	while (ps->p < ps->len) {
		const char *open = strstr(s + ps->p, "{{");
		size_t tstart = ps->p, tend = open ? (size_t)(open - s) : ps->len;
		size_t astart, aend, close_at;
		bool ltrim, rtrim;
		const char *close;
		struct action a;
		struct node *n;

		ltrim = open && tend + 3 < ps->len && s[tend + 2] == '-' &&
			isspace((unsigned char)s[tend + 3]);
		if (ltrim)
			while (tend > tstart && isspace((unsigned char)s[tend - 1]))
				tend--;
		if (tend > tstart) {
			n = calloc(1, sizeof(*n));
			if (!n || !(n->text = strndup(s + tstart, tend - tstart))) {
				free(n);
				err = -ENOMEM;
				break;
			}
			n->kind = N_TEXT;
			n->pos = tstart;
			*tail = n;
			tail = &n->next;
		}
		if (!open) {
			ps->p = ps->len;
			break;
		}
		astart = (size_t)(open - s) + 2 + (ltrim ? 2 : 0);
		close = strstr(s + astart, "}}");
		if (!close) {
			err = tmpl_err(s, (size_t)(open - s), "unclosed action");
			break;
		}
		close_at = (size_t)(close - s);
		aend = close_at;
		rtrim =
		    aend >= astart + 2 && s[aend - 1] == '-' && isspace((unsigned char)s[aend - 2]);
		if (rtrim)
			aend -= 2;
		ps->p = close_at + 2;
		if (rtrim)
			while (ps->p < ps->len && isspace((unsigned char)s[ps->p]))
				ps->p++;
		err = parse_action(s, astart, aend, &a);
		if (err)
			break;
		if (a.kind == A_COMMENT)
			continue;
		if (a.kind == A_END || a.kind == A_ELSE || a.kind == A_ELSE_IF) {
			*stop = a;
			break;
		}
		n = calloc(1, sizeof(*n));
		if (!n) {
			pipe_free(a.pipe);
			free(a.kvar);
			free(a.vvar);
			err = -ENOMEM;
			break;
		}
		n->pos = (size_t)(open - s);
		n->pipe = a.pipe;
		n->kvar = a.kvar;
		n->vvar = a.vvar;
		*tail = n;
		tail = &n->next;
		if (a.kind == A_PIPE) {
			n->kind = N_ACTION;
			continue;
		}
		n->kind = a.kind == A_RANGE ? N_RANGE : a.kind == A_IF ? N_IF : N_WITH;
		err = parse_list(ps, &n->body, stop);
		if (err)
			break;
		/* {{else if X}} is {{else}}{{if X}}...{{end}} with one shared {{end}} */
		if (stop->kind == A_ELSE_IF) {
			struct node *in = calloc(1, sizeof(*in));

			if (!in) {
				pipe_free(stop->pipe);
				err = -ENOMEM;
				break;
			}
			in->kind = N_IF;
			in->pos = stop->pos;
			in->pipe = stop->pipe;
			n->alt = in;
			n = in;
			err = parse_list(ps, &n->body, stop);
			if (err)
				break;
		}
		if (stop->kind == A_ELSE) {
			err = parse_list(ps, &n->alt, stop);
			if (err)
				break;
		}
		if (stop->kind != A_END) {
			err = tmpl_err(s, n->pos, "unexpected EOF: {{%s}} has no {{end}}",
				       n->kind == N_RANGE ? "range"
				       : n->kind == N_IF  ? "if"
							  : "with");
			break;
		}
		stop->kind = A_COMMENT;
	}
	if (err) {
		nodes_free(head);
		return err;
	}
	*out = head;
	return 0;
}

struct nb_tmpl *nb_tmpl_parse(const char *text, unsigned flags)
{
	struct nb_tmpl *t = calloc(1, sizeof(*t));
	struct parser ps;
	struct action stop;
	char *s;
	size_t i, j;

	if (!t) {
		nb_errorf("template: out of memory");
		return NULL;
	}
	t->flags = flags;
	if (flags & NB_TMPL_LS) {
		/* Docker's formatter: the prefix, trimmed spaces, then \t and \n */
		if (!strncmp(text, "table", 5)) {
			t->table = true;
			text += 5;
		}
		while (*text == ' ')
			text++;
	}
	t->src = strdup(text);
	if (!t->src) {
		free(t);
		nb_errorf("template: out of memory");
		return NULL;
	}
	s = t->src;
	if (flags & NB_TMPL_LS) {
		size_t len = strlen(s);

		while (len && s[len - 1] == ' ')
			s[--len] = '\0';
		for (i = j = 0; s[i]; i++) {
			if (s[i] == '\\' && (s[i + 1] == 't' || s[i + 1] == 'n')) {
				s[j++] = s[i + 1] == 't' ? '\t' : '\n';
				i++;
			} else {
				s[j++] = s[i];
			}
		}
		s[j] = '\0';
	}
	ps = (struct parser){.src = s, .len = strlen(s)};
	if (parse_list(&ps, &t->root, &stop)) {
		nb_tmpl_free(t);
		return NULL;
	}
	if (stop.kind != A_COMMENT) {
		tmpl_err(s, stop.pos, "unexpected {{%s}}", stop.kind == A_END ? "end" : "else");
		pipe_free(stop.pipe);
		nb_tmpl_free(t);
		return NULL;
	}
	return t;
}

void nb_tmpl_free(struct nb_tmpl *t)
{
	if (!t)
		return;
	nodes_free(t->root);
	free(t->src);
	free(t);
}

bool nb_tmpl_is_table(const struct nb_tmpl *t)
{
	return t->table;
}

/* ---- values ---------------------------------------------------------------- */

#define PATH_MAX_LEN 192

/* j NULL: no value (a missing key), printed "<no value>" as Go prints it */
struct val {
	json_t *j;
	char path[PATH_MAX_LEN];
};

struct var {
	const char *name;
	struct val v;
};

struct exec {
	const struct nb_tmpl *t;
	const struct nb_tmpl_schema *schema;
	bool header; /* Docker's header functions: they return their argument */
	FILE *out;
	struct var vars[16];
	size_t nvars;
};

static bool in_list(const char *const *list, const char *path)
{
	for (; list && *list; list++)
		if (!strcmp(*list, path))
			return true;
	return false;
}

static bool is_map(const struct nb_tmpl_schema *sc, const char *path)
{
	return sc && in_list(sc->maps, path);
}

/* parent.name, cut at PATH_MAX_LEN (a path that long matches no schema entry) */
static void path_child(char *dst, const char *parent, const char *name)
{
	size_t n = strnlen(parent, PATH_MAX_LEN - 1);

	memmove(dst, parent, n);
	if (n && n < PATH_MAX_LEN - 1)
		dst[n++] = '.';
	while (*name && n < PATH_MAX_LEN - 1)
		dst[n++] = *name++;
	dst[n] = '\0';
}

static void val_set(struct val *v, json_t *j, const char *path)
{
	v->j = j;
	snprintf(v->path, sizeof(v->path), "%s", path);
}

static void val_put(struct val *v)
{
	json_decref(v->j);
	v->j = NULL;
}

static bool truth(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT:
		return true; /* a struct is always true; an empty map is false below */
	case JSON_ARRAY:
		return json_array_size(j) > 0;
	case JSON_STRING:
		return json_string_length(j) > 0;
	case JSON_INTEGER:
		return json_integer_value(j) != 0;
	case JSON_REAL:
		return json_real_value(j) != 0;
	case JSON_TRUE:
		return true;
	default:
		return false;
	}
}

static bool val_truth(const struct exec *x, const struct val *v)
{
	if (!v->j)
		return false;
	if (json_is_object(v->j) && is_map(x->schema, v->path))
		return json_object_size(v->j) > 0;
	return truth(v->j);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* an object's keys, sorted as Go sorts a map's; NULL on ENOMEM */
static const char **sorted_keys(const json_t *o, size_t *n)
{
	const char **keys = calloc(json_object_size(o) + 1, sizeof(*keys));
	const char *k;
	json_t *v;

	*n = 0;
	if (!keys)
		return NULL;
	json_object_foreach((json_t *)o, k, v) keys[(*n)++] = k;
	qsort(keys, *n, sizeof(*keys), cmp_str);
	return keys;
}

/* float64 as Go's %v: the shortest digits that read back; %e from 1e6 and below 1e-4 */
static void go_float(double d, FILE *out)
{
	char buf[64];
	int prec, exp;

	for (prec = 1; prec < 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*e", prec - 1, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	snprintf(buf, sizeof(buf), "%.*e", prec - 1, d);
	exp = atoi(strchr(buf, 'e') + 1);
	if (exp < -4 || exp >= 6) {
		fputs(buf, out);
		return;
	}
	fprintf(out, "%.*f", prec - 1 - exp > 0 ? prec - 1 - exp : 0, d);
}

/* "2026-12-04T19:20:00.123Z" as time.Time's String(): "2026-12-04 19:20:00.123 +0000 UTC" */
static void go_time(const char *s, FILE *out)
{
	size_t len = strlen(s);

	if (len < 20 || s[10] != 'T' || s[len - 1] != 'Z') {
		fputs(s, out);
		return;
	}
	fprintf(out, "%.10s %.*s +0000 UTC", s, (int)(len - 12), s + 11);
}

/* v as Go's fmt prints it (%v) */
static void go_print(const struct exec *x, const json_t *j, const char *path, FILE *out)
{
	char child[PATH_MAX_LEN];
	const char **keys;
	const char *k;
	json_t *e;
	size_t i, n;

	if (!j) {
		fputs("<no value>", out);
		return;
	}
	switch (json_typeof(j)) {
	case JSON_STRING:
		if (x->schema && in_list(x->schema->times, path))
			go_time(json_string_value(j), out);
		else
			fwrite(json_string_value(j), 1, json_string_length(j), out);
		break;
	case JSON_INTEGER:
		fprintf(out, "%lld", (long long)json_integer_value(j));
		break;
	case JSON_REAL:
		go_float(json_real_value(j), out);
		break;
	case JSON_TRUE:
		fputs("true", out);
		break;
	case JSON_FALSE:
		fputs("false", out);
		break;
	case JSON_NULL:
		/* a nil map prints as an empty one */
		fputs(is_map(x->schema, path) ? "map[]" : "<nil>", out);
		break;
	case JSON_ARRAY:
		fputc('[', out);
		json_array_foreach(j, i, e)
		{
			if (i)
				fputc(' ', out);
			go_print(x, e, path, out);
		}
		fputc(']', out);
		break;
	case JSON_OBJECT:
		if (is_map(x->schema, path)) {
			path_child(child, path, "*");
			keys = sorted_keys(j, &n);
			fputs("map[", out);
			for (i = 0; keys && i < n; i++)
				fprintf(out, "%s%s:", i ? " " : "", keys[i]),
				    go_print(x, json_object_get(j, keys[i]), child, out);
			fputc(']', out);
			free(keys);
			break;
		}
		fputc('{', out);
		i = 0;
		json_object_foreach((json_t *)j, k, e)
		{
			if (i++)
				fputc(' ', out);
			path_child(child, path, k);
			go_print(x, e, child, out);
		}
		fputc('}', out);
		break;
	}
}

static bool empty_value(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT:
		return json_object_size(j) == 0;
	case JSON_NULL:
		return true;
	default:
		return !truth(j);
	}
}

static json_t *view(const struct nb_tmpl_schema *sc, const json_t *j, const char *path)
{
	char child[PATH_MAX_LEN];
	const char **keys;
	json_t *o, *e;
	const char *k;
	size_t i, n;

	switch (json_typeof(j)) {
	case JSON_ARRAY:
		o = json_array();
		json_array_foreach(j, i, e) json_array_append_new(o, view(sc, e, path));
		return o;
	case JSON_OBJECT:
		o = json_object();
		if (is_map(sc, path)) {
			path_child(child, path, "*");
			keys = sorted_keys(j, &n);
			for (i = 0; keys && i < n; i++)
				json_object_set_new(o, keys[i],
						    view(sc, json_object_get(j, keys[i]), child));
			free(keys);
			return o;
		}
		json_object_foreach((json_t *)j, k, e)
		{
			path_child(child, path, k);
			if (sc && in_list(sc->omitempty, child) && empty_value(e))
				continue;
			json_object_set_new(o, k, view(sc, e, child));
		}
		return o;
	default:
		return json_copy((json_t *)j);
	}
}

json_t *nb_tmpl_json_view(const json_t *v, const struct nb_tmpl_schema *schema)
{
	return view(schema, v, "");
}

/* ---- execution ------------------------------------------------------------- */

static int run_err(const struct exec *x, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int run_err(const struct exec *x, size_t pos, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return tmpl_err(x->t->src, pos, "%s", msg);
}

static const char *type_name(const struct exec *x, const struct val *v)
{
	if (!v->j)
		return "nil";
	switch (json_typeof(v->j)) {
	case JSON_OBJECT:
		return is_map(x->schema, v->path) ? "map" : "struct";
	case JSON_ARRAY:
		return "slice";
	case JSON_STRING:
		return "string";
	case JSON_INTEGER:
		return "int";
	case JSON_REAL:
		return "float64";
	case JSON_TRUE:
	case JSON_FALSE:
		return "bool";
	default:
		return "nil";
	}
}

/* v.name, in place */
static int field(const struct exec *x, struct val *v, const char *name, size_t pos)
{
	char child[PATH_MAX_LEN];
	json_t *j;

	if (!v->j || !json_is_object(v->j))
		return run_err(x, pos, "can't evaluate field %s in type %s", name, type_name(x, v));
	j = json_object_get(v->j, name);
	if (is_map(x->schema, v->path)) {
		path_child(child, v->path, "*"); /* a Go map's missing key: <no value> */
	} else {
		path_child(child, v->path, name);
		/* Docker's header context is a map; a row's missing field is an error */
		if (!j && !x->header)
			return run_err(x, pos, "can't evaluate field %s", name);
	}
	json_incref(j);
	val_put(v);
	val_set(v, j, child);
	return 0;
}

static int eval_pipe(struct exec *x, const struct pipe *p, const struct val *dot, struct val *out);

/* the string of a value (Go's %v) */
static char *val_str(const struct exec *x, const struct val *v)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	go_print(x, v->j, v->path, f);
	fclose(f);
	return buf;
}

static json_t *json_func(const struct exec *x, const struct val *v)
{
	json_t *w;
	char *s;

	if (!v->j)
		return json_string("null");
	w = view(x->schema, v->j, v->path);
	s = w ? json_dumps(w, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	json_decref(w);
	if (!s)
		return NULL;
	w = json_string(s);
	free(s);
	return w;
}

static int need_args(const struct exec *x, const struct term *f, size_t n, size_t min, size_t max)
{
	if (n < min || n > max)
		return run_err(x, f->pos, "wrong number of args for %s: want %zu got %zu", f->s,
			       min, n);
	return 0;
}

static int want_string(const struct exec *x, const struct term *f, const struct val *v)
{
	if (!v->j || !json_is_string(v->j))
		return run_err(x, f->pos, "%s: expected a string, got %s", f->s, type_name(x, v));
	return 0;
}

static int want_int(const struct exec *x, const struct term *f, const struct val *v, long long *n)
{
	if (!v->j || !json_is_integer(v->j))
		return run_err(x, f->pos, "%s: expected an integer, got %s", f->s, type_name(x, v));
	*n = json_integer_value(v->j);
	return 0;
}

static char *str_case(const char *s, int how)
{
	char *r = strdup(s);
	size_t i;
	bool start = true;

	for (i = 0; r && r[i]; i++) {
		unsigned char c = (unsigned char)r[i];

		if (how == 'l')
			r[i] = (char)tolower(c);
		else if (how == 'u')
			r[i] = (char)toupper(c);
		else if (start)
			r[i] = (char)toupper(c);
		start = !isalnum(c) && c != '_' && c != '\'';
	}
	return r;
}

/* printf's subset: %s %v %d %q %%, no width */
static int do_printf(const struct exec *x, const struct term *f, struct val *args, size_t n,
		     FILE *o)
{
	const char *p = json_string_value(args[0].j);
	size_t a = 1;

	for (; *p; p++) {
		char *s;

		if (*p != '%') {
			fputc(*p, o);
			continue;
		}
		p++;
		if (*p == '%') {
			fputc('%', o);
			continue;
		}
		if (!strchr("svdq", *p) || !*p)
			return run_err(x, f->pos,
				       "printf: verb %%%c not supported (%%s %%v %%d %%q)",
				       *p ? *p : ' ');
		if (a >= n) {
			fprintf(o, "%%!%c(MISSING)", *p);
			continue;
		}
		s = val_str(x, &args[a++]);
		if (!s)
			return -ENOMEM;
		fprintf(o, *p == 'q' ? "\"%s\"" : "%s", s);
		free(s);
	}
	return 0;
}

/* a function over its evaluated args */
static int call(struct exec *x, const struct term *f, struct val *args, size_t n, struct val *out)
{
	const char *name = f->s;
	json_t *r = NULL;
	char *s = NULL;
	size_t i;
	int err;

	memset(out, 0, sizeof(*out));
	/* Docker's header functions: json, split, join, ... return their first argument */
	if (x->header && n && strcmp(name, "index") && strcmp(name, "len") &&
	    strcmp(name, "print") && strcmp(name, "println") && strcmp(name, "printf") &&
	    strcmp(name, "eq") && strcmp(name, "ne") && strcmp(name, "not") &&
	    strcmp(name, "and") && strcmp(name, "or")) {
		val_set(out, json_incref(args[0].j), args[0].path);
		return 0;
	}
	if (!strcmp(name, "json")) {
		err = need_args(x, f, n, 1, 1);
		if (err)
			return err;
		r = json_func(x, &args[0]);
	} else if (!strcmp(name, "index")) {
		struct val v = {0};

		err = need_args(x, f, n, 1, 16);
		if (err)
			return err;
		val_set(&v, json_incref(args[0].j), args[0].path);
		for (i = 1; i < n; i++) {
			json_t *j = NULL;
			char child[PATH_MAX_LEN];

			if (v.j && json_is_object(v.j) && is_map(x->schema, v.path) && args[i].j &&
			    json_is_string(args[i].j)) {
				j = json_object_get(v.j, json_string_value(args[i].j));
				path_child(child, v.path, "*");
				/* a missing key: the zero value, "" for Docker's string maps */
				if (!j) {
					val_put(&v);
					val_set(&v, json_string(""), "");
					continue;
				}
			} else if (v.j && json_is_array(v.j) && args[i].j &&
				   json_is_integer(args[i].j)) {
				json_int_t k = json_integer_value(args[i].j);

				if (k < 0 || (size_t)k >= json_array_size(v.j)) {
					val_put(&v);
					return run_err(x, f->pos, "index: index out of range: %lld",
						       (long long)k);
				}
				j = json_array_get(v.j, (size_t)k);
				snprintf(child, sizeof(child), "%s", v.path);
			} else {
				err =
				    run_err(x, f->pos, "index: can't index item of type %s with %s",
					    type_name(x, &v), type_name(x, &args[i]));
				val_put(&v);
				return err;
			}
			json_incref(j);
			val_put(&v);
			val_set(&v, j, child);
		}
		*out = v;
		return 0;
	} else if (!strcmp(name, "len")) {
		err = need_args(x, f, n, 1, 1);
		if (err)
			return err;
		if (json_is_array(args[0].j))
			r = json_integer((json_int_t)json_array_size(args[0].j));
		else if (json_is_object(args[0].j) && is_map(x->schema, args[0].path))
			r = json_integer((json_int_t)json_object_size(args[0].j));
		else if (json_is_string(args[0].j))
			r = json_integer((json_int_t)json_string_length(args[0].j));
		else
			return run_err(x, f->pos, "len of type %s", type_name(x, &args[0]));
	} else if (!strcmp(name, "join")) {
		FILE *o;
		size_t len;

		err = need_args(x, f, n, 2, 2);
		if (!err)
			err = want_string(x, f, &args[1]);
		if (err)
			return err;
		if (!json_is_array(args[0].j))
			return run_err(x, f->pos, "join: expected a slice, got %s",
				       type_name(x, &args[0]));
		o = open_memstream(&s, &len);
		if (!o)
			return -ENOMEM;
		for (i = 0; i < json_array_size(args[0].j); i++) {
			if (i)
				fputs(json_string_value(args[1].j), o);
			go_print(x, json_array_get(args[0].j, i), args[0].path, o);
		}
		fclose(o);
		r = json_string(s);
	} else if (!strcmp(name, "split")) {
		const char *p, *sep, *q;

		err = need_args(x, f, n, 2, 2);
		if (!err)
			err = want_string(x, f, &args[0]);
		if (!err)
			err = want_string(x, f, &args[1]);
		if (err)
			return err;
		p = json_string_value(args[0].j);
		sep = json_string_value(args[1].j);
		r = json_array();
		if (!*sep) {
			for (; *p; p++)
				json_array_append_new(r, json_stringn(p, 1));
		} else {
			for (;; p = q + strlen(sep)) {
				q = strstr(p, sep);
				json_array_append_new(
				    r, json_stringn(p, q ? (size_t)(q - p) : strlen(p)));
				if (!q)
					break;
			}
		}
	} else if (!strcmp(name, "lower") || !strcmp(name, "upper") || !strcmp(name, "title")) {
		err = need_args(x, f, n, 1, 1);
		if (!err)
			err = want_string(x, f, &args[0]);
		if (err)
			return err;
		s = str_case(json_string_value(args[0].j), name[0]);
		r = s ? json_string(s) : NULL;
	} else if (!strcmp(name, "pad")) {
		long long l, rr;

		err = need_args(x, f, n, 3, 3);
		if (!err)
			err = want_string(x, f, &args[0]);
		if (!err)
			err = want_int(x, f, &args[1], &l);
		if (!err)
			err = want_int(x, f, &args[2], &rr);
		if (err)
			return err;
		if (json_string_length(args[0].j) && l >= 0 && rr >= 0 && l < 1024 && rr < 1024 &&
		    asprintf(&s, "%*s%s%*s", (int)l, "", json_string_value(args[0].j), (int)rr,
			     "") < 0)
			s = NULL;
		r = json_string(s ? s : json_string_value(args[0].j));
	} else if (!strcmp(name, "truncate")) {
		long long l;

		err = need_args(x, f, n, 2, 2);
		if (!err)
			err = want_string(x, f, &args[0]);
		if (!err)
			err = want_int(x, f, &args[1], &l);
		if (err)
			return err;
		r = json_stringn(json_string_value(args[0].j),
				 l >= 0 && (size_t)l < json_string_length(args[0].j)
				     ? (size_t)l
				     : json_string_length(args[0].j));
	} else if (!strcmp(name, "print") || !strcmp(name, "println") || !strcmp(name, "printf")) {
		FILE *o;
		size_t len;

		if (!strcmp(name, "printf")) {
			err = need_args(x, f, n, 1, 64);
			if (!err)
				err = want_string(x, f, &args[0]);
			if (err)
				return err;
		}
		o = open_memstream(&s, &len);
		if (!o)
			return -ENOMEM;
		err = 0;
		if (name[5] == 'f') {
			err = do_printf(x, f, args, n, o);
		} else {
			for (i = 0; i < n; i++) {
				/* Sprint: a space between operands when neither is a string */
				if (i && (name[5] == 'l' || (!json_is_string(args[i - 1].j) &&
							     !json_is_string(args[i].j))))
					fputc(' ', o);
				go_print(x, args[i].j, args[i].path, o);
			}
			if (name[5] == 'l')
				fputc('\n', o);
		}
		fclose(o);
		if (err) {
			free(s);
			return err;
		}
		r = json_string(s);
	} else if (!strcmp(name, "eq") || !strcmp(name, "ne")) {
		bool eq = false;

		err = need_args(x, f, n, 2, 64);
		if (err)
			return err;
		for (i = 1; i < n && !eq; i++)
			eq = args[0].j && args[i].j && json_equal(args[0].j, args[i].j);
		r = json_boolean(name[0] == 'e' ? eq : !eq);
	} else if (!strcmp(name, "not")) {
		err = need_args(x, f, n, 1, 1);
		if (err)
			return err;
		r = json_boolean(!val_truth(x, &args[0]));
	} else { /* and, or: the first operand that decides, as Go returns it */
		err = need_args(x, f, n, 1, 64);
		if (err)
			return err;
		for (i = 0; i + 1 < n; i++)
			if (val_truth(x, &args[i]) == (name[0] == 'o'))
				break;
		val_set(out, json_incref(args[i].j), args[i].path);
		return 0;
	}
	free(s);
	if (!r)
		return -ENOMEM;
	val_set(out, r, "");
	return 0;
}

static int eval_term(struct exec *x, const struct term *t, const struct val *dot, struct val *out)
{
	size_t i;
	int err = 0;

	memset(out, 0, sizeof(*out));
	switch (t->kind) {
	case T_DOT:
		val_set(out, json_incref(dot->j), dot->path);
		break;
	case T_VAR:
		for (i = x->nvars; i-- > 0;)
			if (!strcmp(x->vars[i].name, t->s))
				break;
		if (i == (size_t)-1)
			return run_err(x, t->pos, "undefined variable \"$%s\"", t->s);
		val_set(out, json_incref(x->vars[i].v.j), x->vars[i].v.path);
		break;
	case T_STR:
		val_set(out, json_string(t->s), "");
		break;
	case T_INT:
		val_set(out, json_integer(t->num), "");
		break;
	case T_BOOL:
		val_set(out, json_boolean(t->num), "");
		break;
	case T_NIL:
		val_set(out, json_null(), "");
		break;
	case T_PIPE:
		err = eval_pipe(x, t->sub, dot, out);
		break;
	case T_FUNC:
		return run_err(x, t->pos, "%s is a function, not a value", t->s);
	}
	for (i = 0; !err && i < t->nfields; i++)
		err = field(x, out, t->fields[i], t->pos);
	if (err)
		val_put(out);
	return err;
}

/* a command; final: the previous command's value in a pipeline (or NULL) */
static int eval_cmd(struct exec *x, const struct cmd *c, const struct val *dot, struct val *final,
		    struct val *out)
{
	struct val args[65];
	size_t n = 0, i;
	int err = 0;

	if (c->args[0]->kind != T_FUNC) {
		if (final)
			return run_err(x, c->pos, "can't give argument to non-function");
		return eval_term(x, c->args[0], dot, out);
	}
	if (c->n > 64)
		return run_err(x, c->pos, "too many arguments");
	for (i = 1; i < c->n && !err; i++)
		err = eval_term(x, c->args[i], dot, &args[n++]);
	if (err)
		n--;
	if (!err && final) {
		args[n++] = *final;
		final->j = NULL;
	}
	if (!err)
		err = call(x, c->args[0], args, n, out);
	for (i = 0; i < n; i++)
		val_put(&args[i]);
	return err;
}

static int eval_pipe(struct exec *x, const struct pipe *p, const struct val *dot, struct val *out)
{
	struct val prev = {0};
	size_t i;
	int err = 0;

	for (i = 0; i < p->n; i++) {
		struct val v;

		err = eval_cmd(x, p->cmds[i], dot, i ? &prev : NULL, &v);
		val_put(&prev);
		if (err)
			return err;
		prev = v;
	}
	*out = prev;
	return 0;
}

static int walk(struct exec *x, const struct node *n, const struct val *dot);

static int push_var(struct exec *x, const char *name, json_t *j, const char *path)
{
	if (x->nvars >= sizeof(x->vars) / sizeof(x->vars[0]))
		return run_err(x, 0, "too many nested variables");
	x->vars[x->nvars].name = name;
	val_set(&x->vars[x->nvars].v, json_incref(j), path);
	x->nvars++;
	return 0;
}

static void pop_vars(struct exec *x, size_t to)
{
	while (x->nvars > to)
		val_put(&x->vars[--x->nvars].v);
}

static int range_one(struct exec *x, const struct node *n, json_t *key, json_t *j, const char *path)
{
	size_t depth = x->nvars;
	struct val d;
	int err = 0;

	if (n->kvar)
		err = push_var(x, n->kvar, key, "");
	if (!err && n->vvar)
		err = push_var(x, n->vvar, j, path);
	if (!err) {
		val_set(&d, j, path);
		err = walk(x, n->body, &d);
	}
	pop_vars(x, depth);
	return err;
}

static int do_range(struct exec *x, const struct node *n, const struct val *v,
		    const struct val *dot)
{
	char child[PATH_MAX_LEN];
	const char **keys;
	size_t i, len;
	int err = 0;

	if (!v->j || json_is_null(v->j))
		return walk(x, n->alt, dot);
	if (json_is_array(v->j)) {
		if (!json_array_size(v->j))
			return walk(x, n->alt, dot);
		for (i = 0; i < json_array_size(v->j) && !err; i++) {
			json_t *k = json_integer((json_int_t)i);

			err = range_one(x, n, k, json_array_get(v->j, i), v->path);
			json_decref(k);
		}
		return err;
	}
	if (json_is_object(v->j) && is_map(x->schema, v->path)) {
		if (!json_object_size(v->j))
			return walk(x, n->alt, dot);
		keys = sorted_keys(v->j, &len);
		if (!keys)
			return -ENOMEM;
		path_child(child, v->path, "*");
		for (i = 0; i < len && !err; i++) {
			json_t *k = json_string(keys[i]);

			err = range_one(x, n, k, json_object_get(v->j, keys[i]), child);
			json_decref(k);
		}
		free(keys);
		return err;
	}
	return run_err(x, n->pos, "range can't iterate over %s", type_name(x, v));
}

static int walk(struct exec *x, const struct node *n, const struct val *dot)
{
	int err = 0;

	for (; n && !err; n = n->next) {
		struct val v = {0};

		if (n->kind == N_TEXT) {
			fputs(n->text, x->out);
			continue;
		}
		err = eval_pipe(x, n->pipe, dot, &v);
		if (err)
			break;
		switch (n->kind) {
		case N_ACTION:
			go_print(x, v.j, v.path, x->out);
			break;
		case N_IF:
			err = walk(x, val_truth(x, &v) ? n->body : n->alt, dot);
			break;
		case N_WITH:
			err = walk(x, val_truth(x, &v) ? n->body : n->alt,
				   val_truth(x, &v) ? &v : dot);
			break;
		case N_RANGE:
			err = do_range(x, n, &v, dot);
			break;
		default:
			break;
		}
		val_put(&v);
	}
	return err;
}

static int exec_tmpl(const struct nb_tmpl *t, const json_t *dot,
		     const struct nb_tmpl_schema *schema, bool header, FILE *out)
{
	struct exec x = {.t = t, .schema = schema, .header = header, .out = out};
	struct val d;
	int err;

	val_set(&d, (json_t *)dot, "");
	err = push_var(&x, "", (json_t *)dot, "");
	if (!err)
		err = walk(&x, t->root, &d);
	pop_vars(&x, 0);
	return err;
}

int nb_tmpl_exec(const struct nb_tmpl *t, const json_t *dot, const struct nb_tmpl_schema *schema,
		 FILE *out)
{
	return exec_tmpl(t, dot, schema, false, out);
}

/* ---- tabwriter ------------------------------------------------------------- */

static size_t utf8_width(const char *s, size_t n)
{
	size_t i, w = 0;

	for (i = 0; i < n; i++)
		w += ((unsigned char)s[i] & 0xc0) != 0x80;
	return w;
}

void nb_tabwrite(const char *text, FILE *out)
{
	const char **lines = NULL;
	size_t nlines = 0, i, j, col, maxcells = 0;
	size_t *ncells = NULL, *widths = NULL;
	char *copy = strdup(text), *p;

	if (!copy) {
		fputs(text, out);
		return;
	}
	/* lines (the last one may lack its newline) */
	for (p = copy;;) {
		char *nl = strchr(p, '\n');
		const char **v = realloc(lines, (nlines + 1) * sizeof(*v));

		if (!v)
			goto fallback;
		lines = v;
		lines[nlines++] = p;
		if (!nl)
			break;
		*nl = '\0';
		p = nl + 1;
	}
	ncells = calloc(nlines, sizeof(*ncells));
	if (!ncells)
		goto fallback;
	for (i = 0; i < nlines; i++) {
		for (p = (char *)lines[i]; (p = strchr(p, '\t')); p++)
			ncells[i]++;
		if (ncells[i] > maxcells)
			maxcells = ncells[i];
	}
	widths = calloc(nlines * (maxcells + 1), sizeof(*widths));
	if (!widths)
		goto fallback;
	/* a column's width over each run of consecutive lines that have that cell */
	for (col = 0; col < maxcells; col++) {
		for (i = 0; i < nlines;) {
			size_t end, w = 10;

			if (ncells[i] <= col) {
				i++;
				continue;
			}
			for (end = i; end < nlines && ncells[end] > col; end++) {
				const char *c = lines[end];
				size_t k;

				for (k = 0; k < col; k++)
					c = strchr(c, '\t') + 1;
				k = utf8_width(c, (size_t)(strchr(c, '\t') - c)) + 3;
				if (k > w)
					w = k;
			}
			for (; i < end; i++)
				widths[i * (maxcells + 1) + col] = w;
		}
	}
	for (i = 0; i < nlines; i++) {
		const char *c = lines[i];

		for (j = 0; j < ncells[i]; j++) {
			const char *tab = strchr(c, '\t');
			size_t w = utf8_width(c, (size_t)(tab - c));

			fwrite(c, 1, (size_t)(tab - c), out);
			fprintf(out, "%*s", (int)(widths[i * (maxcells + 1) + j] - w), "");
			c = tab + 1;
		}
		fputs(c, out);
		if (i + 1 < nlines)
			fputc('\n', out);
	}
	free(widths);
	free(ncells);
	free(lines);
	free(copy);
	return;
fallback:
	free(widths);
	free(ncells);
	free(lines);
	free(copy);
	fputs(text, out);
}

int nb_tmpl_exec_rows(const struct nb_tmpl *t, const json_t *header, const json_t *rows,
		      const struct nb_tmpl_schema *schema, FILE *out)
{
	char *buf = NULL;
	size_t len = 0, i;
	json_t *row;
	FILE *f;
	int err = 0;

	f = open_memstream(&buf, &len);
	if (!f)
		return -ENOMEM;
	json_array_foreach(rows, i, row)
	{
		err = exec_tmpl(t, row, schema, false, f);
		if (err)
			break;
		fputc('\n', f);
	}
	if (!err && t->table) {
		char *all = NULL;
		size_t alen = 0;
		FILE *g = open_memstream(&all, &alen);

		if (!g) {
			err = -ENOMEM;
		} else {
			/* Docker ignores the header's own errors: what it wrote stays */
			exec_tmpl(t, header, NULL, true, g);
			nb_error_clear();
			fputc('\n', g);
			fclose(f);
			f = NULL;
			fwrite(buf, 1, len, g);
			fclose(g);
			nb_tabwrite(all, out);
			free(all);
		}
	}
	if (f)
		fclose(f);
	if (!err && !t->table)
		fwrite(buf, 1, len, out);
	free(buf);
	return err;
}

int nb_inspect_tmpl(const char *format, struct nb_tmpl **t)
{
	*t = NULL;
	if (!format || !*format || !strcmp(format, "json"))
		return 0;
	*t = nb_tmpl_parse(format, 0);
	return *t ? 0 : -EINVAL;
}

int nb_inspect_print(const json_t *list, const struct nb_tmpl *t,
		     const struct nb_tmpl_schema *schema)
{
	json_t *v;
	size_t i;
	int err;

	if (!t) {
		v = nb_tmpl_json_view(list, schema);
		if (!v)
			return -ENOMEM;
		err = nb_json_print(stdout, v);
		json_decref(v);
		return err;
	}
	json_array_foreach(list, i, v)
	{
		err = nb_tmpl_exec(t, v, schema, stdout);
		if (err)
			return err;
		putchar('\n');
	}
	return 0;
}
