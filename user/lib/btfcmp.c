// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Layout comparison of two BTF types (btfcmp.h).
 *
 * Both types are walked side by side rather than turned into two descriptions
 * and compared as text, so the first difference can be named by the member path
 * that leads to it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <bpf/btf.h>

#include "btfcmp.h"

/* deeper than any map key or value nests; ends the walk on a BTF that loops */
#define BTFCMP_MAX_DEPTH 32

struct btfcmp {
	const struct btf *a, *b;
	char *why;
	size_t why_len;
	char path[256]; /* members leading to the types compared: "key.mac[]" */
};

/* Looks through typedefs and qualifiers: they name a layout, they do not change it */
static const struct btf_type *resolve(const struct btf *btf, __u32 *id)
{
	const struct btf_type *t;
	int i;

	for (i = 0; i < BTFCMP_MAX_DEPTH; i++) {
		t = btf__type_by_id(btf, *id);
		if (!t)
			return NULL;
		if (!btf_is_mod(t) && !btf_is_typedef(t))
			return t;
		*id = t->type;
	}
	return NULL;
}

/* enum and enum64 are one kind here: an enum's layout is its size */
static __u16 layout_kind(const struct btf_type *t)
{
	return btf_is_any_enum(t) ? BTF_KIND_ENUM : btf_kind(t);
}

static const char *kind_str(const struct btf_type *t)
{
	switch (layout_kind(t)) {
	case BTF_KIND_UNKN:
		return "void";
	case BTF_KIND_INT:
		return "int";
	case BTF_KIND_PTR:
		return "pointer";
	case BTF_KIND_ARRAY:
		return "array";
	case BTF_KIND_STRUCT:
		return "struct";
	case BTF_KIND_UNION:
		return "union";
	case BTF_KIND_ENUM:
		return "enum";
	case BTF_KIND_FWD:
		return "forward declaration";
	case BTF_KIND_FLOAT:
		return "float";
	case BTF_KIND_FUNC_PROTO:
		return "function";
	default:
		return "BTF type";
	}
}

static void int_str(const struct btf_type *t, char *buf, size_t len)
{
	__u8 enc = btf_int_encoding(t);
	const char *sign = enc & BTF_INT_BOOL	  ? "bool"
			   : enc & BTF_INT_SIGNED ? "signed"
						  : "unsigned";
	int n;

	n = snprintf(buf, len, "%u-byte %s%s int", t->size, sign,
		     enc & BTF_INT_CHAR ? " char" : "");
	if (n >= 0 && (size_t)n < len && (btf_int_bits(t) != t->size * 8 || btf_int_offset(t)))
		snprintf(buf + n, len - n, " (%u bits at bit %u)", btf_int_bits(t),
			 btf_int_offset(t));
}

static int differ(struct btfcmp *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int differ(struct btfcmp *c, const char *fmt, ...)
{
	char what[192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (c->path[0])
		snprintf(c->why, c->why_len, "in member \"%s\": %s", c->path, what);
	else
		snprintf(c->why, c->why_len, "%s", what);
	return 1;
}

static const char *member_name(const struct btf *btf, const struct btf_member *m)
{
	const char *name = btf__name_by_offset(btf, m->name_off);

	return name && *name ? name : "(anonymous)";
}

/* `"net_flags" (bit 112)`, with the width of a bitfield */
static void member_str(const char *name, __u32 off, __u32 bits, char *buf, size_t len)
{
	if (bits)
		snprintf(buf, len, "\"%s\" (bit %u, %u bits)", name, off, bits);
	else
		snprintf(buf, len, "\"%s\" (bit %u)", name, off);
}

static int cmp_type(struct btfcmp *c, __u32 a_id, __u32 b_id, int depth);

/* Compares the types at a member or element, with what leads to it added to the path */
static int cmp_nested(struct btfcmp *c, const char *step, __u32 a_id, __u32 b_id, int depth)
{
	size_t len = strlen(c->path);
	int err;

	snprintf(c->path + len, sizeof(c->path) - len, "%s%s", len && *step != '[' ? "." : "",
		 step);
	err = cmp_type(c, a_id, b_id, depth + 1);
	if (!err)
		c->path[len] = '\0';
	return err;
}

static int cmp_members(struct btfcmp *c, const struct btf_type *ta, const struct btf_type *tb,
		       int depth)
{
	const struct btf_member *ma = btf_members(ta), *mb = btf_members(tb);
	__u16 i, n = btf_vlen(ta) < btf_vlen(tb) ? btf_vlen(ta) : btf_vlen(tb);
	char sa[96], sb[96];
	int err;

	for (i = 0; i < n; i++) {
		const char *na = member_name(c->a, &ma[i]), *nb = member_name(c->b, &mb[i]);
		__u32 off_a = btf_member_bit_offset(ta, i), off_b = btf_member_bit_offset(tb, i);
		__u32 bits_a = btf_member_bitfield_size(ta, i);
		__u32 bits_b = btf_member_bitfield_size(tb, i);

		if (strcmp(na, nb) || off_a != off_b || bits_a != bits_b) {
			member_str(na, off_a, bits_a, sa, sizeof(sa));
			member_str(nb, off_b, bits_b, sb, sizeof(sb));
			return differ(c, "member %s became %s", sa, sb);
		}
		err = cmp_nested(c, na, ma[i].type, mb[i].type, depth);
		if (err)
			return err;
	}
	if (btf_vlen(ta) != btf_vlen(tb))
		return differ(c, "%s of %u members became %u members", kind_str(ta), btf_vlen(ta),
			      btf_vlen(tb));
	return 0;
}

/*
 * An int (whole bytes) and t of another kind, in btf, hold the same bytes the
 * same way and differ only in how a reader prints them: an enum of the int's
 * size (a __u8 field that became a __packed__ enum), or an array of as many
 * one-byte ints (a __be32 and nb_ipv4_bytes: btfview.h).
 */
static bool same_bytes(const struct btf_type *ti, const struct btf *btf, const struct btf_type *t)
{
	const struct btf_type *et;
	__u32 eid;

	if (layout_kind(ti) != BTF_KIND_INT || btf_int_offset(ti) ||
	    btf_int_bits(ti) != ti->size * 8)
		return false;
	if (layout_kind(t) == BTF_KIND_ENUM)
		return t->size == ti->size;
	if (!btf_is_array(t) || btf_array(t)->nelems != ti->size)
		return false;
	eid = btf_array(t)->type;
	et = resolve(btf, &eid);
	return et && btf_is_int(et) && et->size == 1 && btf_int_bits(et) == 8 &&
	       !btf_int_offset(et);
}

static int cmp_type(struct btfcmp *c, __u32 a_id, __u32 b_id, int depth)
{
	const struct btf_type *ta, *tb;
	char sa[64], sb[64];

	if (depth > BTFCMP_MAX_DEPTH)
		return -EINVAL;
	ta = resolve(c->a, &a_id);
	tb = resolve(c->b, &b_id);
	if (!ta || !tb)
		return -EINVAL;
	if (same_bytes(ta, c->b, tb) || same_bytes(tb, c->a, ta))
		return 0;
	if (layout_kind(ta) != layout_kind(tb))
		return differ(c, "%s became %s", kind_str(ta), kind_str(tb));

	switch (layout_kind(ta)) {
	case BTF_KIND_INT:
		if (ta->size == tb->size && btf_int_encoding(ta) == btf_int_encoding(tb) &&
		    btf_int_bits(ta) == btf_int_bits(tb) &&
		    btf_int_offset(ta) == btf_int_offset(tb))
			return 0;
		int_str(ta, sa, sizeof(sa));
		int_str(tb, sb, sizeof(sb));
		return differ(c, "%s became %s", sa, sb);
	case BTF_KIND_ENUM:
	case BTF_KIND_FLOAT:
		if (ta->size == tb->size)
			return 0;
		return differ(c, "%u-byte %s became %u-byte %s", ta->size, kind_str(ta), tb->size,
			      kind_str(tb));
	case BTF_KIND_ARRAY:
		if (btf_array(ta)->nelems != btf_array(tb)->nelems)
			return differ(c, "array of %u elements became %u elements",
				      btf_array(ta)->nelems, btf_array(tb)->nelems);
		return cmp_nested(c, "[]", btf_array(ta)->type, btf_array(tb)->type, depth);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		if (ta->size != tb->size)
			return differ(c, "%u-byte %s became %u bytes", ta->size, kind_str(ta),
				      tb->size);
		return cmp_members(c, ta, tb, depth);
	case BTF_KIND_FWD:
		if (btf_kflag(ta) == btf_kflag(tb))
			return 0;
		return differ(c, "forward declaration of a %s became one of a %s",
			      btf_kflag(ta) ? "union" : "struct",
			      btf_kflag(tb) ? "union" : "struct");
	default:
		/*
		 * void, pointers and the rest: a map stores no more of them than their
		 * kind and size (a pointer's target is not in the map), and the sizes
		 * around them are compared where they are members
		 */
		return 0;
	}
}

int nb_btf_layout_cmp(const struct btf *a, __u32 a_id, const struct btf *b, __u32 b_id, char *why,
		      size_t why_len)
{
	struct btfcmp c = {.a = a, .b = b, .why = why, .why_len = why_len};

	if (why_len)
		why[0] = '\0';
	return cmp_type(&c, a_id, b_id, 0);
}

void nb_btf_type_str(const struct btf *btf, __u32 id, char *buf, size_t len)
{
	const struct btf_type *t;
	const char *name;
	int i;

	for (i = 0; i < BTFCMP_MAX_DEPTH; i++) {
		t = btf__type_by_id(btf, id);
		if (!t)
			break;
		name = btf__name_by_offset(btf, t->name_off);
		if (btf_is_mod(t) || (btf_is_typedef(t) && !(name && *name))) {
			id = t->type;
			continue;
		}
		if (btf_is_fwd(t))
			snprintf(buf, len, "%s %s", btf_kflag(t) ? "union" : "struct",
				 name ? name : "");
		else if (btf_is_composite(t) || btf_is_any_enum(t))
			snprintf(buf, len, "%s %s", kind_str(t),
				 name && *name ? name : "(anonymous)");
		else if (name && *name)
			snprintf(buf, len, "%s", name);
		else
			snprintf(buf, len, "%s", kind_str(t));
		return;
	}
	snprintf(buf, len, "type %u", id);
}
