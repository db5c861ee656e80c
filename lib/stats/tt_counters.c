#include "tt_counters.h"

#define TT_NAME(name, str) str,
const char *const tt_drop_names[TT_DROP_COUNT] = {TT_DROP_REASONS(TT_NAME)};
const char *const tt_counter_names[TT_CTR_COUNT] = {TT_EVENT_COUNTERS(TT_NAME)};
#undef TT_NAME
