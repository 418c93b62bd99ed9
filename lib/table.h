/* table.h — print JSON rows as an aligned text table for people (-t). */
#ifndef CC_TABLE_H
#define CC_TABLE_H

#include <jansson.h>
#include <stdio.h>

/* rows: an array of objects; cols: NULL-terminated keys, printed as upper-case
 * headings.  Missing or null values print as "-".  Returns 0, or -1 on a
 * write error. */
int table_print(FILE *f, json_t *rows, const char *const *cols);

#endif
