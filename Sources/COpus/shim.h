#ifndef COPUS_SHIM_H
#define COPUS_SHIM_H

#include <opus/opus.h>

// opus_decoder_ctl / opus_encoder_ctl are variadic: one typed wrapper per request used.
static inline int copus_decoder_reset(OpusDecoder *st) {
    return opus_decoder_ctl(st, OPUS_RESET_STATE);
}
static inline int copus_decoder_get_last_packet_duration(OpusDecoder *st, opus_int32 *samples) {
    return opus_decoder_ctl(st, OPUS_GET_LAST_PACKET_DURATION(samples));
}
static inline int copus_decoder_get_sample_rate(OpusDecoder *st, opus_int32 *rate) {
    return opus_decoder_ctl(st, OPUS_GET_SAMPLE_RATE(rate));
}
static inline int copus_decoder_set_gain(OpusDecoder *st, opus_int32 gain_q8_db) {
    return opus_decoder_ctl(st, OPUS_SET_GAIN(gain_q8_db));
}

static inline int copus_encoder_set_bitrate(OpusEncoder *st, opus_int32 bitrate) {
    return opus_encoder_ctl(st, OPUS_SET_BITRATE(bitrate));
}
static inline int copus_encoder_set_inband_fec(OpusEncoder *st, opus_int32 on) {
    return opus_encoder_ctl(st, OPUS_SET_INBAND_FEC(on));
}
static inline int copus_encoder_set_packet_loss_perc(OpusEncoder *st, opus_int32 percent) {
    return opus_encoder_ctl(st, OPUS_SET_PACKET_LOSS_PERC(percent));
}
static inline int copus_encoder_get_lookahead(OpusEncoder *st, opus_int32 *samples) {
    return opus_encoder_ctl(st, OPUS_GET_LOOKAHEAD(samples));
}

#endif
