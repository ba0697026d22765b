#ifndef STRMSCOPE_CCURL_SHIM_H
#define STRMSCOPE_CCURL_SHIM_H

// libcurl's curl_easy_setopt / curl_easy_getinfo are variadic, which Swift cannot call:
// these typed wrappers are the whole interface strmscope uses.
#include <curl/curl.h>

typedef size_t (*strm_curl_write_callback)(char *data, size_t size, size_t count, void *context);

static inline CURLcode strm_curl_set_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode strm_curl_set_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode strm_curl_set_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode strm_curl_set_headers(CURL *handle, struct curl_slist *headers) {
    return curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headers);
}

static inline CURLcode strm_curl_set_post_body(CURL *handle, const void *data, long size) {
    CURLcode rc = curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE, size);
    if (rc != CURLE_OK) return rc;
    return curl_easy_setopt(handle, CURLOPT_POSTFIELDS, data);
}

static inline CURLcode strm_curl_set_write_function(CURL *handle, strm_curl_write_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, callback);
}

static inline CURLcode strm_curl_set_header_function(CURL *handle, strm_curl_write_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, callback);
}

static inline CURLcode strm_curl_get_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

#endif
