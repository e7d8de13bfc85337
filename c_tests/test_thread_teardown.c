/*
 * avikit called while a thread is being torn down (issue 14, item 5): a pthread key destructor
 * runs after the thread's C++/Rust thread_local destructors, so the library's per-thread error
 * message is gone by then. A failing call must still return its status (and the message
 * functions answer), never abort the process across the C boundary.
 */
#include "avk_test.h"

static pthread_key_t key;
static avk_status in_destructor = -1; /* written by the destructor, read after join */
static size_t message_len = 99;

static void destructor(void *value) {
    (void)value;
    in_destructor = avk_writer_close(NULL);
    message_len = avk_last_error_message(NULL, 0);
}

static void *thread_main(void *arg) {
    (void)arg;
    /* A failing call first, so the thread's error message exists and is destroyed at exit. */
    CHECK_STATUS(avk_writer_close(NULL), AVK_E_INVALID_HANDLE);
    CHECK(pthread_setspecific(key, &key) == 0);
    return NULL;
}

int main(void) {
    pthread_t t;
    CHECK(pthread_key_create(&key, destructor) == 0);
    CHECK(pthread_create(&t, NULL, thread_main, NULL) == 0);
    CHECK(pthread_join(t, NULL) == 0);
    CHECK_STATUS_VALUE(in_destructor, AVK_E_INVALID_HANDLE);
    /* Without a message store there is no message: the empty one (its NUL) or none at all. */
    CHECK(message_len <= 1);
    CHECK(pthread_key_delete(key) == 0);
    return avk_test_summary("test_thread_teardown");
}
