// The machine's own ceiling for group commit: the least a group commit can do, in C, with none of
// the log around it (no framing, no CRC, no index, no offsets). THREADS threads each append
// 130 bytes to one file (pwrite at the end, under a mutex), take a ticket and wait until it is
// durable; one waiter at a time (the leader) fdatasyncs everything written so far and wakes the
// rest. As in the log's GroupCommit, the leader first waits (at most half of a recent fsync) for
// as many writers as the previous fsync served, so released writers do not split into two
// alternating half groups.
//
// scripts/bench runs it with 1 and with 8 threads, alternating, and prints the 8/1 ratio beside
// the log's: on a machine where this ratio is below 5, so is any group commit's.
//
//   group-commit-probe DIR THREADS SECONDS   prints "APPENDS_PER_S FSYNCS_PER_S"
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t flushed = PTHREAD_COND_INITIALIZER;
static pthread_cond_t arrived;
static unsigned long issued, durable, last_group = 1, fsyncs;
static int flushing, gathering, fd;
static long average_fsync_ns;
static off_t end_position;
static double deadline;
static long total;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void fail(const char *what) {
    perror(what);
    exit(1);
}

// Leader, mutex held: wait for the previous group's size, or half an fsync.
static void gather(void) {
    if (last_group <= 1 || average_fsync_ns == 0) return;
    struct timespec limit;
    clock_gettime(CLOCK_MONOTONIC, &limit);
    limit.tv_nsec += average_fsync_ns / 2;
    limit.tv_sec += limit.tv_nsec / 1000000000;
    limit.tv_nsec %= 1000000000;
    gathering = 1;
    while (issued - durable < last_group)
        if (pthread_cond_timedwait(&arrived, &mutex, &limit) == ETIMEDOUT) break;
    gathering = 0;
}

static void *producer(void *unused) {
    (void)unused;
    char record[130];
    memset(record, 'x', sizeof record);
    long appends = 0;
    while (now() < deadline) {
        pthread_mutex_lock(&mutex);
        if (pwrite(fd, record, sizeof record, end_position) != (ssize_t)sizeof record) fail("pwrite");
        end_position += sizeof record;
        unsigned long ticket = ++issued;
        if (gathering) pthread_cond_signal(&arrived);
        while (durable < ticket) {
            if (flushing) {
                pthread_cond_wait(&flushed, &mutex);
                continue;
            }
            flushing = 1;
            gather();
            unsigned long target = issued;
            pthread_mutex_unlock(&mutex);
            double started = now();
            if (fdatasync(fd) != 0) fail("fdatasync");
            long took = (long)((now() - started) * 1e9);
            pthread_mutex_lock(&mutex);
            fsyncs++;
            average_fsync_ns = average_fsync_ns ? (average_fsync_ns * 7 + took) / 8 : took;
            last_group = target - durable ? target - durable : 1;
            durable = target;
            flushing = 0;
            pthread_cond_broadcast(&flushed);
        }
        pthread_mutex_unlock(&mutex);
        appends++;
    }
    __atomic_add_fetch(&total, appends, __ATOMIC_RELAXED);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: group-commit-probe DIR THREADS SECONDS\n");
        return 2;
    }
    int threads = atoi(argv[2]);
    double seconds = atof(argv[3]);
    if (threads < 1 || threads > 64 || seconds <= 0) {
        fprintf(stderr, "group-commit-probe: THREADS must be 1...64 and SECONDS positive\n");
        return 2;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/group-commit-probe.dat", argv[1]);
    fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
    if (fd < 0) fail(path);
    pthread_condattr_t attributes;
    pthread_condattr_init(&attributes);
    pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC);
    pthread_cond_init(&arrived, &attributes);
    pthread_t thread[64];
    double began = now();
    deadline = began + seconds;
    for (int i = 0; i < threads; i++)
        if (pthread_create(&thread[i], NULL, producer, NULL) != 0) fail("pthread_create");
    for (int i = 0; i < threads; i++) pthread_join(thread[i], NULL);
    double elapsed = now() - began;
    close(fd);
    unlink(path);
    printf("%.0f %.0f\n", total / elapsed, fsyncs / elapsed);
    return 0;
}
