/* librdkafka's own mock cluster (the same librdkafka strmscope links), hosted for
 * scripts/kafka-test: it creates topics with chosen partition counts, prints the bootstrap list,
 * then obeys one command per line on stdin, answering "ok" or "error ..." on stdout:
 *
 *   produce TOPIC PARTITION COUNT TIMESTAMP_MS   COUNT records with that CreateTime
 *   down | up                                     every broker stops / resumes answering
 *
 * kcat 1.7.1 can start a mock but cannot set record timestamps or topic partition counts,
 * which the lag-in-seconds and per-partition checks need.
 *
 * With --bootstrap=HOST:PORT,… instead of BROKERS it starts no mock and produces into that
 * cluster (noida-db in the test's tier B); `down`/`up` then answer an error.
 *
 * Build: gcc -O1 -o kafka-mock scripts/kafka-mock.c $(pkg-config --cflags --libs rdkafka)
 * Usage: kafka-mock BROKERS TOPIC:PARTITIONS...  (exits on stdin EOF or SIGTERM)
 *        kafka-mock --bootstrap=HOST:PORT
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Deliveries that failed since the last command (rd_kafka_flush succeeds even then). */
static int failed_deliveries = 0;

static void delivered(rd_kafka_t *rk, const rd_kafka_message_t *message, void *opaque) {
    (void)rk;
    (void)opaque;
    if (message->err) failed_deliveries++;
}

int main(int argc, char **argv) {
    char errstr[512];
    if (argc < 2) {
        fprintf(stderr, "usage: kafka-mock BROKERS TOPIC:PARTITIONS...\n");
        return 2;
    }
    rd_kafka_mock_cluster_t *mc = NULL;
    const char *bootstrap = NULL;
    int brokers = 0;
    if (strncmp(argv[1], "--bootstrap=", 12) == 0) {
        bootstrap = argv[1] + 12;
    } else {
    brokers = atoi(argv[1]);
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", "", errstr, sizeof errstr);
    rd_kafka_conf_set(conf, "log_level", "0", errstr, sizeof errstr);
    rd_kafka_t *host = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!host) {
        fprintf(stderr, "kafka-mock: %s\n", errstr);
        return 1;
    }
    mc = rd_kafka_mock_cluster_new(host, brokers);
    for (int i = 2; i < argc; i++) {
        char topic[256];
        int partitions = 1;
        if (sscanf(argv[i], "%255[^:]:%d", topic, &partitions) < 1) return 2;
        rd_kafka_mock_topic_create(mc, topic, partitions, brokers < 3 ? brokers : 3);
    }
    bootstrap = rd_kafka_mock_cluster_bootstraps(mc);
    }

    /* The producer that writes the test's records, through the cluster like any client. */
    rd_kafka_conf_t *pconf = rd_kafka_conf_new();
    rd_kafka_conf_set(pconf, "bootstrap.servers", bootstrap, errstr, sizeof errstr);
    rd_kafka_conf_set(pconf, "linger.ms", "0", errstr, sizeof errstr);
    rd_kafka_conf_set(pconf, "log_level", "0", errstr, sizeof errstr);
    rd_kafka_conf_set_dr_msg_cb(pconf, delivered);
    rd_kafka_t *producer = rd_kafka_new(RD_KAFKA_PRODUCER, pconf, errstr, sizeof errstr);
    printf("BOOTSTRAP=%s\n", bootstrap);
    fflush(stdout);

    char line[1024];
    while (fgets(line, sizeof line, stdin)) {
        char topic[256];
        int partition, count;
        long long timestamp;
        if (sscanf(line, "produce %255s %d %d %lld", topic, &partition, &count, &timestamp) == 4) {
            rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
            for (int i = 0; i < count && !err; i++) {
                char value[32];
                snprintf(value, sizeof value, "record-%d", i);
                err = rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                                        RD_KAFKA_V_VALUE(value, strlen(value)), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                        RD_KAFKA_V_TIMESTAMP(timestamp), RD_KAFKA_V_END);
            }
            if (!err) err = rd_kafka_flush(producer, 10000);
            if (!err) rd_kafka_poll(producer, 0); /* serve the delivery reports */
            if (err) printf("error %s\n", rd_kafka_err2str(err));
            else if (failed_deliveries) printf("error %d deliveries failed\n", failed_deliveries);
            else printf("ok\n");
            failed_deliveries = 0;
        } else if (mc && (strncmp(line, "down", 4) == 0 || strncmp(line, "up", 2) == 0)) {
            for (int b = 1; b <= brokers; b++) {
                if (line[0] == 'd') rd_kafka_mock_broker_set_down(mc, b); else rd_kafka_mock_broker_set_up(mc, b);
            }
            printf("ok\n");
        } else {
            printf("error unknown command\n");
        }
        fflush(stdout);
    }
    /* Exit without tearing down: the test is over and teardown can wait on connections. */
    return 0;
}
