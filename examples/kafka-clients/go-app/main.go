// A Go producer and consumer group (Sarama, Debian's golang-github-shopify-sarama-dev) against
// KAFKA_BROKERS (e.g. a `tributary serve`): five keyed orders with acks=all, then a consumer group
// member that reads them back from the beginning.
//
// Debian packages Go libraries as GOPATH sources, so it builds without modules or downloads:
//
//	GOPATH=/usr/share/gocode GO111MODULE=off go run examples/kafka-clients/go-app/main.go
package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/Shopify/sarama"
)

const expect = 5

// reader is a consumer group handler that counts messages and stops the group at `expect`.
type reader struct {
	received int
	done     context.CancelFunc
}

func (r *reader) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (r *reader) Cleanup(sarama.ConsumerGroupSession) error { return nil }
func (r *reader) ConsumeClaim(session sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for msg := range claim.Messages() {
		r.received++
		fmt.Printf("received partition=%d offset=%d key=%s value=%s\n", msg.Partition, msg.Offset, msg.Key, msg.Value)
		session.MarkMessage(msg, "")
		if r.received >= expect {
			r.done()
		}
	}
	return nil
}

func main() {
	brokers := strings.Split(envOr("KAFKA_BROKERS", "127.0.0.1:9092"), ",")
	topic := envOr("TOPIC", "go-orders")

	config := sarama.NewConfig()
	config.Version = sarama.V2_1_0_0
	config.ClientID = "go-app"
	config.Producer.RequiredAcks = sarama.WaitForAll
	config.Producer.Return.Successes = true
	config.Consumer.Offsets.Initial = sarama.OffsetOldest

	producer, err := sarama.NewSyncProducer(brokers, config)
	check("producer", err)
	for i := 0; i < expect; i++ {
		key := fmt.Sprintf("customer-%d", i%2)
		_, _, err := producer.SendMessage(&sarama.ProducerMessage{Topic: topic, Key: sarama.StringEncoder(key), Value: sarama.StringEncoder(fmt.Sprintf("order %d", i))})
		check("send", err)
	}
	check("close producer", producer.Close())
	fmt.Printf("produced %d orders\n", expect)

	group, err := sarama.NewConsumerGroup(brokers, "go-readers", config)
	check("consumer group", err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r := &reader{done: cancel}
	for ctx.Err() == nil && r.received < expect {
		if err := group.Consume(ctx, []string{topic}, r); err != nil && ctx.Err() == nil {
			check("consume", err)
		}
	}
	check("close group", group.Close())
	fmt.Printf("consumed %d orders\n", r.received)
	if r.received < expect {
		os.Exit(1)
	}
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

func check(what string, err error) {
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", what, err)
		os.Exit(1)
	}
}
