/*
 * avikit.hpp: a header-only C++17 RAII wrapper over the avikit C API (avikit.h).
 *
 * Ownership: avikit::writer owns its avk_writer and closes it in its destructor (errors are
 * ignored there; call close() to see them). Streams are non-owning views that stay valid until
 * their writer is closed. avikit::async_result owns an un-ended operation and ends it in its
 * destructor. Every type is move-only.
 * Errors: every failing call throws avikit::error carrying the avk_status and the library's
 * message, except the refusals a capture loop expects (as wait() returns false on a timeout):
 * a begin refused with AVK_E_DROPPED (a timed write whose slot is taken) or AVK_E_QUEUE_FULL
 * (AVK_WRITE_NOWAIT) returns an empty async_result, and a timed write dropped returns false.
 * Nothing was queued then and no callback runs.
 * Capture timing: the *_at writes take an avikit::capture_time (std::chrono durations or
 * steady_clock time points) and place the write by time; see avk_video_stream_begin_write_frame_at.
 * Threading: as the C API: any thread; callbacks run on the writer's worker thread.
 */
#ifndef AVIKIT_HPP
#define AVIKIT_HPP

#include "avikit.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <stdexcept>
#include <type_traits>
#include <string>
#include <utility>

namespace avikit {

/* A failed avikit call: the status and the library's message. */
class error : public std::runtime_error {
public:
    error(avk_status status, const std::string &message)
        : std::runtime_error(message), status_(status) {}
    avk_status status() const noexcept { return status_; }

private:
    avk_status status_;
};

/* avk_video_stream_options.input_format as a type: the AVK_PIXEL_* values. Camera formats
   (i420, nv12, yuy2) are limited range (BT.601 unless color_matrix says BT.709), need an even
   width and height and a stride that is 0 or positive. gray8 is one luma byte a pixel. */
enum class pixel_format : int32_t {
    bgra32 = AVK_PIXEL_BGRA32,
    rgba32 = AVK_PIXEL_RGBA32,
    bgr24 = AVK_PIXEL_BGR24,
    rgb24 = AVK_PIXEL_RGB24,
    i420 = AVK_PIXEL_I420,
    nv12 = AVK_PIXEL_NV12,
    yuy2 = AVK_PIXEL_YUY2,
    gray8 = AVK_PIXEL_GRAY8,
};

/* avk_video_stream_options.color_matrix as a type: how YUV input is read. */
enum class color_matrix : int32_t {
    bt601 = AVK_COLOR_BT601,
    bt709 = AVK_COLOR_BT709,
};

/* avk_video_stream_options.prediction as a type (AVK_VIDEO_UTVIDEO). */
enum class prediction : int32_t {
    median = AVK_PREDICT_MEDIAN,
    left = AVK_PREDICT_LEFT,
    gradient = AVK_PREDICT_GRADIENT,
    none = AVK_PREDICT_NONE,
};

/* The exact length of one input frame of `format` at `width` x `height` with `stride` bytes
   per row (of the Y plane for i420 and nv12; 0 = tight; negative = bottom-up, RGB only): the
   `len` every write of such a stream must pass. I420 adds U and V planes of stride / 2 per row,
   NV12 one UV plane of stride per row, each height / 2 rows. Throws nothing; the library checks
   the layout itself when the stream is added. */
constexpr std::size_t frame_size(pixel_format format, uint32_t width, uint32_t height,
                                 int32_t stride = 0) noexcept {
    const std::size_t bytes = format == pixel_format::bgra32 || format == pixel_format::rgba32 ? 4u
                              : format == pixel_format::bgr24 || format == pixel_format::rgb24 ? 3u
                              : format == pixel_format::yuy2 ? 2u
                                                             : 1u;
    const std::size_t pitch = stride == 0  ? width * bytes
                              : stride < 0 ? static_cast<std::size_t>(-static_cast<int64_t>(stride))
                                           : static_cast<std::size_t>(stride);
    const std::size_t h = height;
    return format == pixel_format::i420   ? pitch * h + 2u * (pitch / 2u) * (h / 2u)
           : format == pixel_format::nv12 ? pitch * h + pitch * (h / 2u)
                                          : pitch * h;
}

/* The capture time of a timed write: nanoseconds on the caller's clock. Made from any
   std::chrono::duration that converts to nanoseconds without loss (seconds, milliseconds,
   nanoseconds, ...; a floating or finer one through std::chrono::duration_cast), or from a
   std::chrono::steady_clock::time_point (monotonic: the clock to use for capture). Time zero is
   the first timed write of the writer, so all of a writer's streams must use the same clock. */
class capture_time {
public:
    template <typename Rep, typename Period,
              typename = std::enable_if_t<std::is_convertible_v<std::chrono::duration<Rep, Period>,
                                                                std::chrono::nanoseconds>>>
    constexpr capture_time(std::chrono::duration<Rep, Period> time) noexcept
        : ns_(static_cast<int64_t>(std::chrono::nanoseconds(time).count())) {}
    capture_time(std::chrono::steady_clock::time_point time) noexcept
        : ns_(static_cast<int64_t>(
              std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch())
                  .count())) {}

    /* The time_ns the C API receives. */
    constexpr int64_t nanoseconds() const noexcept { return ns_; }

private:
    int64_t ns_;
};

namespace detail {

/* The statuses of begins refused as a normal part of capture: nothing was queued. */
constexpr bool refused(avk_status status) noexcept {
    return status == AVK_E_DROPPED || status == AVK_E_QUEUE_FULL;
}

/* Throws avikit::error for a failed status, with this thread's last error message. */
inline void check(avk_status status) {
    if (status == AVK_OK) {
        return;
    }
    std::string message(avk_last_error_message(nullptr, 0), '\0');
    avk_last_error_message(&message[0], message.size());
    message.resize(message.empty() ? 0 : message.size() - 1);
    throw error(status, message);
}

/* The callable of one operation, owned by the operation until its callback runs. */
using callback_fn = std::function<void(avk_async *)>;

/* Runs the user's callable on the worker; exceptions must not cross into C, so they end here. */
extern "C" inline void invoke_callback(avk_async *result, void *state) {
    std::unique_ptr<callback_fn> fn(static_cast<callback_fn *>(state));
    try {
        (*fn)(result);
    } catch (...) {
        /* A throwing callback cannot reach anyone: the worker thread has no caller. */
    }
}

} // namespace detail

/* A pending operation (IAsyncResult). end() waits and throws the operation's error; the
   destructor ends it and ignores the outcome. Empty (false) once ended or moved from, when
   default-constructed, and when its begin was refused (AVK_E_DROPPED, AVK_E_QUEUE_FULL). */
class async_result {
public:
    async_result() = default;
    async_result(async_result &&other) noexcept { *this = std::move(other); }
    async_result &operator=(async_result &&other) noexcept {
        if (this != &other) {
            reset();
            result_ = std::exchange(other.result_, nullptr);
            end_ = std::exchange(other.end_, nullptr);
            owner_ = std::exchange(other.owner_, nullptr);
        }
        return *this;
    }
    async_result(const async_result &) = delete;
    async_result &operator=(const async_result &) = delete;
    ~async_result() { reset(); }

    /* Whether this holds an operation: false once ended or moved from, and for a refused begin. */
    explicit operator bool() const noexcept { return result_ != nullptr; }

    /* Whether the operation has completed. */
    bool is_completed() const {
        int32_t done = 0;
        detail::check(avk_async_is_completed(result_, &done));
        return done != 0;
    }

    /* Waits up to timeout_ms (AVK_WAIT_INFINITE: forever); false on timeout. */
    bool wait(uint32_t timeout_ms = AVK_WAIT_INFINITE) const {
        avk_status status = avk_async_wait(result_, timeout_ms);
        if (status == AVK_E_TIMEOUT) {
            return false;
        }
        detail::check(status);
        return true;
    }

    /* Cancels the operation if it is still queued (throws AVK_E_INVALID_STATE otherwise). */
    void cancel() { detail::check(avk_async_cancel(result_)); }

    /* Waits, releases the result and throws the operation's error, if any (an empty result
       throws AVK_E_INVALID_HANDLE). */
    void end() {
        if (end_ == nullptr) {
            throw error(AVK_E_INVALID_HANDLE, "avikit::async_result::end: no operation to end");
        }
        avk_status status = end_(owner_, std::exchange(result_, nullptr));
        detail::check(status);
    }

    /* The C handle, for the avk_async_* getters. */
    avk_async *handle() const noexcept { return result_; }

private:
    friend class video_stream;
    friend class audio_stream;
    friend class writer;
    using end_fn = avk_status (*)(void *, avk_async *);

    async_result(avk_async *result, end_fn end, void *owner)
        : result_(result), end_(end), owner_(owner) {}

    void reset() noexcept {
        if (result_ != nullptr) {
            end_(owner_, std::exchange(result_, nullptr));
        }
    }

    avk_async *result_ = nullptr;
    end_fn end_ = nullptr;
    void *owner_ = nullptr;
};

namespace detail {

/* Begins an operation through `begin` with `callback` (any callable taking avk_async*, or
   nullptr), returning its result, or nullptr when the begin was refused (see refused). The
   callable is freed after it ran, or at once when nothing was queued. */
template <typename Begin, typename Callback>
avk_async *begin_with(Begin &&begin, Callback &&callback) {
    avk_async *result = nullptr;
    std::unique_ptr<callback_fn> fn;
    if constexpr (!std::is_same_v<std::decay_t<Callback>, std::nullptr_t>) {
        fn = std::make_unique<callback_fn>(std::forward<Callback>(callback));
    }
    avk_status status =
        begin(fn ? &invoke_callback : nullptr, static_cast<void *>(fn.get()), &result);
    if (refused(status)) {
        return nullptr;
    }
    check(status);
    fn.release(); /* now owned by the operation: freed in invoke_callback */
    return result;
}

} // namespace detail

/* A video stream of a writer; valid until the writer is closed. */
class video_stream {
public:
    explicit video_stream(avk_video_stream *stream) noexcept : stream_(stream) {}

    /* Writes one frame and waits until it is in the file. */
    void write_frame(const void *data, std::size_t len, bool keyframe = true) {
        detail::check(avk_video_stream_write_frame(stream_, keyframe ? AVK_FRAME_KEYFRAME : 0u,
                                                   static_cast<const uint8_t *>(data), len));
    }

    /* Queues one frame. Without AVK_WRITE_COPY in `flags`, `data` must stay valid until the
       operation completes. `callback` (any callable taking avk_async*, or nullptr) runs on the
       worker thread once the frame is in the file. With AVK_WRITE_NOWAIT, a full queue returns
       an empty result instead of waiting. */
    template <typename Callback = std::nullptr_t>
    async_result begin_write_frame(const void *data, std::size_t len, uint32_t flags,
                                   Callback &&callback = nullptr) {
        avk_video_stream *s = stream_;
        avk_async *r = detail::begin_with(
            [&](avk_async_callback cb, void *state, avk_async **out) {
                return avk_video_stream_begin_write_frame(
                    s, flags, static_cast<const uint8_t *>(data), len, cb, state, out);
            },
            std::forward<Callback>(callback));
        return async_result(r, &end_frame, stream_);
    }

    /* Writes one frame captured at `at` into the slot of its time (empty frames fill a gap
       before it) and waits until it is in the file. False when the slot is already taken or
       lies before time zero: the frame is dropped, nothing is written. */
    bool write_frame_at(capture_time at, const void *data, std::size_t len, bool keyframe = true) {
        avk_status status =
            avk_video_stream_write_frame_at(stream_, keyframe ? AVK_FRAME_KEYFRAME : 0u,
                                            at.nanoseconds(), static_cast<const uint8_t *>(data),
                                            len);
        if (status == AVK_E_DROPPED) {
            return false;
        }
        detail::check(status);
        return true;
    }

    /* Queues one frame captured at `at`, as begin_write_frame; the result is empty when the
       frame was dropped (its slot is taken) or, with AVK_WRITE_NOWAIT, the queue was full. */
    template <typename Callback = std::nullptr_t>
    async_result begin_write_frame_at(capture_time at, const void *data, std::size_t len,
                                      uint32_t flags, Callback &&callback = nullptr) {
        avk_video_stream *s = stream_;
        avk_async *r = detail::begin_with(
            [&](avk_async_callback cb, void *state, avk_async **out) {
                return avk_video_stream_begin_write_frame_at(s, flags, at.nanoseconds(),
                                                             static_cast<const uint8_t *>(data),
                                                             len, cb, state, out);
            },
            std::forward<Callback>(callback));
        return async_result(r, &end_frame, stream_);
    }

    /* Queues `count` empty frames at the next slots (players show the previous frame again). */
    void skip_frames(uint32_t count) {
        detail::check(avk_video_stream_skip_frames(stream_, count));
    }

    /* The stream's counters: chunks, empty frames, drops and bytes begun so far. */
    avk_stream_stats stats() const {
        avk_stream_stats stats{};
        stats.struct_size = sizeof stats;
        detail::check(avk_video_stream_get_stats(stream_, &stats));
        return stats;
    }

    avk_video_stream *handle() const noexcept { return stream_; }

private:
    static avk_status end_frame(void *stream, avk_async *r) {
        return avk_video_stream_end_write_frame(static_cast<avk_video_stream *>(stream), r);
    }
    avk_video_stream *stream_;
};

/* An audio stream of a writer; valid until the writer is closed. */
class audio_stream {
public:
    explicit audio_stream(avk_audio_stream *stream) noexcept : stream_(stream) {}

    /* Writes one block (a whole number of sample frames) and waits until it is in the file. */
    void write_block(const void *data, std::size_t len) {
        detail::check(avk_audio_stream_write_block(stream_, 0u,
                                                   static_cast<const uint8_t *>(data), len));
    }

    /* Queues one block; as video_stream::begin_write_frame. */
    template <typename Callback = std::nullptr_t>
    async_result begin_write_block(const void *data, std::size_t len, uint32_t flags,
                                   Callback &&callback = nullptr) {
        avk_audio_stream *s = stream_;
        avk_async *r = detail::begin_with(
            [&](avk_async_callback cb, void *state, avk_async **out) {
                return avk_audio_stream_begin_write_block(
                    s, flags, static_cast<const uint8_t *>(data), len, cb, state, out);
            },
            std::forward<Callback>(callback));
        return async_result(r, &end_block, stream_);
    }

    /* Writes one block captured at `at` (PCM, FLOAT and MP3 streams) and waits until it is in
       the file: silence fills a gap before it, samples overlapping what the stream has are cut.
       False when all of it overlaps: the block is dropped, nothing is written. */
    bool write_block_at(capture_time at, const void *data, std::size_t len) {
        avk_status status = avk_audio_stream_write_block_at(
            stream_, 0u, at.nanoseconds(), static_cast<const uint8_t *>(data), len);
        if (status == AVK_E_DROPPED) {
            return false;
        }
        detail::check(status);
        return true;
    }

    /* Queues one block captured at `at`, as begin_write_block; the result is empty when the
       block was dropped or, with AVK_WRITE_NOWAIT, the queue was full. */
    template <typename Callback = std::nullptr_t>
    async_result begin_write_block_at(capture_time at, const void *data, std::size_t len,
                                      uint32_t flags, Callback &&callback = nullptr) {
        avk_audio_stream *s = stream_;
        avk_async *r = detail::begin_with(
            [&](avk_async_callback cb, void *state, avk_async **out) {
                return avk_audio_stream_begin_write_block_at(s, flags, at.nanoseconds(),
                                                             static_cast<const uint8_t *>(data),
                                                             len, cb, state, out);
            },
            std::forward<Callback>(callback));
        return async_result(r, &end_block, stream_);
    }

    /* The stream's counters: chunks, drops, bytes, samples, silence and trimmed samples. */
    avk_stream_stats stats() const {
        avk_stream_stats stats{};
        stats.struct_size = sizeof stats;
        detail::check(avk_audio_stream_get_stats(stream_, &stats));
        return stats;
    }

    avk_audio_stream *handle() const noexcept { return stream_; }

private:
    static avk_status end_block(void *stream, avk_async *r) {
        return avk_audio_stream_end_write_block(static_cast<avk_audio_stream *>(stream), r);
    }
    avk_audio_stream *stream_;
};

/* An AVI file being written. Closes itself on destruction (ignoring errors). Checkpoints and
   close are durable unless `options->durability` is AVK_DURABILITY_NONE (see
   avk_writer_options). */
class writer {
public:
    /* Creates (or truncates) the file at `path`. */
    explicit writer(const std::string &path, const avk_writer_options *options = nullptr) {
        detail::check(avk_writer_create(path.c_str(), options, &writer_));
    }
    /* Writes through a custom sink (see avk_io; its `sync` is what durability calls). */
    explicit writer(const avk_io &io, const avk_writer_options *options = nullptr) {
        detail::check(avk_writer_create_io(&io, options, &writer_));
    }
    writer(writer &&other) noexcept : writer_(std::exchange(other.writer_, nullptr)) {}
    writer &operator=(writer &&other) noexcept {
        if (this != &other) {
            discard();
            writer_ = std::exchange(other.writer_, nullptr);
        }
        return *this;
    }
    writer(const writer &) = delete;
    writer &operator=(const writer &) = delete;
    ~writer() { discard(); }

    video_stream add_video_stream(const avk_video_stream_options &options) {
        avk_video_stream *stream = nullptr;
        detail::check(avk_writer_add_video_stream(writer_, &options, &stream));
        return video_stream(stream);
    }

    audio_stream add_audio_stream(const avk_audio_stream_options &options) {
        avk_audio_stream *stream = nullptr;
        detail::check(avk_writer_add_audio_stream(writer_, &options, &stream));
        return audio_stream(stream);
    }

    /* Sets the INFO metadata entry `id` ("INAM" title, "IART" artist, "ICMT" comment, ...);
       an empty value removes it. Allowed until the first write. */
    void set_info(const std::string &id, const std::string &value) {
        detail::check(avk_writer_set_info(writer_, id.c_str(), value.c_str()));
    }

    /* Waits for every earlier operation, checkpoints and pushes the data out
       (AVK_FLUSH_DURABLE: a durable checkpoint, synced in order, whatever the durability). */
    void flush(uint32_t flags = 0) { detail::check(avk_writer_flush(writer_, flags)); }

    /* Drains the queue, finalizes the file and throws the first error the writer met. */
    void close() { detail::check(avk_writer_close(std::exchange(writer_, nullptr))); }

    avk_writer *handle() const noexcept { return writer_; }

private:
    void discard() noexcept {
        if (writer_ != nullptr) {
            avk_writer_close(std::exchange(writer_, nullptr));
        }
    }
    avk_writer *writer_ = nullptr;
};

} // namespace avikit

#endif /* AVIKIT_HPP */
