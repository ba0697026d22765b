#ifndef STRMSCOPE_CCMARK_SHIM_H
#define STRMSCOPE_CCMARK_SHIM_H

// cmark, the CommonMark reference implementation (Debian libcmark-dev): the runbook viewer
// parses runbooks with it and walks the tree (cmark_iter) into its own document model.
#include <cmark.h>

#endif
