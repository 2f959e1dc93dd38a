#ifndef CAV_SHIM_H
#define CAV_SHIM_H

#include <errno.h>
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libavutil/opt.h>
#include <libavutil/channel_layout.h>
#include <libavutil/error.h>
#include <libavutil/mathematics.h>
#include <libavutil/time.h>

// Function-like and cast macros Swift cannot import.
static inline int cav_averror(int posix_errno) { return AVERROR(posix_errno); }
static inline int cav_averror_eagain(void) { return AVERROR(EAGAIN); }
static inline int cav_averror_eof(void) { return AVERROR_EOF; }
static inline int cav_averror_exit(void) { return AVERROR_EXIT; }
static inline int64_t cav_nopts_value(void) { return AV_NOPTS_VALUE; }

/// av_err2str without the compound literal: av_strerror into a caller buffer of AV_ERROR_MAX_STRING_SIZE.
static inline const char *cav_err2str(int errnum, char *buffer, size_t size) {
    return av_make_error_string(buffer, size, errnum);
}
static inline size_t cav_error_max_string_size(void) { return AV_ERROR_MAX_STRING_SIZE; }

#endif
