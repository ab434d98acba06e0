/*
 * rdkafka-bench: the librdkafka driver of the bench's `librdkafka` system (bench/systems/librdkafka.ts).
 * Compiled by the bench into the run's directory against Debian's librdkafka-dev; nothing binary is
 * committed.
 *
 *   rdkafka-bench produce BROKER TOPIC POOL_FILE COUNT LIMIT_MS
 *   rdkafka-bench consume BROKER TOPIC GROUP COUNT LIMIT_MS
 *
 * produce: creates TOPIC with one partition (an existing topic is fine), then sends COUNT messages
 * cycled from POOL_FILE (records of a 16-byte key and a 100-byte value) with acks=1, no
 * compression, and waits until every one is acknowledged. consume: one consumer-group member
 * subscribed to TOPIC from the earliest offset reads until COUNT messages are seen, touching every
 * value. Both stop at LIMIT_MS and print one line: `{"messages":N,"elapsedMs":T}` (T from the
 * first send or the subscribe, connection set-up included). Anything that goes wrong exits 1 with
 * the reason on stderr.
 */
#include <librdkafka/rdkafka.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KEY_BYTES 16
#define VALUE_BYTES 100
#define MESSAGE_BYTES (KEY_BYTES + VALUE_BYTES)

static long long delivered = 0;
static long long delivery_errors = 0;
static char delivery_error[512];

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void die(const char *what, const char *why) {
  fprintf(stderr, "rdkafka-bench: %s: %s\n", what, why);
  exit(1);
}

static void set(rd_kafka_conf_t *conf, const char *name, const char *value) {
  char err[512];
  if (rd_kafka_conf_set(conf, name, value, err, sizeof err) != RD_KAFKA_CONF_OK) die(name, err);
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
  (void)rk;
  (void)opaque;
  if (m->err) {
    if (delivery_errors++ == 0) snprintf(delivery_error, sizeof delivery_error, "%s", rd_kafka_err2str(m->err));
  } else {
    delivered++;
  }
}

static void create_topic(rd_kafka_t *rk, const char *topic) {
  char err[512];
  rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, 1, 1, err, sizeof err);
  if (!nt) die("NewTopic", err);
  rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
  rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
  rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 10000);
  if (!ev) die("CreateTopics", "no answer in 10 s");
  if (rd_kafka_event_error(ev)) die("CreateTopics", rd_kafka_event_error_string(ev));
  const rd_kafka_CreateTopics_result_t *res = rd_kafka_event_CreateTopics_result(ev);
  size_t n;
  const rd_kafka_topic_result_t **results = rd_kafka_CreateTopics_result_topics(res, &n);
  for (size_t i = 0; i < n; i++) {
    rd_kafka_resp_err_t e = rd_kafka_topic_result_error(results[i]);
    if (e && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) die("CreateTopics", rd_kafka_err2str(e));
  }
  rd_kafka_event_destroy(ev);
  rd_kafka_queue_destroy(q);
  rd_kafka_NewTopic_destroy(nt);
}

static unsigned char *read_pool(const char *path, size_t *count) {
  FILE *f = fopen(path, "rb");
  if (!f) die(path, "cannot open");
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  if (size <= 0 || size % MESSAGE_BYTES != 0) die(path, "not a whole number of 116-byte messages");
  unsigned char *pool = malloc((size_t)size);
  if (!pool || fread(pool, 1, (size_t)size, f) != (size_t)size) die(path, "cannot read");
  fclose(f);
  *count = (size_t)size / MESSAGE_BYTES;
  return pool;
}

static int produce(const char *broker, const char *topic, const char *pool_path, long long count, double limit_ms) {
  size_t pool_count;
  unsigned char *pool = read_pool(pool_path, &pool_count);
  char err[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", broker);
  set(conf, "acks", "1");
  set(conf, "compression.codec", "none");
  set(conf, "enable.idempotence", "false");
  set(conf, "linger.ms", "5");
  set(conf, "batch.num.messages", "10000");
  set(conf, "queue.buffering.max.messages", "500000");
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) die("rd_kafka_new", err);
  double start = now_ms();
  double deadline = start + limit_ms;
  create_topic(rk, topic);
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
  long long sent = 0;
  while (sent < count && now_ms() < deadline) {
    unsigned char *m = pool + (size_t)(sent % (long long)pool_count) * MESSAGE_BYTES;
    if (rd_kafka_produce(rkt, 0, RD_KAFKA_MSG_F_COPY, m + KEY_BYTES, VALUE_BYTES, m, KEY_BYTES, NULL) == -1) {
      rd_kafka_resp_err_t e = rd_kafka_last_error();
      if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) die("produce", rd_kafka_err2str(e));
      rd_kafka_poll(rk, 1);
      continue;
    }
    sent++;
    if ((sent & 1023) == 0) rd_kafka_poll(rk, 0);
  }
  while (delivered + delivery_errors < sent) {
    if (now_ms() > deadline + 10000) die("flush", "messages still unacknowledged 10 s past the limit");
    rd_kafka_flush(rk, 100);
    rd_kafka_poll(rk, 0);
  }
  double elapsed = now_ms() - start;
  if (delivery_errors) die("delivery", delivery_error);
  printf("{\"messages\":%lld,\"elapsedMs\":%.3f}\n", delivered, elapsed);
  rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(rk);
  free(pool);
  return 0;
}

static int consume(const char *broker, const char *topic, const char *group, long long count, double limit_ms) {
  char err[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", broker);
  set(conf, "group.id", group);
  set(conf, "auto.offset.reset", "earliest");
  set(conf, "enable.partition.eof", "false");
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (!rk) die("rd_kafka_new", err);
  rd_kafka_poll_set_consumer(rk);
  double start = now_ms();
  double deadline = start + limit_ms;
  rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, topic, RD_KAFKA_PARTITION_UA);
  rd_kafka_resp_err_t e = rd_kafka_subscribe(rk, topics);
  if (e) die("subscribe", rd_kafka_err2str(e));
  rd_kafka_topic_partition_list_destroy(topics);
  long long seen = 0;
  uint64_t touched = 0;
  while (seen < count && now_ms() < deadline) {
    rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
    if (!m) continue;
    if (m->err) {
      if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) die("consume", rd_kafka_message_errstr(m));
    } else {
      const unsigned char *v = m->payload;
      for (size_t i = 0; i < m->len; i++) touched += v[i];
      seen++;
    }
    rd_kafka_message_destroy(m);
  }
  double elapsed = now_ms() - start;
  printf("{\"messages\":%lld,\"elapsedMs\":%.3f,\"valueSum\":%llu}\n", seen, elapsed, (unsigned long long)touched);
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 7 && strcmp(argv[1], "produce") == 0) return produce(argv[2], argv[3], argv[4], atoll(argv[5]), atof(argv[6]));
  if (argc == 7 && strcmp(argv[1], "consume") == 0) return consume(argv[2], argv[3], argv[4], atoll(argv[5]), atof(argv[6]));
  fprintf(stderr,
          "usage: rdkafka-bench produce BROKER TOPIC POOL_FILE COUNT LIMIT_MS\n"
          "       rdkafka-bench consume BROKER TOPIC GROUP COUNT LIMIT_MS\n");
  return 2;
}
