// The FFmpeg headers featstream uses, plus the few macros Swift cannot import.
#ifndef FEATSTREAM_CFFMPEG_SHIM_H
#define FEATSTREAM_CFFMPEG_SHIM_H

#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavutil/avutil.h>
#include <libavutil/display.h>
#include <libavutil/error.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

static const int FS_AVERROR_EOF = AVERROR_EOF;
static const int FS_AVERROR_EAGAIN = AVERROR(EAGAIN);
static const int FS_AVERROR_INVALIDDATA = AVERROR_INVALIDDATA;
static const int64_t FS_AV_NOPTS_VALUE = AV_NOPTS_VALUE;
static const int FS_AV_FRAME_FLAG_CORRUPT = AV_FRAME_FLAG_CORRUPT;
static const int FS_AVERROR_DECODER_NOT_FOUND = AVERROR_DECODER_NOT_FOUND;
static const int FS_AVERROR_STREAM_NOT_FOUND = AVERROR_STREAM_NOT_FOUND;

/// av_err2str without the compound literal Swift cannot import.
static inline const char *fs_av_err2str(int errnum, char *buf, size_t size) {
    return av_make_error_string(buf, size, errnum);
}

#endif
