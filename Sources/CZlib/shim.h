#ifndef STRMSCOPE_CZLIB_SHIM_H
#define STRMSCOPE_CZLIB_SHIM_H

// deflateInit2 / inflateInit2 are macros (they pass the library version and struct size),
// which Swift cannot call: these wrappers are the whole interface strmscope uses.
#include <zlib.h>

static inline int strm_z_inflate_init_gzip(z_stream *stream) {
    // 15 window bits + 16: gzip framing only (a zlib or raw stream is an error, as HTTP wants).
    return inflateInit2(stream, 15 + 16);
}

static inline int strm_z_deflate_init_gzip(z_stream *stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}

#endif
