/* askq.h — AskUserQuestion (reference upstream-engine.md §8): the questions
 * a tool_use event asks, their text form for chats without buttons, and the
 * answer sent back to the AI. */
#ifndef CC_ASKQ_H
#define CC_ASKQ_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct askq {
	char *header;		/* "Question" when absent */
	char *question;		/* the longer question text, or NULL */
	bool multi;		/* multiSelect */
	char **options;		/* each option's description, else label, else its JSON */
	char **labels;		/* each option's label, else the same as options[i] */
	size_t nopts;
};

/* The questions of ev (a tool_use of AskUserQuestion).  input may be an
 * object with "questions", a JSON string holding one, or an array of
 * questions (upstream crashed on that).  Returns the number of questions
 * (*qs malloc'd, free with askq_free), 0 when there are none. */
size_t askq_parse(const json_t *ev, struct askq **qs);
void askq_free(struct askq *qs, size_t n);

/* Markdown text form: "**header**", the question when present, for multi a
 * line "_Select one or more by replying with numbers separated by commas._",
 * then "  1. option" lines. */
char *askq_text(const struct askq *q);

/* A typed reply read as an answer to q: "2", "1, 3", "1 3" or an option's
 * label/text (case-insensitive).  On success returns the answer text for the
 * AI (the chosen options' text, joined by ", ") and true; false when the
 * reply is not an answer (it then goes to the AI as an ordinary message).
 * Numbers are 1-based; a single-select question takes exactly one, a
 * multi-select one several (a repeat counts once); any number out of range
 * makes the reply not an answer.  Case is folded for ASCII only. */
bool askq_match_reply(const struct askq *q, const char *reply, char **answer);

/* The answer text for chosen option indexes (0-based), joined by ", ". */
char *askq_answer(const struct askq *q, const size_t *idx, size_t n);

#endif
