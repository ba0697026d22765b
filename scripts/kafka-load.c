/* Fills a Kafka-protocol cluster for scripts/bench-kafka: TOPICS topics of PARTITIONS partitions
 * (CreateTopics), RECORDS records in every partition, and GROUPS consumer groups, group i
 * committing offset RECORDS/2 on every partition of topic i % TOPICS (a commit without
 * joining, as a tool that manages offsets does).
 *
 * Build: gcc -O1 -o kafka-load scripts/kafka-load.c $(pkg-config --cflags --libs rdkafka)
 * Usage: kafka-load BOOTSTRAP TOPICS PARTITIONS GROUPS RECORDS
 */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static rd_kafka_t *client(const char *bootstrap, rd_kafka_type_t type, const char *group) {
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr, sizeof errstr);
    rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr);
    if (group) {
        rd_kafka_conf_set(conf, "group.id", group, errstr, sizeof errstr);
        rd_kafka_conf_set(conf, "enable.auto.commit", "false", errstr, sizeof errstr);
    }
    rd_kafka_t *rk = rd_kafka_new(type, conf, errstr, sizeof errstr);
    if (!rk) {
        fprintf(stderr, "kafka-load: %s\n", errstr);
        exit(1);
    }
    return rk;
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: kafka-load BOOTSTRAP TOPICS PARTITIONS GROUPS RECORDS\n");
        return 2;
    }
    const char *bootstrap = argv[1];
    int topics = atoi(argv[2]), partitions = atoi(argv[3]), groups = atoi(argv[4]), records = atoi(argv[5]);
    char errstr[512], name[64];

    rd_kafka_t *admin = client(bootstrap, RD_KAFKA_PRODUCER, NULL);
    rd_kafka_NewTopic_t **newtopics = calloc(topics, sizeof *newtopics);
    for (int t = 0; t < topics; t++) {
        snprintf(name, sizeof name, "topic-%03d", t);
        newtopics[t] = rd_kafka_NewTopic_new(name, partitions, 1, errstr, sizeof errstr);
    }
    rd_kafka_queue_t *queue = rd_kafka_queue_new(admin);
    rd_kafka_CreateTopics(admin, newtopics, topics, NULL, queue);
    rd_kafka_event_t *event = rd_kafka_queue_poll(queue, 60000);
    if (!event || rd_kafka_event_error(event)) {
        fprintf(stderr, "kafka-load: CreateTopics: %s\n", event ? rd_kafka_event_error_string(event) : "timed out");
        return 1;
    }
    rd_kafka_event_destroy(event);

    for (int t = 0; t < topics; t++) {
        snprintf(name, sizeof name, "topic-%03d", t);
        for (int p = 0; p < partitions; p++) {
            for (int r = 0; r < records; r++) {
                while (rd_kafka_producev(admin, RD_KAFKA_V_TOPIC(name), RD_KAFKA_V_PARTITION(p), RD_KAFKA_V_VALUE("x", 1),
                                         RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
                    rd_kafka_poll(admin, 10);
            }
        }
    }
    if (rd_kafka_flush(admin, 120000)) {
        fprintf(stderr, "kafka-load: produce did not finish\n");
        return 1;
    }

    for (int g = 0; g < groups; g++) {
        char group[64];
        snprintf(group, sizeof group, "group-%03d", g);
        snprintf(name, sizeof name, "topic-%03d", g % topics);
        rd_kafka_t *consumer = client(bootstrap, RD_KAFKA_CONSUMER, group);
        rd_kafka_topic_partition_list_t *offsets = rd_kafka_topic_partition_list_new(partitions);
        for (int p = 0; p < partitions; p++) rd_kafka_topic_partition_list_add(offsets, name, p)->offset = records / 2;
        rd_kafka_resp_err_t err = rd_kafka_commit(consumer, offsets, 0);
        if (err) {
            fprintf(stderr, "kafka-load: commit %s: %s\n", group, rd_kafka_err2str(err));
            return 1;
        }
        rd_kafka_topic_partition_list_destroy(offsets);
        rd_kafka_destroy(consumer);
    }
    printf("created %d topics x %d partitions, %d records each, %d groups\n", topics, partitions, records, groups);
    return 0;
}
