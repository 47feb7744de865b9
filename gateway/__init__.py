"""The ingest gateway: HTTP in, validated events out to Kafka, 202 only after Kafka's ack."""
