/* table.c — see table.h. */
#include "table.h"
#include "util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static char *
cell(json_t *row, const char *key)
{
	json_t *v = json_object_get(row, key);

	if (v == NULL || json_is_null(v))
		return xstrdup("-");
	/* Data from the database or a peer: no escape codes or line breaks
	 * reach the terminal. */
	if (json_is_string(v))
		return str_escape(json_string_value(v), 0);
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	char *r = xstrdup(s ? s : "?");
	free(s);
	return r;
}

/* Display width: one column per code point (no East Asian width tables). */
static size_t
width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			w++;
	return w;
}

int
table_print(FILE *f, json_t *rows, const char *const *cols)
{
	size_t ncol = 0, *w, i, j, nrow = json_array_size(rows);

	while (cols[ncol])
		ncol++;
	w = xcalloc(ncol, sizeof *w);
	for (j = 0; j < ncol; j++)
		w[j] = strlen(cols[j]);
	for (i = 0; i < nrow; i++)
		for (j = 0; j < ncol; j++) {
			char *c = cell(json_array_get(rows, i), cols[j]);
			if (width(c) > w[j])
				w[j] = width(c);
			free(c);
		}
	for (j = 0; j < ncol; j++) {
		for (const char *p = cols[j]; *p; p++)
			fputc(toupper((unsigned char)*p), f);
		if (j + 1 < ncol)
			fprintf(f, "%*s", (int)(w[j] - strlen(cols[j]) + 2), "");
	}
	fputc('\n', f);
	for (i = 0; i < nrow; i++) {
		for (j = 0; j < ncol; j++) {
			char *c = cell(json_array_get(rows, i), cols[j]);
			fputs(c, f);
			if (j + 1 < ncol)
				fprintf(f, "%*s", (int)(w[j] - width(c) + 2), "");
			free(c);
		}
		fputc('\n', f);
	}
	free(w);
	return ferror(f) ? -1 : 0;
}
