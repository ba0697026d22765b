#ifndef STRMSCOPE_CRDKAFKA_SHIM_H
#define STRMSCOPE_CRDKAFKA_SHIM_H

// librdkafka (Debian's librdkafka-dev): the Kafka client behind `--kafka`. Its API is plain C
// without variadic calls, so Swift calls it directly; this header only makes it a module.
#include <librdkafka/rdkafka.h>

#endif
