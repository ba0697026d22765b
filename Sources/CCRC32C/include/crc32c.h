#ifndef STRMSCOPE_CRC32C_H
#define STRMSCOPE_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/// Continues a CRC32C (Castagnoli, reflected polynomial 0x82F63B78) over `len` bytes.
/// Start with crc = 0; chaining calls over consecutive ranges equals one call over their union.
uint32_t strm_crc32c_update(uint32_t crc, const void *data, size_t len);

/// 1 when the SSE4.2 `crc32` instruction is used, 0 for the portable table version.
int strm_crc32c_hardware(void);

#endif
