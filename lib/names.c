/* names.c — see names.h.  Our own word lists: lowercase ASCII, no hyphens,
 * unique, more than 50 each (upstream-engine.md §11). */
#include "names.h"
#include "util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const adjectives[] = {
	"amber", "ancient", "autumn", "bold", "brave", "breezy", "bright", "brisk",
	"calm", "candid", "clever", "cosmic", "crimson", "crisp", "curious", "dapper",
	"daring", "dawn", "deep", "eager", "early", "electric", "elegant", "fair",
	"fancy", "fearless", "fierce", "fluffy", "frosty", "gentle", "giant", "gilded",
	"glad", "golden", "graceful", "grand", "happy", "hidden", "humble", "icy",
	"jolly", "keen", "kind", "lively", "lucky", "lunar", "mellow", "merry",
	"mighty", "misty", "modest", "noble", "nimble", "patient", "peaceful", "plucky",
	"polar", "proud", "quick", "quiet", "rapid", "rustic", "serene", "shiny",
	"silent", "silver", "sleek", "smooth", "snowy", "solar", "spry", "steady",
	"stellar", "stormy", "sturdy", "sunny", "swift", "tidy", "tranquil", "vivid",
	"warm", "wild", "wise", "witty", "young", "zesty",
};

static const char *const nouns[] = {
	"anchor", "antelope", "badger", "beacon", "bear", "beaver", "bison", "brook",
	"canyon", "cedar", "cloud", "comet", "condor", "coral", "crane", "creek",
	"dolphin", "dove", "eagle", "ember", "falcon", "fern", "finch", "fjord",
	"forest", "fox", "galaxy", "garden", "gecko", "glacier", "grove", "harbor",
	"hawk", "heron", "island", "jaguar", "lagoon", "lantern", "lark", "lemur",
	"lynx", "maple", "meadow", "meteor", "moose", "nebula", "oak", "ocean",
	"orchid", "osprey", "otter", "owl", "panda", "pebble", "pine", "planet",
	"prairie", "puffin", "quartz", "raven", "reef", "river", "robin", "sage",
	"salmon", "sparrow", "spruce", "summit", "swan", "thunder", "tiger", "tulip",
	"valley", "violet", "walrus", "willow", "wolf", "wren", "zebra",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

char *
name_random(void)
{
	return xasprintf("%s-%s",
	    adjectives[arc4random_uniform((uint32_t)NELEM(adjectives))],
	    nouns[arc4random_uniform((uint32_t)NELEM(nouns))]);
}

char *
name_with_suffix(const char *base, unsigned k)
{
	return xasprintf("%s-%u", base, k);
}

bool
name_valid(const char *s)
{
	size_t n = strlen(s), groups = 1, run = 0;

	if (n == 0 || n > 50)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			run++;
		} else if (c == '-') {
			if (run == 0)
				return false;
			run = 0;
			groups++;
		} else {
			return false;
		}
	}
	return run > 0 && groups >= 2;
}

size_t
name_adjectives(const char *const **words)
{
	*words = adjectives;
	return NELEM(adjectives);
}

size_t
name_nouns(const char *const **words)
{
	*words = nouns;
	return NELEM(nouns);
}
